/**
 * Runs PostgreSQL's programs through the injected Processes (argument arrays, bounded in time,
 * secrets masked), as the server's OS account: postgres refuses to run as root.
 */
import { userInfo } from 'node:os';
import { UserError } from '../../shared/errors.js';
import type { ExecResult, Processes } from '../types.js';

export interface PgRunOptions {
  /** Run as this OS user (through runuser when we are root). */
  readonly user?: string | undefined;
  readonly timeoutMs?: number;
  /** Arguments put before the command, e.g. ['ip', 'netns', 'exec', 'ns1'] (tests). */
  readonly prefix?: readonly string[];
  readonly allowFailure?: boolean;
}

function currentUser(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

/** `file args` as `user`: runuser only when that is another account, which needs root. */
export async function runPgProgram(processes: Processes, file: string, args: readonly string[], options: PgRunOptions = {}): Promise<ExecResult> {
  const other = options.user !== undefined && options.user !== currentUser();
  if (other && !processes.isElevated()) {
    throw new UserError('permission-denied', `Running PostgreSQL programs as ${options.user} needs administrator rights`, 'Run the setup elevated (as root).');
  }
  const exec = { cwd: '/', env: { LC_ALL: 'C.UTF-8' }, timeoutMs: options.timeoutMs ?? 60_000, ...(options.allowFailure ? { allowFailure: true } : {}) };
  const prefix = options.prefix ?? [];
  if (prefix.length === 0) return processes.run(file, args, other ? { ...exec, user: options.user! } : exec);
  // runuser goes after the prefix (inside the namespace), so the prefix itself runs as us.
  const [cmd, ...rest] = [...prefix, ...(other ? ['runuser', '-u', options.user!, '--'] : []), file, ...args] as [string, ...string[]];
  return processes.run(cmd, rest, exec);
}
