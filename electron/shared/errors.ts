/**
 * Two kinds of error (DESIGN.md style 6): a UserError is an expected failure a person can act on
 * (it carries a code, a message and the fix); anything else is a bug and is reported as internal.
 */

/** Exit codes of the `spsetup` command, shared by the CLI, the agent and the GUI. */
export const ExitCode = {
  ok: 0,
  applyFailed: 1,
  invalidInput: 2,
  preflightFailed: 3,
  stalePlan: 4,
  internal: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorCode =
  | 'invalid-input'
  | 'preflight-failed'
  | 'stale-plan'
  | 'apply-failed'
  | 'verify-failed'
  | 'cancelled'
  | 'timeout'
  | 'not-found'
  | 'permission-denied'
  | 'process-failed'
  | 'config-invalid'
  | 'database'
  | 'network'
  | 'service'
  | 'bundle'
  | 'conflict';

/** An expected failure with a message a user can act on. */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fix?: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

/** The serialisable form of an error, as it crosses IPC and lands in the journal. */
export interface ErrorInfo {
  readonly code: ErrorCode | 'internal';
  readonly message: string;
  readonly fix?: string;
}

/** Turns any thrown value into ErrorInfo; unexpected errors become 'internal'. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof UserError) {
    return err.fix ? { code: err.code, message: err.message, fix: err.fix } : { code: err.code, message: err.message };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', message: `Internal error: ${message}`, fix: 'This is a bug in spsetup; please send the log.' };
}

/**
 * The exit code for each error code, as the help text documents them. An error thrown out of a
 * command (not a failed step of a run, which exits 1 through the run's outcome) stopped it before
 * it changed anything, unless the code says a change was under way.
 */
export const EXIT_CODE_BY_ERROR: Readonly<Record<ErrorCode | 'internal', ExitCode>> = {
  // The input (settings, a file named on the command line, a bundle) is wrong: nothing changed.
  'invalid-input': ExitCode.invalidInput,
  bundle: ExitCode.invalidInput,
  'not-found': ExitCode.invalidInput,
  'permission-denied': ExitCode.invalidInput,
  'config-invalid': ExitCode.invalidInput,
  // The machine or the site is not ready (a check before any change): nothing changed.
  'preflight-failed': ExitCode.preflightFailed,
  conflict: ExitCode.preflightFailed,
  database: ExitCode.preflightFailed,
  network: ExitCode.preflightFailed,
  'stale-plan': ExitCode.stalePlan,
  // A change was under way: resume (or roll back) from the journal.
  'apply-failed': ExitCode.applyFailed,
  'verify-failed': ExitCode.applyFailed,
  'process-failed': ExitCode.applyFailed,
  service: ExitCode.applyFailed,
  timeout: ExitCode.applyFailed,
  cancelled: ExitCode.applyFailed,
  internal: ExitCode.internal,
};

/** The exit code that matches an error (see EXIT_CODE_BY_ERROR). */
export function exitCodeFor(err: unknown): ExitCode {
  return EXIT_CODE_BY_ERROR[err instanceof UserError ? err.code : 'internal'];
}
