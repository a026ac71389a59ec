/**
 * The append-only journal (JSON lines) in the state directory. Every line is fsynced before the
 * runner moves on, so a killed process leaves an exact record to resume from. Never a secret.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorInfo } from '../shared/errors.js';
import type { RunMode, RunOutcome } from '../shared/plan.js';
import type { UndoRecord } from './step-kind.js';

export type JournalEntry = { readonly ts: string; readonly runId: string; readonly planId: string } & (
  | { readonly type: 'run-started'; readonly mode: RunMode }
  | { readonly type: 'step-started'; readonly stepId: string }
  | { readonly type: 'step-done'; readonly stepId: string; readonly changed: boolean; readonly undo?: UndoRecord }
  | { readonly type: 'step-failed'; readonly stepId: string; readonly error: ErrorInfo }
  | { readonly type: 'step-undone'; readonly stepId: string }
  | { readonly type: 'run-finished'; readonly outcome: RunOutcome }
);

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type JournalRecord = DistributiveOmit<JournalEntry, 'ts' | 'runId' | 'planId'>;

export const JOURNAL_FILE = 'journal.jsonl';

/** Appends entries for one run; each append is durable before it returns. */
export class JournalWriter {
  private readonly path: string;

  constructor(
    stateDir: string,
    readonly runId: string,
    readonly planId: string,
  ) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    this.path = join(stateDir, JOURNAL_FILE);
  }

  /** Appends one entry and fsyncs it. */
  append(record: JournalRecord): void {
    this.appendFor(this.planId, record);
  }

  /** Appends an entry about a step of another plan (a rollback undoes steps of earlier plans too). */
  appendFor(planId: string, record: JournalRecord): void {
    const entry = { ts: new Date().toISOString(), runId: this.runId, planId, ...record };
    const fd = openSync(this.path, 'a', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(entry)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/** Every entry in the journal; a torn last line (killed mid-write) is ignored. */
export function readJournal(stateDir: string): JournalEntry[] {
  let text: string;
  try {
    text = readFileSync(join(stateDir, JOURNAL_FILE), 'utf8');
  } catch {
    return [];
  }
  const entries: JournalEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      entries.push(JSON.parse(line) as JournalEntry);
    } catch {
      // Only the last line can be torn by a kill; anything after it is not ours to guess at.
      break;
    }
  }
  return entries;
}

export interface StepRecord {
  readonly done: boolean;
  readonly changed: boolean;
  readonly undo?: UndoRecord;
  readonly failed?: ErrorInfo;
}

/** The state of each step of one plan, replayed from the journal. */
export function replaySteps(entries: readonly JournalEntry[], planId: string): Map<string, StepRecord> {
  const steps = new Map<string, StepRecord>();
  for (const e of entries) {
    if (e.planId !== planId) continue;
    if (e.type === 'step-done') steps.set(e.stepId, e.undo ? { done: true, changed: e.changed, undo: e.undo } : { done: true, changed: e.changed });
    else if (e.type === 'step-failed') steps.set(e.stepId, { done: false, changed: false, failed: e.error });
    else if (e.type === 'step-undone') steps.set(e.stepId, { done: false, changed: false });
  }
  return steps;
}

/** The outcome of the last run of a plan, if it finished. */
export function lastOutcome(entries: readonly JournalEntry[], planId: string): RunOutcome | 'interrupted' | undefined {
  let outcome: RunOutcome | 'interrupted' | undefined;
  for (const e of entries) {
    if (e.planId !== planId) continue;
    if (e.type === 'run-started') outcome = 'interrupted';
    else if (e.type === 'run-finished') outcome = e.outcome;
  }
  return outcome;
}
