/** Progress of an apply, resume or rollback, built from the back end's events (Svelte 5 runes). */
import type { ErrorInfo } from '../../../electron/shared/errors.js';
import type { Plan, ProgressEvent, RunOutcome } from '../../../electron/shared/plan.js';
import type { RunResult } from '../../../electron/shared/ipc.js';
import { assertNever } from '../../../electron/shared/assert-never.js';

export type StepState = 'pending' | 'running' | 'done' | 'unchanged' | 'failed';

export interface StepProgress {
  readonly id: string;
  title: string;
  state: StepState;
  percent: number;
  detail: string;
  /** When the step started and how long it took (ms), for the progress view. */
  startedAt?: number;
  durationMs?: number;
}

export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  /** Milliseconds since the run started, shown before the line. */
  readonly atMs: number;
}

export class Run {
  steps = $state<StepProgress[]>([]);
  log = $state<LogLine[]>([]);
  running = $state(false);
  outcome = $state<RunOutcome | undefined>(undefined);
  error = $state<ErrorInfo | undefined>(undefined);
  failedStep = $state<string | undefined>(undefined);
  logPath = $state<string | undefined>(undefined);
  changed = $state<readonly string[]>([]);
  /** When the run (or its resume/rollback) started and, once over, ended: the elapsed time. */
  startedAt = $state(0);
  endedAt = $state<number | undefined>(undefined);
  /** The clock; a parameter so unit tests can drive it. */
  constructor(private readonly now: () => number = Date.now) {}
  /** Warnings the steps logged (the Finished screen lists them). */
  warnings = $derived(this.log.filter((l) => l.level === 'warn').map((l) => l.message));
  /** The step running now, if any. */
  current = $derived(this.steps.find((s) => s.state === 'running'));
  finished = $derived(this.steps.filter((s) => s.state === 'done' || s.state === 'unchanged').length);
  overall = $derived(this.steps.length === 0 ? 0 : Math.round((100 * this.steps.filter((s) => s.state === 'done' || s.state === 'unchanged').length) / this.steps.length));

  /** Starts a fresh run over the plan's steps. */
  begin(plan: Plan | undefined): void {
    this.steps = (plan?.steps ?? []).map((s) => ({ id: s.id, title: s.title, state: 'pending', percent: 0, detail: '' }));
    this.log = [];
    this.startedAt = this.now();
    this.endedAt = undefined;
    this.running = true;
    this.outcome = undefined;
    this.error = undefined;
    this.failedStep = undefined;
  }

  /** Continues after a failure (resume/rollback keep the step list). */
  continue(): void {
    this.startedAt = this.now();
    this.endedAt = undefined;
    this.running = true;
    this.outcome = undefined;
    this.error = undefined;
  }

  private push(line: Omit<LogLine, 'atMs'>): void {
    this.log.push({ ...line, atMs: Math.max(0, this.now() - this.startedAt) });
  }

  private step(id: string, title?: string): StepProgress {
    let s = this.steps.find((x) => x.id === id);
    if (s === undefined) {
      s = { id, title: title ?? id, state: 'pending', percent: 0, detail: '' };
      this.steps.push(s);
      s = this.steps[this.steps.length - 1]!;
    }
    return s;
  }

  /** Applies one progress event. */
  onEvent(e: ProgressEvent): void {
    switch (e.kind) {
      case 'run-started':
        this.push({ level: 'info', message: `${e.mode === 'apply' ? 'Installing' : e.mode === 'resume' ? 'Resuming' : 'Rolling back'}: ${e.total} steps` });
        break;
      case 'step-started': {
        const s = this.step(e.stepId, e.title);
        s.state = 'running';
        s.percent = 0;
        s.startedAt = this.now();
        this.push({ level: 'info', message: `Step ${e.index + 1} of ${e.total}: ${e.title}` });
        break;
      }
      case 'step-progress': {
        const s = this.step(e.stepId);
        s.percent = Math.max(0, Math.min(100, e.percent));
        s.detail = e.detail ?? s.detail;
        break;
      }
      case 'log':
        this.push({ level: e.level, message: e.message });
        break;
      case 'step-finished': {
        const s = this.step(e.stepId);
        s.state = e.changed ? 'done' : 'unchanged';
        s.percent = 100;
        if (s.startedAt !== undefined) s.durationMs = this.now() - s.startedAt;
        break;
      }
      case 'step-failed': {
        const s = this.step(e.stepId);
        s.state = 'failed';
        if (s.startedAt !== undefined) s.durationMs = this.now() - s.startedAt;
        this.failedStep = e.stepId;
        this.error = e.error;
        this.push({ level: 'error', message: `${s.title}: ${e.error.message}` });
        break;
      }
      case 'run-finished':
        this.outcome = e.outcome;
        this.changed = e.changed;
        if (e.error) this.error = e.error;
        break;
      case 'site-progress':
        // The Site screen follows its own operation; an install's progress view has nothing to show.
        break;
      default:
        assertNever(e);
    }
  }

  /** Records the call's result (authoritative even if an event was missed). */
  finish(result: RunResult): void {
    this.running = false;
    this.endedAt = this.now();
    this.outcome = result.outcome;
    this.logPath = result.logPath;
    if (result.error) this.error = result.error;
    this.settleRunning();
  }

  /**
   * The call's result can arrive before the last events (browser mode streams them apart): a step
   * still shown running when the run is over is the one that failed, or was stopped by Cancel.
   */
  private settleRunning(): void {
    const s = this.current;
    if (s === undefined || this.outcome === undefined || this.outcome === 'done') return;
    if (this.outcome === 'failed') {
      s.state = 'failed';
      this.failedStep ??= s.id;
    } else s.state = 'pending';
  }

  fail(error: ErrorInfo): void {
    this.running = false;
    this.endedAt = this.now();
    this.outcome = 'failed';
    this.error = error;
    this.settleRunning();
  }
}
