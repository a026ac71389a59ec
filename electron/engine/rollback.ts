/**
 * Rollback undoes the install, not the last plan: every step that changed something, in any run
 * recorded in the journal (install, re-runs, resume), newest first. A re-run's plan of no-ops
 * therefore does not hide the install before it. What cannot be undone is named, never skipped
 * silently, and makes the rollback's result say so.
 */
import { randomUUID } from 'node:crypto';
import { UserError, toErrorInfo } from '../shared/errors.js';
import type { Plan, PlannedStep, ProgressEvent } from '../shared/plan.js';
import { JournalWriter, readJournal, type JournalEntry } from './journal.js';
import { acquireRunLock, loadPlan, loadPlanById } from './plan-store.js';
import { makeContext, secretValues, type RunnerOptions, type RunResult } from './runner.js';
import type { UndoRecord } from './step-kind.js';

/** One change to undo: a step of a plan, as a run recorded it. */
export interface UndoItem {
  readonly planId: string;
  readonly step: PlannedStep;
  readonly undo?: UndoRecord;
  /** Why it cannot be undone automatically, when it cannot. */
  readonly cannot?: string;
  /** The title of the undo that reverts this change too (then it has none of its own to run). */
  readonly undoneWith?: string;
}

/** The changes recorded in the journal and not undone yet, newest first. */
export function pendingUndo(stateDir: string, canUndo: (kind: string) => boolean, onlyRun?: string): UndoItem[] {
  const pending: Extract<JournalEntry, { type: 'step-done' }>[] = [];
  for (const e of readJournal(stateDir)) {
    if (e.type === 'step-done' && e.changed && (onlyRun === undefined || e.runId === onlyRun)) pending.push(e);
    else if (e.type === 'step-undone') {
      // Undone: the latest change of that step (an older one of the same step stays to undo).
      for (let i = pending.length - 1; i >= 0; i--) {
        if (pending[i]!.planId === e.planId && pending[i]!.stepId === e.stepId) {
          pending.splice(i, 1);
          break;
        }
      }
    }
  }
  const plans = new Map<string, Plan | undefined>();
  const planOf = (id: string) => (plans.has(id) ? plans.get(id) : plans.set(id, loadPlanById(stateDir, id)).get(id));
  const items = pending.reverse().map((entry): UndoItem => {
    const step = planOf(entry.planId)?.steps.find((s) => s.id === entry.stepId);
    if (!step) return { planId: entry.planId, step: { id: entry.stepId, kind: 'unknown', title: entry.stepId, params: {}, action: 'noop', summary: '' }, cannot: `its plan ${entry.planId} is no longer in ${stateDir}` };
    const base = { planId: entry.planId, step, ...(entry.undo ? { undo: entry.undo } : {}) };
    return canUndo(step.kind) ? base : { ...base, cannot: 'this kind of change cannot be undone automatically' };
  });
  // A change inside something another undo removes (a database cluster) goes with it, whether or
  // not it has an undo of its own.
  return items.map((item) => {
    const by = item.step.undoneWith;
    if (by === undefined) return item;
    const owner = items.find((o) => o.planId === item.planId && o.step.id === by && !o.cannot);
    if (!owner) return item;
    const { cannot: _covered, ...rest } = item;
    return { ...rest, undoneWith: owner.step.title };
  });
}

/**
 * Undoes, newest first, every recorded change of this state directory that is not undone yet; with
 * `onlyRun`, only the changes that run made (a failed run taking back its own changes).
 */
export async function rollbackPlan<Sys>(options: RunnerOptions<Sys>, onlyRun?: string): Promise<RunResult> {
  const last = loadPlan(options.stateDir);
  if (!last) throw new UserError('not-found', `There is no plan to resume or roll back in ${options.stateDir}.`, 'Run `spsetup install` first.');
  const release = acquireRunLock(options.stateDir);
  const runId = randomUUID();
  const journal = new JournalWriter(options.stateDir, runId, last.id);
  const emit = (e: ProgressEvent) => options.onEvent?.(e);
  const items = pendingUndo(options.stateDir, (kind) => options.registry.has(kind) && options.registry.get(kind).undo !== undefined, onlyRun);
  const undone: string[] = [];
  const kept: string[] = [];
  const total = items.length;
  try {
    const secrets = secretValues(last, options);
    journal.append({ type: 'run-started', mode: 'rollback' });
    emit({ kind: 'run-started', planId: last.id, mode: 'rollback', total });
    for (const [i, item] of items.entries()) {
      const { step } = item;
      emit({ kind: 'step-started', stepId: step.id, title: `Undo: ${step.title}`, index: i, total });
      let left = item.cannot;
      if (item.undoneWith) emit({ kind: 'log', level: 'info', stepId: step.id, message: `${step.title}: undone with "${item.undoneWith}".` });
      else if (!left) {
        const kind = options.registry.get(step.kind);
        const ctx = makeContext(step, options, emit, secrets);
        try {
          left = (await kind.undo!(kind.params.parse(step.params), ctx, item.undo))?.kept;
        } catch (err) {
          const error = toErrorInfo(err);
          journal.appendFor(item.planId, { type: 'step-failed', stepId: step.id, error });
          journal.append({ type: 'run-finished', outcome: 'failed' });
          emit({ kind: 'step-failed', stepId: step.id, error });
          emit({ kind: 'run-finished', outcome: 'failed', changed: undone, unchanged: kept, error });
          return { runId, outcome: 'failed', changed: undone, unchanged: kept, touched: true, error, failedStep: step.id };
        }
      }
      if (left) {
        kept.push(step.id);
        emit({ kind: 'log', level: 'warn', stepId: step.id, message: `Not undone: ${step.title}: ${left}.` });
        emit({ kind: 'step-finished', stepId: step.id, changed: false, index: i, total });
        continue;
      }
      journal.appendFor(item.planId, { type: 'step-undone', stepId: step.id });
      undone.push(step.id);
      emit({ kind: 'step-finished', stepId: step.id, changed: true, index: i, total });
    }
    journal.append({ type: 'run-finished', outcome: 'rolled-back' });
    emit({ kind: 'run-finished', outcome: 'rolled-back', changed: undone, unchanged: kept });
    return { runId, outcome: 'rolled-back', changed: undone, unchanged: kept, touched: undone.length > 0 };
  } finally {
    release();
  }
}
