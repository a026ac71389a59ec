/** Runs PostgreSQL's programs: execFile with argument arrays, bounded in time, as a given OS user. */
import { execFile } from 'node:child_process';
import { userInfo } from 'node:os';
import { UserError } from '../../shared/errors.js';

export interface RunOptions {
  /** Run as this OS user (through runuser when we are root). */
  readonly user?: string;
  readonly timeoutMs?: number;
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Arguments put before the command, e.g. ['ip', 'netns', 'exec', 'ns1'] (tests). */
  readonly prefix?: readonly string[];
  readonly allowFailure?: boolean;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The argv that runs `file args` as `user` from the current process. */
export function commandAs(user: string | undefined, file: string, args: readonly string[]): string[] {
  if (user === undefined || user === currentUser()) return [file, ...args];
  if (process.getuid?.() !== 0) {
    throw new UserError('permission-denied', `Running PostgreSQL programs as ${user} needs administrator rights`, 'Run the setup elevated (as root).');
  }
  return ['runuser', '-u', user, '--', file, ...args];
}

function currentUser(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

/** execFile with a timeout; throws a 'process-failed' UserError on a non-zero exit unless allowed. */
export function runCommand(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const argv = [...(options.prefix ?? []), ...commandAs(options.user, file, args)];
  const [cmd, ...rest] = argv as [string, ...string[]];
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      rest,
      {
        timeout: options.timeoutMs ?? 60_000,
        cwd: options.cwd ?? '/',
        env: { ...process.env, LC_ALL: 'C.UTF-8', ...options.env },
        maxBuffer: 16 * 1024 * 1024,
        killSignal: 'SIGKILL',
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        if (err && (err as { killed?: boolean }).killed) {
          reject(new UserError('timeout', `${file.split('/').pop()} did not finish within ${options.timeoutMs ?? 60_000} ms`, 'Check the server log, then try again.'));
          return;
        }
        if (err && typeof err.code === 'string') {
          reject(new UserError('process-failed', `Cannot run ${argv[0]}: ${err.code}`, 'Check that the program is installed.'));
          return;
        }
        if (code !== 0 && !options.allowFailure) {
          const detail = stderr.trim().split('\n').slice(-5).join(' ') || stdout.trim().split('\n').slice(-3).join(' ');
          reject(new UserError('process-failed', `${file.split('/').pop()} failed (exit ${code}): ${detail}`, 'See the message above; fix the cause and run the setup again.'));
          return;
        }
        resolve({ code, stdout, stderr });
      },
    );
  });
}
