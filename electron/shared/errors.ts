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

/** The exit code that matches an error. */
export function exitCodeFor(err: unknown): ExitCode {
  if (!(err instanceof UserError)) return ExitCode.internal;
  switch (err.code) {
    case 'invalid-input':
    case 'bundle':
      return ExitCode.invalidInput;
    case 'preflight-failed':
      return ExitCode.preflightFailed;
    case 'stale-plan':
      return ExitCode.stalePlan;
    default:
      return ExitCode.applyFailed;
  }
}
