import { spawn } from 'node:child_process';
import { unwatchGroup, watchGroup } from './child-reaper.js';
import { readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { basename } from 'node:path';
import { UserError } from '../shared/errors.js';
import { accountEnv, runuserTarget } from './child-env.js';
import { maskSecrets } from './mask-secrets.js';
import type { ExecOptions, ExecResult, Processes } from './types.js';

/** Output beyond this is dropped (the tail is kept) so a chatty child cannot exhaust memory. */
const maxCaptureBytes = 8 * 1024 * 1024;
const defaultTimeoutMs = 10 * 60 * 1000;
const stderrTailChars = 2000;

export interface PasswdEntry {
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** Processes on Linux: execFile-style argument arrays (never a shell), `runuser` for other accounts. */
export class PosixProcesses implements Processes {
  /** Runs `file` with `args`; masks `options.secrets` in the result and in errors. */
  async run(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const [cmd, argv] = options.user ? ['runuser', ['-u', options.user, '--', file, ...args]] : [file, [...args]];
    const name = basename(file);
    const secrets = options.secrets ?? [];
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    // A child running as another account gets that account's minimal environment, never ours.
    const account = options.user ?? runuserTarget(file, args);
    const env = account !== undefined ? accountEnv(account, (await this.lookupUser(account))?.home, options.env) : buildEnv(options.env);
    const raw = await spawnCaptured(cmd, argv, { ...options, env }, timeoutMs);
    if (raw.kind === 'missing') {
      throw new UserError('not-found', `Command not found: ${name}`, `Install ${name} or check the PATH.`);
    }
    const stdout = maskSecrets(raw.stdout, secrets);
    const stderr = maskSecrets(raw.stderr, secrets);
    if (raw.kind === 'timeout') {
      throw new UserError(
        'timeout',
        `${name} did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped.`,
        `Check what ${name} is waiting for (a prompt, a lock, the network) and try again.`,
        { command: name, stderrTail: tail(stderr) },
      );
    }
    const code = raw.code;
    if (code !== 0 && !options.allowFailure) {
      const detail = tail(stderr).trim() || tail(stdout).trim();
      throw new UserError(
        'process-failed',
        `${name} failed with exit code ${code}${detail ? `: ${detail}` : ''}`,
        `Read the message above from ${name}; fix the cause and try again.`,
        { command: name, code, stderrTail: tail(stderr) },
      );
    }
    return { code, stdout, stderr };
  }

  /** True when running as root. */
  isElevated(): boolean {
    return typeof process.getuid === 'function' && process.getuid() === 0;
  }

  /** Looks a user up through NSS (`getent passwd`), falling back to /etc/passwd. */
  async lookupUser(name: string): Promise<PasswdEntry | undefined> {
    if (name === '') return undefined;
    try {
      const res = await this.run('getent', ['passwd', '--', name], { allowFailure: true, timeoutMs: 15_000 });
      if (res.code === 2) return undefined;
      if (res.code === 0) return parsePasswdLine(res.stdout.split('\n')[0] ?? '');
    } catch (err) {
      if (!(err instanceof UserError && err.code === 'not-found')) throw err;
    }
    const passwd = await readFile('/etc/passwd', 'utf8');
    const line = passwd.split('\n').find((l) => l.split(':')[0] === name);
    return line ? parsePasswdLine(line) : undefined;
  }

  /** The account name of a uid through NSS (`getent passwd UID`), falling back to /etc/passwd. */
  async lookupUserName(uid: number): Promise<string | undefined> {
    if (!Number.isInteger(uid) || uid < 0) return undefined;
    try {
      const res = await this.run('getent', ['passwd', '--', String(uid)], { allowFailure: true, timeoutMs: 15_000 });
      if (res.code === 2) return undefined;
      if (res.code === 0) return res.stdout.split(':')[0] || undefined;
    } catch (err) {
      if (!(err instanceof UserError && err.code === 'not-found')) throw err;
    }
    const passwd = await readFile('/etc/passwd', 'utf8');
    return passwd.split('\n').map((l) => l.split(':')).find((f) => f[2] === String(uid))?.[0];
  }
}

/** Parses one /etc/passwd line (name:x:uid:gid:gecos:home:shell). */
export function parsePasswdLine(line: string): PasswdEntry | undefined {
  const parts = line.trim().split(':');
  if (parts.length < 7) return undefined;
  const uid = Number(parts[2]);
  const gid = Number(parts[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) return undefined;
  return { uid, gid, home: parts[5] ?? '' };
}

/** How long output may stay open after the child exited (held by a process it left running). */
const exitGraceMs = 1_000;

function tail(text: string): string {
  return text.length > stderrTailChars ? `...${text.slice(-stderrTailChars)}` : text;
}

type RawResult =
  | { readonly kind: 'exit'; readonly code: number; readonly stdout: string; readonly stderr: string }
  | { readonly kind: 'timeout'; readonly stdout: string; readonly stderr: string }
  | { readonly kind: 'missing' };

function buildEnv(env: ExecOptions['env']): NodeJS.ProcessEnv | undefined {
  if (!env) return undefined;
  const merged: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

/**
 * spawn without a shell, in its own process group so a timeout kills the whole tree (runuser and
 * its child), and registered with the reaper so the tree dies with the installer too.
 */
function spawnCaptured(cmd: string, argv: string[], options: Omit<ExecOptions, 'env'> & { readonly env: NodeJS.ProcessEnv | undefined }, timeoutMs: number): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      shell: false,
    });
    const group = child.pid;
    if (group !== undefined) {
      watchGroup(group);
      // Once the leader is gone, what is left in its group was meant to stay (pg_ctl's server, say).
      child.once('exit', () => unwatchGroup(group));
    }
    const out = new Capture();
    const err = new Capture();
    let timedOut = false;
    let settled = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.add(d));
    child.stderr.on('data', (d: Buffer) => err.add(d));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (e.code === 'ENOENT') resolve({ kind: 'missing' });
      else reject(e);
    });
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (timedOut) resolve({ kind: 'timeout', stdout: out.text(), stderr: err.text() });
      else resolve({ kind: 'exit', code: code ?? (signal ? 128 + signalNumber(signal) : 1), stdout: out.text(), stderr: err.text() });
    };
    child.on('close', finish);
    // A daemon the child started (pg_ctl's server, say) may keep our pipes open after the child
    // exits, and 'close' would never come: finish shortly after the exit with what was read.
    child.on('exit', (code, signal) => {
      setTimeout(() => {
        if (settled) return;
        child.stdout.destroy();
        child.stderr.destroy();
        finish(code, signal);
      }, exitGraceMs).unref();
    });
    // A child that exits without reading stdin must not crash us with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 0;
}

class Capture {
  private chunks: Buffer[] = [];
  private size = 0;
  add(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > maxCaptureBytes && this.chunks.length > 1) this.size -= this.chunks.shift()?.length ?? 0;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
