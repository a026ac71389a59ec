/**
 * The runner: applies a plan step by step with a durable journal, resumes after a failure or a
 * kill, refuses stale plans (rollback: rollback.ts), and stops between steps when cancelled.
 */
import { randomUUID } from 'node:crypto';
import { UserError, afterChange, toErrorInfo, type ErrorInfo } from '../shared/errors.js';
import type { Plan, PlannedStep, ProgressEvent, RunMode, RunOutcome } from '../shared/plan.js';
import { staleReason } from './basis.js';
import { changedFacts, fingerprintFacts } from './fingerprint.js';
import { JournalWriter, readJournal, replaySteps, type StepRecord } from './journal.js';
import { acquireRunLock, loadPlan, savePlan } from './plan-store.js';

export { rollbackPlan } from './rollback.js';
import type { StepRegistry } from './registry.js';
import type { StepContext } from './step-kind.js';

export interface RunnerOptions<Sys> {
  readonly registry: StepRegistry<Sys>;
  readonly sys: Sys;
  readonly stateDir: string;
  /** Resolves a secret by name; undefined when it cannot be had. */
  readonly secrets: (name: string) => string | undefined;
  readonly onEvent?: (event: ProgressEvent) => void;
  readonly signal?: AbortSignal;
  /** Re-gathers the facts, for the stale-plan check. */
  readonly gatherFacts?: () => Promise<Readonly<Record<string, unknown>>>;
}

export interface RunResult {
  readonly runId: string;
  readonly outcome: RunOutcome;
  readonly changed: readonly string[];
  readonly unchanged: readonly string[];
  /** Whether this run (or an earlier run of the plan it resumed) may have changed the machine: a step changed, or one failed inside its apply. */
  readonly touched: boolean;
  readonly error?: ErrorInfo;
  readonly failedStep?: string;
}

/** Applies a freshly made plan (refused when its facts have changed since). */
export async function applyPlan<Sys>(plan: Plan, options: RunnerOptions<Sys>): Promise<RunResult> {
  if (options.gatherFacts) {
    const now = fingerprintFacts(await options.gatherFacts());
    if (now.fingerprint !== plan.fingerprint) {
      const changed = changedFacts(plan.factDigests, now.digests);
      throw new UserError(
        'stale-plan',
        `The plan is out of date: the machine changed since it was made (${changed.join(', ') || 'facts'}).`,
        'Make the plan again, review it, then apply it.',
      );
    }
  }
  await refuseChangedChecks(plan, options);
  return run(plan, 'apply', new Map(), options);
}

/**
 * Checks every step again on the machine as it is, before any change: each must find what the
 * plan shows (same basis, action and diff), or the whole plan is refused as stale.
 */
async function refuseChangedChecks<Sys>(plan: Plan, options: RunnerOptions<Sys>): Promise<void> {
  const secrets = secretValues(plan, options);
  const stale: string[] = [];
  for (const step of plan.steps) {
    const kind = options.registry.get(step.kind);
    const ctx = { ...makeContext(step, options, () => undefined, secrets), signal: new AbortController().signal };
    const reason = await kind.check(kind.params.parse(step.params), ctx).then(
      (now) => staleReason(step, now),
      (err: unknown) => `its check now fails: ${maskAll(toErrorInfo(err).message, secrets)}`,
    );
    if (reason) stale.push(`step "${step.id}" (${step.title}): ${reason}`);
  }
  if (stale.length) {
    throw new UserError('stale-plan', `The plan is out of date, so nothing was changed: ${stale.slice(0, 3).join('; ')}${stale.length > 3 ? ` (and ${stale.length - 3} more steps)` : ''}.`, 'Make the plan again, review it, then apply it.');
  }
}

/** Continues the last plan applied from this state directory at its first unfinished step. */
export async function resumePlan<Sys>(options: RunnerOptions<Sys>): Promise<RunResult> {
  const plan = requireSavedPlan(options.stateDir);
  return run(plan, 'resume', replaySteps(readJournal(options.stateDir), plan.id), options);
}

function requireSavedPlan(stateDir: string): Plan {
  const plan = loadPlan(stateDir);
  if (!plan) throw new UserError('not-found', `There is no plan to resume or roll back in ${stateDir}.`, 'Run `spsetup install` first.');
  return plan;
}

/** The values of the secrets a plan names; refuses, before any change, when one is missing. */
export function secretValues<Sys>(plan: Plan, options: RunnerOptions<Sys>): Map<string, string> {
  const values = new Map<string, string>();
  const missing: string[] = [];
  for (const name of plan.secrets) {
    const value = options.secrets(name);
    if (value === undefined) missing.push(name);
    else values.set(name, value);
  }
  if (missing.length) {
    throw new UserError('invalid-input', `These secrets are needed and were not given: ${missing.join(', ')}.`, 'Give them in the settings, as a file reference or an environment variable.');
  }
  return values;
}

