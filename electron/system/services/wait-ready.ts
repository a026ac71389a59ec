import { open, stat } from 'node:fs/promises';
import { UserError } from '../../shared/errors.js';
import type { Network, Readiness, ServiceState } from '../types.js';

const pollMs = 100;
const shownLogLines = 10;

export interface ReadyWait {
  readonly name: string;
  readonly readiness: Readiness;
  readonly logFile?: string;
  /** Only log text after this byte offset counts (the size of the log when the service was started). */
  readonly fromOffset: number;
  readonly network: Network;
  readonly status: () => Promise<ServiceState>;
}

/** Size of a file in bytes, 0 when it does not exist. */
export async function fileSize(path: string | undefined): Promise<number> {
  if (!path) return 0;
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/**
 * Polls until the readiness log line appears after `fromOffset`, or the port accepts connections,
 * or (with neither given) the service runs. Throws a 'service' UserError with the last log lines on timeout.
 */
export async function waitForReadiness(wait: ReadyWait): Promise<void> {
  const { readiness, name } = wait;
  const deadline = Date.now() + readiness.timeoutMs;
  const pattern = readiness.logLine ? new RegExp(readiness.logLine.source, readiness.logLine.flags.replace(/[gy]/g, '')) : undefined;
  for (;;) {
    if (pattern && wait.logFile) {
      const text = await readFrom(wait.logFile, wait.fromOffset);
      if (text.split('\n').some((line) => pattern.test(line))) return;
    }
    if (readiness.port !== undefined && (await wait.network.canConnect('127.0.0.1', readiness.port, 500))) return;
    const state = await wait.status();
    if (state === 'missing') {
      throw new UserError('not-found', `Service ${name} is not installed.`, 'Install the service first.');
    }
    if (!pattern && readiness.port === undefined && state === 'running') return;
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  const what = pattern ? `the log line /${pattern.source}/` : readiness.port !== undefined ? `port ${readiness.port}` : 'running';
  const lastLines = wait.logFile ? lastLinesOf(await readFrom(wait.logFile, wait.fromOffset)) : '';
  throw new UserError(
    'service',
    `Service ${name} was not ready within ${Math.round(readiness.timeoutMs / 1000)} s (waited for ${what}).${lastLines ? `\nLast log lines:\n${lastLines}` : ''}`,
    `Read the service log${wait.logFile ? ` (${wait.logFile})` : ''} for the cause, fix it and start the service again.`,
    { service: name },
  );
}

async function readFrom(path: string, offset: number): Promise<string> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return '';
  }
  try {
    const { size } = await handle.stat();
    // A log that shrank was rotated or truncated: everything in it is new.
    const start = size < offset ? 0 : offset;
    const buffer = Buffer.alloc(Math.min(size - start, 4 * 1024 * 1024));
    await handle.read(buffer, 0, buffer.length, Math.max(start, size - buffer.length));
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

function lastLinesOf(text: string): string {
  return text.trimEnd().split('\n').slice(-shownLogLines).join('\n');
}
