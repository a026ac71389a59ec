/**
 * Helpers for end-to-end tests of the `spsetup` command line: settings files for a node, running
 * the CLI (optionally inside a network namespace named `spcl...`), and cleaning nodes up.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { findProcessesIn, findRunsv } from '../../electron/system/services/proc-scan.js';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(REPO_ROOT, 'bin', 'spsetup.js');

/** Why the CLI tests cannot run here, or undefined when they can. */
export function clusterSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (service accounts, runit, network namespaces)';
  if (!existsSync(join(REPO_ROOT, 'dist', 'electron', 'cli', 'main.js'))) return 'dist/ is missing: run `npm run build:node && npm run build:media` first';
  if (!existsSync(join(REPO_ROOT, 'dist', 'media', 'reference'))) return 'dist/media/reference is missing: run `npm run build:media` first';
  return undefined;
}

export interface CliOut {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly netns?: string;
  readonly timeoutMs?: number;
  readonly env?: Record<string, string>;
}

function argvFor(args: readonly string[], netns?: string): [string, string[]] {
  const node = [process.execPath, CLI, ...args];
  return netns ? ['ip', ['netns', 'exec', netns, ...node]] : [node[0]!, node.slice(1)];
}

/** Runs `spsetup ARGS` to its end (never throws; check `code`). */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliOut> {
  const [file, argv] = argvFor(args, options.netns);
  return new Promise((done) => {
    execFile(file, argv, { timeout: options.timeoutMs ?? 150_000, killSignal: 'SIGKILL', maxBuffer: 16 << 20, env: { ...process.env, ...options.env }, cwd: REPO_ROOT }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      done({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Starts `spsetup ARGS` without waiting (for kill tests); the child is the CLI's node process itself unless netns. */
export function spawnCli(args: readonly string[], options: CliOptions = {}): ChildProcess {
  const [file, argv] = argvFor(args, options.netns);
  return spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env }, cwd: REPO_ROOT });
}

/** Settings for one node, as a plain object (written to a file by writeSettings). */
export type NodeSettingsDoc = Record<string, unknown> & {
  readonly installDir: string;
  readonly dataDir: string;
  readonly stateDir: string;
  readonly services: { readonly manager: 'runit'; readonly runitDir: string };
};

export interface NodeDirs {
  readonly root: string;
  readonly installDir: string;
  readonly dataDir: string;
  readonly stateDir: string;
  readonly runitDir: string;
  readonly settingsFile: string;
}

/** A fresh 0755 temp root for a node with its folders' paths (the folders themselves are made by spsetup). */
export async function makeNodeDirs(tag: string): Promise<NodeDirs> {
  const root = await mkdtemp(join(tmpdir(), `spcl-${tag}-`));
  await chmod(root, 0o755);
  return {
    root,
    installDir: join(root, 'opt'),
    dataDir: join(root, 'data'),
    stateDir: join(root, 'state'),
    runitDir: join(root, 'service'),
    settingsFile: join(root, 'settings.json'),
  };
}

export interface NodeSettingsInput {
  readonly dirs: NodeDirs;
  readonly mode: 'create' | 'join';
  readonly dbInstall: 'local' | 'existing';
  readonly dbHost: string;
  readonly dbPort: number;
  readonly password: unknown;
  readonly superuserPassword?: unknown;
  readonly listener?: { listenAddresses: string[]; ipRanges: string[]; maxConnections: number };
  readonly shareRoot: string;
  readonly hostname: string;
  readonly user: string;
  readonly plannedNodes?: number;
  readonly extra?: Record<string, unknown>;
}

/** A settings document for one node on runit in its own folders. */
export function nodeSettings(i: NodeSettingsInput): NodeSettingsDoc {
  return {
    product: 'reference',
    cluster: { mode: i.mode },
    database: {
      install: i.dbInstall,
      host: i.dbHost,
      port: i.dbPort,
      password: i.password,
      ...(i.superuserPassword !== undefined ? { superuserPassword: i.superuserPassword } : {}),
      ...(i.listener ? { listener: i.listener } : {}),
    },
    share: { root: i.shareRoot },
    installDir: i.dirs.installDir,
    dataDir: i.dirs.dataDir,
    stateDir: i.dirs.stateDir,
    serviceAccount: { user: i.user, isAdministrator: false },
    hostname: i.hostname,
    startServices: true,
    plannedNodes: i.plannedNodes ?? 3,
    services: { manager: 'runit', runitDir: i.dirs.runitDir },
    ...i.extra,
  };
}

/** Writes a settings document (0600: it may hold a password). */
export async function writeSettings(path: string, doc: unknown): Promise<string> {
  await writeFile(path, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
  return path;
}

/** The runsvdir processes supervising `dir` (found by their command line). */
export async function findRunsvdir(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = await readCmdline(Number(entry));
    if (argv[0]?.endsWith('runsvdir') && argv.includes(dir)) pids.push(Number(entry));
  }
  return pids;
}

/** The argv of a process ([] when it is gone). */
export async function readCmdline(pid: number): Promise<string[]> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return raw.split('\0').filter((a, i, all) => a.length > 0 || i < all.length - 1);
}

/** Pids of processes whose argv mentions a path under `root`, or whose cwd/exe is under it. */
export async function processesUnder(root: string): Promise<number[]> {
  const found = new Set<number>(await findProcessesIn(root).catch(() => [] as number[]));
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const argv = await readCmdline(pid);
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '');
    if (argv.some((a) => a.includes(root)) || cwd.startsWith(root)) found.add(pid);
  }
  found.delete(process.pid);
  return [...found];
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

/** Stops a node: its runsvdir (HUP, then KILL), every runsv and service under its root, then removes its root. */
export async function cleanupNode(dirs: NodeDirs, options: { keepFiles?: boolean } = {}): Promise<void> {
  for (const pid of await findRunsvdir(dirs.runitDir)) signal(pid, 'SIGHUP');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && ((await findRunsvdir(dirs.runitDir)).length > 0 || (await findRunsv(dirs.root).catch(() => [])).length > 0)) {
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const pid of await findRunsvdir(dirs.runitDir)) signal(pid, 'SIGKILL');
  for (let round = 0; round < 3; round++) {
    const left = await processesUnder(dirs.root);
    if (!left.length) break;
    for (const pid of left) signal(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
  }
  if (!options.keepFiles) await rm(dirs.root, { recursive: true, force: true });
}

/** A shared folder root inside its own 0755 temp dir (the share itself is made by spsetup). */
export async function makeShare(): Promise<{ root: string; share: string; cleanup(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'spcl-share-'));
  await chmod(root, 0o755);
  const share = join(root, 'share');
  return { root, share, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** A throwaway service account name (created by spsetup, removed by removeUser). */
export function accountName(tag: string): string {
  return `spcl${tag}${randomBytes(3).toString('hex')}`.slice(0, 20);
}

/** Removes an OS account and its group made by a test. */
export async function removeUser(name: string): Promise<void> {
  const run = (f: string, a: string[]) => new Promise<void>((r) => execFile(f, a, { timeout: 15_000 }, () => r()));
  await run('userdel', [name]);
  await run('groupdel', [name]);
}

/** A strong random password (ASCII, no characters that need quoting). */
export function randomPassword(): string {
  return `Pw-${randomBytes(12).toString('base64url')}`;
}


const namespaces = new Set<string>();

function ipRun(args: readonly string[]): Promise<CliOut> {
  return new Promise((done) => {
    execFile('ip', [...args], { timeout: 15_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

async function ipMust(args: readonly string[]): Promise<void> {
  const r = await ipRun(args);
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr.trim()}`);
}

/** A unique namespace name with the `spcl` prefix. */
export function clusterNetnsName(tag: string): string {
  return `spcl${tag}${randomBytes(3).toString('hex')}`.slice(0, 15);
}

/** A hub namespace holding a bridge that node namespaces attach to (a private LAN). */
export async function createHub(name: string): Promise<void> {
  if (!name.startsWith('spcl')) throw new Error('namespace names must start with spcl');
  await ipMust(['netns', 'add', name]);
  namespaces.add(name);
  await ipMust(['-n', name, 'link', 'set', 'lo', 'up']);
  await ipMust(['-n', name, 'link', 'add', 'br0', 'type', 'bridge']);
  await ipMust(['-n', name, 'link', 'set', 'br0', 'up']);
}

/** A node namespace with `address` (CIDR, 10.250.x.x) on a veth whose other end is on the hub's bridge. */
export async function attachNode(hub: string, name: string, address: string): Promise<void> {
  if (!name.startsWith('spcl') || !hub.startsWith('spcl')) throw new Error('namespace names must start with spcl');
  if (!address.startsWith('10.250.')) throw new Error(`only 10.250.x.x addresses: ${address}`);
  await ipMust(['netns', 'add', name]);
  namespaces.add(name);
  await ipMust(['-n', name, 'link', 'set', 'lo', 'up']);
  const tag = randomBytes(3).toString('hex');
  const inner = `spcl${tag}a`;
  const outer = `spcl${tag}b`;
  await ipMust(['link', 'add', inner, 'type', 'veth', 'peer', 'name', outer]);
  try {
    await ipMust(['link', 'set', inner, 'netns', name]);
    await ipMust(['link', 'set', outer, 'netns', hub]);
  } catch (err) {
    await ipRun(['link', 'del', inner]);
    await ipRun(['link', 'del', outer]);
    throw err;
  }
  await ipMust(['-n', name, 'addr', 'add', address, 'dev', inner]);
  await ipMust(['-n', name, 'link', 'set', inner, 'up']);
  await ipMust(['-n', hub, 'link', 'set', outer, 'master', 'br0']);
  await ipMust(['-n', hub, 'link', 'set', outer, 'up']);
}

/** Kills what still runs in each namespace we created and deletes them. */
export async function deleteClusterNetns(): Promise<void> {
  for (const name of [...namespaces]) {
    const pids = await ipRun(['netns', 'pids', name]);
    for (const pid of pids.stdout.split(/\s+/).filter(Boolean)) signal(Number(pid), 'SIGKILL');
    await ipRun(['netns', 'del', name]);
    namespaces.delete(name);
  }
}

/** A random 10.250.N.0/24 subnet prefix ("10.250.N"), to keep parallel runs' addresses apart. */
export function randomSubnet(): string {
  return `10.250.${100 + (randomBytes(1)[0]! % 150)}`;
}

/** A namespace with only its loopback up: a machine of its own for a single-node test (fixed product ports are free there). */
export async function createIsolatedNetns(name: string): Promise<void> {
  if (!name.startsWith('spcl')) throw new Error('namespace names must start with spcl');
  await ipMust(['netns', 'add', name]);
  namespaces.add(name);
  await ipMust(['-n', name, 'link', 'set', 'lo', 'up']);
}

/** The step ids of the journal's entries of a type, in order. */
export async function journalSteps(stateDir: string, type: 'step-started' | 'step-done'): Promise<{ stepId: string; changed?: boolean }[]> {
  const text = await readFile(join(stateDir, 'journal.jsonl'), 'utf8').catch(() => '');
  const out: { stepId: string; changed?: boolean }[] = [];
  for (const line of text.split('\n')) {
    try {
      const e = JSON.parse(line) as { type: string; stepId: string; changed?: boolean };
      if (e.type === type) out.push(e);
    } catch {
      // a torn or empty line
    }
  }
  return out;
}

/** Resolves once the journal shows `stepId` started (polling), or rejects after timeoutMs. */
export async function waitForStepStarted(stateDir: string, stepId: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await journalSteps(stateDir, 'step-started')).some((e) => e.stepId === stepId)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`step ${stepId} did not start within ${timeoutMs} ms`);
}

/** A free TCP port on 127.0.0.1 now. */
export function freeTcpPort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? done(addr.port) : fail(new Error('no port'))));
    });
  });
}
