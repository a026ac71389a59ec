/** The journal a killed run resumes from: durable private lines, a torn last line ignored, replay per plan. */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JOURNAL_FILE, JournalWriter, lastOutcome, readJournal, replaySteps } from '../../../electron/engine/journal.js';

describe('journal', () => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = join(mkdtempSync(join(tmpdir(), 'journal-')), 'state');
  });
  afterEach(() => rmSync(join(stateDir, '..'), { recursive: true, force: true }));

  it('creates a private state folder and journal, one JSON line per entry with run and plan ids', () => {
    const w = new JournalWriter(stateDir, 'run-1', 'plan-a');
    w.append({ type: 'run-started', mode: 'apply' });
    w.append({ type: 'step-done', stepId: 's1', changed: true });
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(stateDir, JOURNAL_FILE)).mode & 0o777).toBe(0o600);
    const lines = readFileSync(join(stateDir, JOURNAL_FILE), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l['type'], l['runId'], l['planId']])).toEqual([
      ['run-started', 'run-1', 'plan-a'],
      ['step-done', 'run-1', 'plan-a'],
    ]);
  });

  it('ignores a torn last line (a kill mid-write) and keeps every entry before it', () => {
    const w = new JournalWriter(stateDir, 'run-1', 'plan-a');
    w.append({ type: 'run-started', mode: 'apply' });
    w.append({ type: 'step-done', stepId: 's1', changed: true });
    appendFileSync(join(stateDir, JOURNAL_FILE), '{"type":"step-do');
    expect(readJournal(stateDir).map((e) => e.type)).toEqual(['run-started', 'step-done']);
  });

  it('reads an absent journal as empty', () => {
    expect(readJournal(stateDir)).toEqual([]);
  });

  it('replays the state of each step of one plan only: done, failed, undone', () => {
    const w = new JournalWriter(stateDir, 'run-1', 'plan-a');
    w.append({ type: 'step-done', stepId: 's1', changed: true, undo: { created: true } });
    w.append({ type: 'step-failed', stepId: 's2', error: { code: 'conflict', message: 'in the way' } });
    w.appendFor('plan-b', { type: 'step-done', stepId: 's3', changed: true });
    w.append({ type: 'step-done', stepId: 's4', changed: false });
    w.append({ type: 'step-undone', stepId: 's4' });
    const steps = replaySteps(readJournal(stateDir), 'plan-a');
    expect(Object.fromEntries(steps)).toEqual({
      s1: { done: true, changed: true, undo: { created: true } },
      s2: { done: false, changed: false, failed: { code: 'conflict', message: 'in the way' } },
      s4: { done: false, changed: false },
    });
  });

  it('tells a run that finished from one that was interrupted', () => {
    const w = new JournalWriter(stateDir, 'run-1', 'plan-a');
    expect(lastOutcome(readJournal(stateDir), 'plan-a')).toBeUndefined();
    w.append({ type: 'run-started', mode: 'apply' });
    expect(lastOutcome(readJournal(stateDir), 'plan-a')).toBe('interrupted');
    w.append({ type: 'run-finished', outcome: 'failed' });
    expect(lastOutcome(readJournal(stateDir), 'plan-a')).toBe('failed');
    new JournalWriter(stateDir, 'run-2', 'plan-a').append({ type: 'run-started', mode: 'resume' });
    expect(lastOutcome(readJournal(stateDir), 'plan-a')).toBe('interrupted');
  });
});
