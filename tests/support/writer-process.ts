/** Starts tests/support/row-writer.ts inside a namespace and collects what it acknowledged. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './cluster.js';

export interface WriterProcess {
  /** Row ids whose commit returned, in order. */
  readonly acked: number[];
  /** Every line the writer printed (ack, fail, primary), with its time in ms. */
  readonly lines: string[];
  /** Resolves when an ack arrives after `sinceMs` on `host` (or any host); its time in ms. */
  ackAfter(sinceMs: number, host?: string, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

/** The writer committing to whichever of `hosts` is the primary (password through the environment). */
export function startWriter(ns: string, o: { hosts: readonly string[]; port: number; password: string; table?: string; user?: string; database?: string }): WriterProcess {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', join(REPO_ROOT, 'tests/support/row-writer.ts')], {
    cwd: REPO_ROOT,
    env: { ...process.env, PGPASSWORD: o.password, WRITER_HOSTS: o.hosts.join(','), WRITER_PORT: String(o.port), WRITER_TABLE: o.table ?? 'writer_rows', WRITER_USER: o.user ?? 'postgres', WRITER_DATABASE: o.database ?? 'postgres' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const acked: number[] = [];
  const lines: string[] = [];
  const waiters: { since: number; host: string | undefined; resolve: (ms: number) => void }[] = [];
  let rest = '';
  child.stdout.on('data', (chunk: Buffer) => {
    rest += chunk.toString();
    const parts = rest.split('\n');
    rest = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      const m = /^ack (\d+) (\d+) (\S+)$/.exec(line);
      if (!m) continue;
      acked.push(Number(m[1]));
      const at = Number(m[2]);
      for (const w of waiters.splice(0)) {
        if (at >= w.since && (w.host === undefined || w.host === m[3])) w.resolve(at);
        else waiters.push(w);
      }
    }
  });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  return {
    acked,
    lines,
    ackAfter(since, host, timeoutMs = 180_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no commit after ${since}${host ? ` on ${host}` : ''} within ${timeoutMs} ms; last lines: ${lines.slice(-5).join(' | ')}`)), timeoutMs);
        waiters.push({ since, host, resolve: (ms) => (clearTimeout(timer), resolve(ms)) });
      });
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    },
  };
}
