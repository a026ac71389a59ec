/**
 * Two kinds of error (DESIGN.md style 6): a UserError is an expected failure a person can act on
 * (it carries a code, a message and the fix); anything else is a bug and is reported as internal.
 */
import { describeFsFailure, isErrnoError, type ErrnoLike, type FsCauseFacts } from './fs-error.js';

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
  | 'conflict'
  | 'filesystem';

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

  /** Set (by afterChange) when the command had changed something before this failure: it exits 1. */
  changedSomething = false;
}

/** The typed error (code 'filesystem') for an fs error on `path`: names the path and the cause. */
export function filesystemError(err: ErrnoLike, path?: string, facts: FsCauseFacts = {}, action?: string): UserError {
  const d = describeFsFailure(err, path, facts, action);
  return new UserError('filesystem', d.message, d.fix, { path: d.path, errno: err.code, ...(err.syscall ? { syscall: err.syscall } : {}) });
}

/** The serialisable form of an error, as it crosses IPC and lands in the journal. */
export interface ErrorInfo {
  readonly code: ErrorCode | 'internal';
  readonly message: string;
  readonly fix?: string;
}

/** Turns any thrown value into ErrorInfo; unexpected errors become 'internal'. */
export function toErrorInfo(err: unknown): ErrorInfo {
  // A file system error that no adapter turned into a UserError still names its path and cause.
  if (!(err instanceof UserError) && isErrnoError(err)) return toErrorInfo(filesystemError(err));
  if (err instanceof UserError) {
    return err.fix ? { code: err.code, message: err.message, fix: err.fix } : { code: err.code, message: err.message };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', message: `Internal error: ${message}`, fix: 'This is a bug in spsetup; please send the log.' };
}

/**
 * The one exit-code mapping (issue 13). A failure exits 1 ("apply failed: resume or roll back")
 * exactly when the command changed something before it failed; otherwise its error code says what
 * kind of problem stopped it before any change. This table is that second case.
 */
export const EXIT_CODE_BY_ERROR: Readonly<Record<ErrorCode | 'internal', ExitCode>> = {
  // The input (settings, a file named on the command line, a bundle) is wrong.
  'invalid-input': ExitCode.invalidInput,
  bundle: ExitCode.invalidInput,
  'not-found': ExitCode.invalidInput,
  'permission-denied': ExitCode.invalidInput,
  'config-invalid': ExitCode.invalidInput,
  // The machine or the site is not ready: a check, or a step that failed before it changed anything.
  'preflight-failed': ExitCode.preflightFailed,
  conflict: ExitCode.preflightFailed,
  database: ExitCode.preflightFailed,
  network: ExitCode.preflightFailed,
  'apply-failed': ExitCode.preflightFailed,
  'verify-failed': ExitCode.preflightFailed,
  'process-failed': ExitCode.preflightFailed,
  service: ExitCode.preflightFailed,
  timeout: ExitCode.preflightFailed,
  cancelled: ExitCode.preflightFailed,
  filesystem: ExitCode.preflightFailed,
  'stale-plan': ExitCode.stalePlan,
  internal: ExitCode.internal,
};

/** Marks an error as thrown after its command changed something (it then exits 1). */
export function afterChange(err: unknown): UserError {
  const info = toErrorInfo(err);
  const wrapped = new UserError(info.code === 'internal' ? 'apply-failed' : info.code, info.message, info.fix);
  wrapped.changedSomething = true;
  return wrapped;
}

/** The exit code of an error thrown out of a command: 1 when it had changed something, else by its code (a bug: 70). */
export function exitCodeFor(err: unknown): ExitCode {
  if (!(err instanceof UserError)) return ExitCode.internal;
  return err.changedSomething ? ExitCode.applyFailed : EXIT_CODE_BY_ERROR[err.code];
}

/** What a finished run says about itself, for its exit code. */
export interface RunExitFacts {
  readonly outcome: 'done' | 'failed' | 'cancelled' | 'rolled-back';
  /** Whether this run (or an earlier run of the same plan it resumed) may have changed the machine. */
  readonly touched: boolean;
  /** Changes a rollback had to leave in place. */
  readonly left: number;
  readonly error?: ErrorInfo;
}

/** The exit code of a run: 0 done; 1 failed or cancelled after a change, or a rollback that left changes; else by the error's code. */
export function exitCodeForRun(run: RunExitFacts): ExitCode {
  if (run.outcome === 'done') return ExitCode.ok;
  if (run.outcome === 'rolled-back') return run.left ? ExitCode.applyFailed : ExitCode.ok;
  if (run.touched) return ExitCode.applyFailed;
  return EXIT_CODE_BY_ERROR[run.error?.code ?? 'cancelled'];
}
