/**
 * Issue 13: the exit codes as `spsetup --help` documents them, from one mapping; one case per
 * error code, so a new code cannot be added without deciding what it means for a script. A
 * failure exits 1 only when the command changed something before it failed.
 */
import { describe, expect, it } from 'vitest';
import { EXIT_CODE_BY_ERROR, ExitCode, UserError, afterChange, exitCodeFor, exitCodeForRun, type ErrorCode } from '../../../electron/shared/errors.js';

/** The exit code of each error code when the failure changed nothing. */
const expected: Record<ErrorCode, number> = {
  'invalid-input': 2,
  bundle: 2,
  'not-found': 2,
  'permission-denied': 2,
  'config-invalid': 2,
  'preflight-failed': 3,
  conflict: 3,
  database: 3,
  network: 3,
  'apply-failed': 3,
  'verify-failed': 3,
  'process-failed': 3,
  service: 3,
  timeout: 3,
  cancelled: 3,
  filesystem: 3,
  'stale-plan': 4,
};

describe('exit codes', () => {
  it.each(Object.entries(expected))('a UserError %s that changed nothing exits %i', (code, exit) => {
    expect(exitCodeFor(new UserError(code as ErrorCode, 'x'))).toBe(exit);
  });

  it.each(Object.keys(expected))('a UserError %s thrown after a change exits 1', (code) => {
    const err = afterChange(new UserError(code as ErrorCode, 'x', 'fix it'));
    expect(exitCodeFor(err)).toBe(ExitCode.applyFailed);
    expect([err.code, err.message, err.fix]).toEqual([code, 'x', 'fix it']);
  });

  it.each(Object.entries(expected))('a run that failed with %s before any change exits %i', (code, exit) => {
    expect(exitCodeForRun({ outcome: 'failed', touched: false, left: 0, error: { code: code as ErrorCode, message: 'x' } })).toBe(exit);
  });

  it.each(Object.keys(expected))('a run that failed with %s after a change exits 1', (code) => {
    expect(exitCodeForRun({ outcome: 'failed', touched: true, left: 0, error: { code: code as ErrorCode, message: 'x' } })).toBe(1);
  });

  it('every error code has its case above', () => {
    expect(Object.keys(EXIT_CODE_BY_ERROR).sort()).toEqual([...Object.keys(expected), 'internal'].sort());
  });

  it('a bug exits 70, whatever was thrown, unless it stopped a run after a change (then resume: 1)', () => {
    for (const thrown of [new Error('boom'), 'text', undefined, { code: 'ENOENT' }]) expect(exitCodeFor(thrown)).toBe(ExitCode.internal);
    expect(exitCodeForRun({ outcome: 'failed', touched: false, left: 0, error: { code: 'internal', message: 'x' } })).toBe(70);
    expect(exitCodeForRun({ outcome: 'failed', touched: true, left: 0, error: { code: 'internal', message: 'x' } })).toBe(1);
    expect(exitCodeFor(afterChange(new Error('boom')))).toBe(1);
  });

  it('done exits 0; a cancelled run exits 1 after a change and 3 before any; a rollback exits 1 only when it left changes', () => {
    expect(exitCodeForRun({ outcome: 'done', touched: true, left: 0 })).toBe(0);
    expect(exitCodeForRun({ outcome: 'cancelled', touched: true, left: 0 })).toBe(1);
    expect(exitCodeForRun({ outcome: 'cancelled', touched: false, left: 0 })).toBe(3);
    expect(exitCodeForRun({ outcome: 'rolled-back', touched: true, left: 0 })).toBe(0);
    expect(exitCodeForRun({ outcome: 'rolled-back', touched: true, left: 2 })).toBe(1);
  });
});