function maskAll(text: string, secrets: ReadonlyMap<string, string>): string {
  let out = text;
  for (const value of [...secrets.values()].filter((v) => v.length > 0).sort((a, b) => b.length - a.length)) out = out.split(value).join('***');
  return out;
}

/** The context a step's check, apply or undo runs with: secrets resolved, logs masked. */
export function makeContext<Sys>(
  step: PlannedStep,
  options: RunnerOptions<Sys>,
  emit: (e: ProgressEvent) => void,
  secrets: ReadonlyMap<string, string>,
): StepContext<Sys> {
  return {
    sys: options.sys,
    stateDir: options.stateDir,
    signal: options.signal ?? new AbortController().signal,
    secret(name) {
      const value = secrets.get(name);
      if (value === undefined) throw new Error(`step ${step.id} asked for secret "${name}" that its plan does not list`);
      return value;
    },
    log(message, level = 'info') {
      emit({ kind: 'log', level, stepId: step.id, message: maskAll(message, secrets) });
    },
    progress(percent, detail) {
      const p = Math.max(0, Math.min(100, Math.round(percent)));
      emit(detail === undefined ? { kind: 'step-progress', stepId: step.id, percent: p } : { kind: 'step-progress', stepId: step.id, percent: p, detail: maskAll(detail, secrets) });
    },
  };
}

async function run<Sys>(plan: Plan, mode: RunMode, records: Map<string, StepRecord>, options: RunnerOptions<Sys>): Promise<RunResult> {
  const secrets = secretValues(plan, options);
  for (const step of plan.steps) options.registry.get(step.kind); // unknown kinds fail before any change
  const release = acquireRunLock(options.stateDir);
  const runId = randomUUID();
  const journal = new JournalWriter(options.stateDir, runId, plan.id);
  const emit = (e: ProgressEvent) => options.onEvent?.(e);
  const changed: string[] = [];
  const unchanged: string[] = [];
  const total = plan.steps.length;
  let applying = false;
  const finish = (outcome: RunOutcome, error?: ErrorInfo, failedStep?: string): RunResult => {
    journal.append({ type: 'run-finished', outcome });
    emit(error ? { kind: 'run-finished', outcome, changed, unchanged, error } : { kind: 'run-finished', outcome, changed, unchanged });
    const base = { runId, outcome, changed, unchanged, touched: changed.length > 0 || applying };
    return error ? { ...base, error, ...(failedStep ? { failedStep } : {}) } : base;
  };
  try {
    savePlan(options.stateDir, plan);
    journal.append({ type: 'run-started', mode });
    emit({ kind: 'run-started', planId: plan.id, mode, total });
    for (const [index, step] of plan.steps.entries()) {
      const previous = records.get(step.id);
      if (previous?.done) {
        (previous.changed ? changed : unchanged).push(step.id);
        continue;
      }
      if (options.signal?.aborted) return finish('cancelled');
      emit({ kind: 'step-started', stepId: step.id, title: step.title, index, total });
      journal.append({ type: 'step-started', stepId: step.id });
      const kind = options.registry.get(step.kind);
      const ctx = makeContext(step, options, emit, secrets);
      try {
        const params = kind.params.parse(step.params);
        const check = await kind.check(params, ctx);
        let undo: Record<string, unknown> | undefined;
        if (check.action !== 'noop') {
          ctx.log(check.summary);
          applying = true;
          undo = (await kind.apply(params, ctx)) ?? undefined;
          applying = false;
        }
        await kind.verify(params, ctx);
        const didChange = check.action !== 'noop';
        journal.append(undo ? { type: 'step-done', stepId: step.id, changed: didChange, undo } : { type: 'step-done', stepId: step.id, changed: didChange });
        (didChange ? changed : unchanged).push(step.id);
        emit({ kind: 'step-finished', stepId: step.id, changed: didChange, index, total });
      } catch (err) {
        const error = maskError(toErrorInfo(err), secrets);
        journal.append({ type: 'step-failed', stepId: step.id, error });
        emit({ kind: 'step-failed', stepId: step.id, error });
        return finish('failed', error, step.id);
      }
    }
    return finish('done');
  } catch (err) {
    // Only the journal or the plan store can throw here (a full or read-only state folder): after a change, exit 1.
    throw changed.length > 0 || applying ? afterChange(err) : err;
  } finally {
    release();
  }
}

function maskError(error: ErrorInfo, secrets: ReadonlyMap<string, string>): ErrorInfo {
  const message = maskAll(error.message, secrets);
  return error.fix ? { code: error.code, message, fix: maskAll(error.fix, secrets) } : { code: error.code, message };
}
