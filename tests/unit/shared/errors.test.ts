/**
 * Issue 13: the exit codes as `spsetup --help` documents them, from one mapping; one case per
 * error code, so a new code cannot be added without deciding what it means for a script.
 */
import { describe, expect, it } from 'vitest';
import { EXIT_CODE_BY_ERROR, ExitCode, UserError, exitCodeFor, type ErrorCode } from '../../../electron/shared/errors.js';

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
  'stale-plan': 4,
  'apply-failed': 1,
  'verify-failed': 1,
  'process-failed': 1,
  service: 1,
  timeout: 1,
  cancelled: 1,
};

describe('exit codes', () => {
  it.each(Object.entries(expected))('a UserError %s exits %i', (code, exit) => {
    expect(exitCodeFor(new UserError(code as ErrorCode, 'x'))).toBe(exit);
  });

  it('every error code has its case above', () => {
    expect(Object.keys(EXIT_CODE_BY_ERROR).sort()).toEqual([...Object.keys(expected), 'internal'].sort());
  });

  it('a bug exits 70, whatever was thrown', () => {
    for (const thrown of [new Error('boom'), 'text', undefined, { code: 'ENOENT' }]) expect(exitCodeFor(thrown)).toBe(ExitCode.internal);
  });
});
