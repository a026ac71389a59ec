/**
 * Network namespaces for tests: veth pairs between our own namespaces (names start with `sppg`,
 * addresses 10.250.x.x), bounded in time and always deleted.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll } from 'vitest';

export interface ExecOut {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** execFile with a timeout, never throwing: the caller checks `code`. */
export function execBounded(file: string, args: readonly string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<ExecOut> {
  return new Promise((resolve) => {
    execFile(file, [...args], { timeout: opts.timeoutMs ?? 15_000, killSignal: 'SIGKILL', env: { ...process.env, ...opts.env } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

async function ip(args: readonly string[]): Promise<void> {
  const r = await execBounded('ip', args);
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr.trim()}`);
}

const created = new Set<string>();

/** A unique namespace name with our prefix. */
export function netnsName(tag: string): string {
  return `sppg${tag}${randomBytes(3).toString('hex')}`.slice(0, 15);
}

/**
 * Creates namespace `name` holding `address` (CIDR, e.g. 10.250.1.2/24) on one end of a veth pair;
 * the other end, `peerAddress`, goes into `peerNetns` (which must exist and be ours).
 */
export async function createNetns(name: string, address: string, peerAddress: string, peerNetns: string): Promise<void> {
  if (!name.startsWith('sppg') || !peerNetns.startsWith('sppg')) throw new Error('namespace names must start with sppg');
  for (const a of [address, peerAddress]) if (!a.startsWith('10.250.')) throw new Error(`only 10.250.x.x addresses: ${a}`);
  await ensureNetns(name);
  await ensureNetns(peerNetns);
  const tag = randomBytes(3).toString('hex');
  const inner = `sppg${tag}a`;
  const outer = `sppg${tag}b`;
  await ip(['link', 'add', inner, 'type', 'veth', 'peer', 'name', outer]);
  try {
    await ip(['link', 'set', inner, 'netns', name]);
    await ip(['link', 'set', outer, 'netns', peerNetns]);
  } catch (err) {
    await execBounded('ip', ['link', 'del', inner]);
    await execBounded('ip', ['link', 'del', outer]);
    throw err;
  }
  await ip(['-n', name, 'addr', 'add', address, 'dev', inner]);
  await ip(['-n', name, 'link', 'set', inner, 'up']);
  await ip(['-n', peerNetns, 'addr', 'add', peerAddress, 'dev', outer]);
  await ip(['-n', peerNetns, 'link', 'set', outer, 'up']);
}

/** Creates an empty namespace (loopback up) unless it exists; it is deleted by deleteAllNetns. */
export async function ensureNetns(name: string): Promise<void> {
  if (!name.startsWith('sppg')) throw new Error('namespace names must start with sppg');
  if (created.has(name)) return;
  await ip(['netns', 'add', name]);
  created.add(name);
  await ip(['-n', name, 'link', 'set', 'lo', 'up']);
}

/** Runs a program inside the namespace. */
export function runInNetns(name: string, file: string, args: readonly string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<ExecOut> {
  return execBounded('ip', ['netns', 'exec', name, file, ...args], opts);
}

/** Kills what still runs in the namespace (only processes our tests started there) and deletes it. */
export async function deleteNetns(name: string): Promise<void> {
  const pids = await execBounded('ip', ['netns', 'pids', name]);
  for (const pid of pids.stdout.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await execBounded('ip', ['netns', 'del', name]);
  created.delete(name);
}

/** Deletes every namespace this process created. */
export async function deleteAllNetns(): Promise<void> {
  for (const name of [...created]) await deleteNetns(name);
}

/** Registers cleanup of every namespace this test file creates, even when a test fails. */
export function useNetnsCleanup(): void {
  afterAll(async () => {
    await deleteAllNetns();
  });
}

/** Runs `body` with namespaces cleaned up afterwards whatever happens. */
export async function withNetns<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } finally {
    await deleteAllNetns();
  }
}
