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
}

export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
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
  overall = $derived(this.steps.length === 0 ? 0 : Math.round((100 * this.steps.filter((s) => s.state === 'done' || s.state === 'unchanged').length) / this.steps.length));

  /** Starts a fresh run over the plan's steps. */
  begin(plan: Plan | undefined): void {
    this.steps = (plan?.steps ?? []).map((s) => ({ id: s.id, title: s.title, state: 'pending', percent: 0, detail: '' }));
    this.log = [];
    this.running = true;
    this.outcome = undefined;
    this.error = undefined;
    this.failedStep = undefined;
  }

  /** Continues after a failure (resume/rollback keep the step list). */
  continue(): void {
    this.running = true;
    this.outcome = undefined;
    this.error = undefined;
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
        this.log.push({ level: 'info', message: `${e.mode === 'apply' ? 'Installing' : e.mode === 'resume' ? 'Resuming' : 'Rolling back'}: ${e.total} steps` });
        break;
      case 'step-started': {
        const s = this.step(e.stepId, e.title);
        s.state = 'running';
        s.percent = 0;
        this.log.push({ level: 'info', message: `Step ${e.index + 1} of ${e.total}: ${e.title}` });
        break;
      }
      case 'step-progress': {
        const s = this.step(e.stepId);
        s.percent = Math.max(0, Math.min(100, e.percent));
        s.detail = e.detail ?? s.detail;
        break;
      }
      case 'log':
        this.log.push({ level: e.level, message: e.message });
        break;
      case 'step-finished': {
        const s = this.step(e.stepId);
        s.state = e.changed ? 'done' : 'unchanged';
        s.percent = 100;
        break;
      }
      case 'step-failed': {
        const s = this.step(e.stepId);
        s.state = 'failed';
        this.failedStep = e.stepId;
        this.error = e.error;
        this.log.push({ level: 'error', message: `${s.title}: ${e.error.message}` });
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
    this.outcome = result.outcome;
    this.logPath = result.logPath;
    if (result.error) this.error = result.error;
  }

  fail(error: ErrorInfo): void {
    this.running = false;
    this.outcome = 'failed';
    this.error = error;
  }
}
