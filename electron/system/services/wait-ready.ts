/**
 * Service readiness, the one implementation every service manager uses: the manifest's log line
 * (only text written since the start counts, so a ready line from an earlier run does not) and/or
 * its port, as the readiness says; with neither, a running service is ready. Bounded in time.
 */
import { lstat } from 'node:fs/promises';
import { openNoFollow } from '../no-follow.js';
import { UserError, type ErrorCode } from '../../shared/errors.js';
import type { Network, Readiness, ServiceState } from '../types.js';

const shownLogLines = 10;

/** Reads a service log: its size now, and the text after a byte offset. */
export interface LogReader {
  size(path: string): Promise<number>;
  readFrom(path: string, offset: number): Promise<string>;
}

/** What one poll learns of the service: its state, and an error that ends the wait at once. */
export interface ServiceProbe {
  readonly state: ServiceState;
  readonly failure?: UserError;
}

export interface ReadyWait {
  readonly name: string;
  readonly readiness: Readiness;
  readonly logFile?: string;
  /** Only log text after this byte offset counts (the size of the log when the service was started). */
  readonly fromOffset: number;
  readonly log: LogReader;
  readonly canConnect: (port: number) => Promise<boolean>;
  readonly probe: () => Promise<ServiceProbe>;
  readonly pollMs: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** The error code of a timeout and the advice when no log is known (they differ by platform). */
  readonly timeout: { readonly code: ErrorCode; readonly fixWithoutLog: string };
}

/** Reads logs from the file system. */
export const fileLogReader: LogReader = {
  async size(path) {
    try {
      return (await lstat(path)).size;
    } catch {
      return 0;
    }
  },
  async readFrom(path, offset) {
    let handle;
    try {
      // Root reads logs in folders the service account owns: never through its links.
      handle = await openNoFollow(path);
    } catch {
      return '';
    }
    try {
      const { size, isFile } = await handle.stat().then((st) => ({ size: st.size, isFile: st.isFile() }));
      if (!isFile) return '';
      // A log that shrank was rotated or truncated: everything in it is new.
      const start = size < offset ? 0 : offset;
      const buffer = Buffer.alloc(Math.min(size - start, 4 * 1024 * 1024));
      await handle.read(buffer, 0, buffer.length, Math.max(start, size - buffer.length));
      return buffer.toString('utf8');
    } finally {
      await handle.close();
    }
  },
};

/** A LogReader over a function that returns a whole log's text (undefined when missing). */
export function textLogReader(readText: (path: string) => Promise<string | undefined>): LogReader {
  const bytes = async (path: string) => Buffer.from((await readText(path)) ?? '', 'utf8');
  return {
    size: async (path) => (await bytes(path)).length,
    async readFrom(path, offset) {
      const all = await bytes(path);
      return all.subarray(all.length < offset ? 0 : offset).toString('utf8');
    },
  };
}

/** The probes of a Linux manager whose supervisor restarts a crashed service: only a missing service ends the wait early. */
export function supervisedProbes(name: string, network: Network, status: () => Promise<ServiceState>): Pick<ReadyWait, 'log' | 'canConnect' | 'probe' | 'pollMs' | 'timeout'> {
  return {
    log: fileLogReader,
    canConnect: (port) => network.canConnect('127.0.0.1', port, 500),
    probe: async () => {
      const state = await status();
      return state === 'missing' ? { state, failure: new UserError('not-found', `Service ${name} is not installed.`, 'Install the service first.') } : { state };
    },
    pollMs: 100,
    timeout: { code: 'service', fixWithoutLog: 'Read the service log for the cause, fix it and start the service again.' },
  };
}

/** Size of a log in bytes (0 when missing), to pass as `fromOffset` when a service starts. */
export async function fileSize(path: string | undefined, log: LogReader = fileLogReader): Promise<number> {
  return path ? log.size(path) : 0;
}

/**
 * Polls until the service is ready (see the module comment), failing at once on the probe's
 * failure; throws a UserError with the last log lines on timeout.
 */
export async function waitForReadiness(wait: ReadyWait): Promise<void> {
  const { readiness, name, logFile } = wait;
  const now = wait.now ?? Date.now;
  const sleep = wait.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const pattern = readiness.logLine ? new RegExp(readiness.logLine.source, readiness.logLine.flags.replace(/[gy]/g, '')) : undefined;
  if (pattern && !logFile) {
    throw new UserError('invalid-input', `No log file is known for ${name} to look for its ready line in.`, 'Pass the log file.');
  }
  const deadline = now() + readiness.timeoutMs;
  const lineSeen = async () => pattern !== undefined && logFile !== undefined && (await wait.log.readFrom(logFile, wait.fromOffset)).split('\n').some((l) => pattern.test(l));
  const portOpen = async () => readiness.port !== undefined && (await wait.canConnect(readiness.port));
  for (;;) {
    const probe = await wait.probe();
    if (probe.failure) throw probe.failure;
    if (await isReady(readiness, pattern !== undefined, probe.state, lineSeen, portOpen)) return;
    if (now() >= deadline) break;
    await sleep(wait.pollMs);
  }
  const wanted = [pattern ? `the log line /${pattern.source}/` : undefined, readiness.port !== undefined ? `port ${readiness.port}` : undefined].filter((w) => w !== undefined);
  const what = wanted.length ? wanted.join(readiness.needs === 'all' ? ' and ' : ' or ') : 'running';
  const lastLines = logFile ? lastLinesOf(await wait.log.readFrom(logFile, wait.fromOffset)) : '';
  throw new UserError(
    wait.timeout.code,
    `Service ${name} was not ready within ${Math.round(readiness.timeoutMs / 1000)} s (waited for ${what}).${lastLines ? `\nLast log lines:\n${lastLines}` : ''}`,
    logFile ? `Read ${logFile} to see what the service is waiting for.` : wait.timeout.fixWithoutLog,
    { service: name },
  );
}

/** The rule: 'any' (default) of the checks given, or 'all' of them; with none, running. */
async function isReady(r: Readiness, hasLine: boolean, state: ServiceState, lineSeen: () => Promise<boolean>, portOpen: () => Promise<boolean>): Promise<boolean> {
  const checks = [...(hasLine ? [lineSeen] : []), ...(r.port !== undefined ? [portOpen] : [])];
  if (checks.length === 0) return state === 'running';
  for (const check of checks) {
    const ok = await check();
    if (ok && r.needs !== 'all') return true;
    if (!ok && r.needs === 'all') return false;
  }
  return r.needs === 'all';
}

function lastLinesOf(text: string): string {
  return text.trimEnd().split('\n').slice(-shownLogLines).join('\n');
}
