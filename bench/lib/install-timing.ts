/**
 * What bench/cluster and bench/site8 share: `spsetup install` timed per step from its progress
 * lines, and the floors (the database made directly; the product's programs started directly).
 */
import { execFile, spawn } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectPostgres } from '../../electron/system/postgres/client.js';
import { findServerBinaries } from '../../electron/system/postgres/local-server.js';
import { DEFAULT_REFERENCE_PORTS } from '../../electron/product/reference/config.js';
import { testPostgres } from '../../tests/support/pg-tools.js';
import { CLI, freeTcpPort, randomPassword, type NodeDirs } from '../../tests/support/cluster.js';
import { round } from './measure.js';

/** The order the installer starts the product's services in (the manifest's phases). */
export const SERVICE_ORDER = ['dispatcher', 'repository', 'proxy', 'engine', 'scheduler', 'printing'] as const;

export interface TimedRun {
  readonly code: number | null;
  readonly totalMs: number;
  /** Step id -> ms, from "[i/n] title ..." to "[i/n] changed|unchanged: id". */
  readonly steps: Record<string, number>;
  readonly output: string;
}

/** Runs `spsetup ARGS` inside a namespace, timestamping its progress lines as they arrive. */
export function timedCli(ns: string, args: readonly string[]): Promise<TimedRun> {
  const t0 = performance.now();
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const steps: Record<string, number> = {};
  let startedAt = t0;
  let output = '';
  let pending = '';
  child.stdout.on('data', (d: Buffer) => {
    const now = performance.now();
    output += String(d);
    pending += String(d);
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (/^\[\d+\/\d+\] (?!changed:|unchanged:).* \.\.\.$/.test(line)) startedAt = now;
      const done = /^\[\d+\/\d+\] (?:changed|unchanged): (\S+)$/.exec(line);
      if (done?.[1]) steps[done[1]] = round(now - startedAt, 1);
    }
  });
  child.stderr.on('data', (d: Buffer) => (output += String(d)));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, totalMs: round(performance.now() - t0, 1), steps, output })));
}

/** `spsetup install --settings FILE --yes` in a namespace, timed per step. */
export function timedInstall(ns: string, settingsFile: string): Promise<TimedRun> {
  return timedCli(ns, ['install', '--settings', settingsFile, '--yes']);
}

/** Runs a program to its end (never throws; check `code`). */
export function run(file: string, args: readonly string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(file, [...args], { timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout: String(stdout), stderr: String(stderr) }),
    ),
  );
}

export interface DatabaseFloor {
  readonly initdbMs: number;
  readonly startMs: number;
  readonly ddlMs: number;
}

/** The database floor: initdb, server start and the role + database DDL, done directly. */
export async function databaseFloor(): Promise<DatabaseFloor> {
  const embedded = findServerBinaries().find((b) => b.flavor === 'embedded');
  if (!embedded) throw new Error('embedded PostgreSQL binaries are missing');
  const root = await mkdtemp(join(tmpdir(), 'spcl-bench-floor-'));
  await chmod(root, 0o755);
  const dataDir = join(root, 'data');
  const socketDir = join(root, 'sock');
  const password = randomPassword();
  const ids = (await run('id', ['-u', 'postgres'])).stdout.trim();
  if (!ids) throw new Error('the postgres OS user is needed for the floor');
  await mkdir(socketDir, { mode: 0o755 });
  await chown(socketDir, Number(ids), Number((await run('id', ['-g', 'postgres'])).stdout.trim()));
  const port = await freeTcpPort();
  const opts = { binDir: embedded.binDir, dataDir, osUser: 'postgres' };
  try {
    let t = performance.now();
    await testPostgres.initCluster({ ...opts, superuser: 'postgres', password });
    const initdbMs = performance.now() - t;
    t = performance.now();
    await testPostgres.startServer({ ...opts, socketDir, port, settings: { listen_addresses: '127.0.0.1' }, timeoutMs: 60_000 });
    const startMs = performance.now() - t;
    t = performance.now();
    const conn = await connectPostgres({ host: socketDir, port, user: 'postgres', password, database: 'postgres', timeoutMs: 10_000 });
    try {
      await conn.query(`CREATE ROLE qliksenserepository LOGIN PASSWORD '${randomPassword()}'`);
      await conn.query('CREATE DATABASE "QSR" OWNER qliksenserepository');
    } finally {
      await conn.close();
    }
    const ddlMs = performance.now() - t;
    return { initdbMs: round(initdbMs, 1), startMs: round(startMs, 1), ddlMs: round(ddlMs, 1) };
  } finally {
    await testPostgres.stopServer({ ...opts, timeoutMs: 30_000 }).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  }
}

/** Script run inside a node's namespace: starts the programs in order, each ready (port open) before the next. */
const START_PROGRAMS = `
const { spawn } = require('node:child_process');
const net = require('node:net');
const [installDir, configFile, order, ports] = [process.argv[1], process.argv[2], JSON.parse(process.argv[3]), JSON.parse(process.argv[4])];
const open = (port) => new Promise((r) => { const s = net.connect(port, '127.0.0.1'); s.once('connect', () => { s.destroy(); r(true); }); s.once('error', () => r(false)); });
(async () => {
  const children = [];
  const t0 = performance.now();
  try {
    for (const id of order) {
      children.push(spawn(process.execPath, [installDir + '/' + id + '.js', '--config', configFile], { stdio: 'ignore' }));
      const deadline = Date.now() + 60000;
      while (!(await open(ports[id]))) { if (Date.now() > deadline) throw new Error(id + ' not ready'); await new Promise((r) => setTimeout(r, 5)); }
    }
    console.log(String(performance.now() - t0));
  } finally {
    for (const c of children) c.kill('SIGKILL');
  }
})().catch((e) => { console.error(e.message); process.exit(1); });
`;

/** Stops an installed node's supervised product services (so the floor can start the same programs). */
export async function stopProductServices(dirs: NodeDirs): Promise<void> {
  for (const id of [...SERVICE_ORDER].reverse()) await run('sv', ['-w', '30', 'down', join(dirs.runitDir, `reference-${id}`)]);
}

/** The services floor on an installed node whose services are stopped: the same programs started directly, in order (ms). */
export async function startProgramsDirectly(ns: string, dirs: NodeDirs): Promise<number> {
  const r = await run('ip', ['netns', 'exec', ns, process.execPath, '-e', START_PROGRAMS, join(dirs.installDir), join(dirs.dataDir, 'reference.json'), JSON.stringify(SERVICE_ORDER), JSON.stringify(DEFAULT_REFERENCE_PORTS)], 300_000);
  if (r.code !== 0) throw new Error(`starting the programs directly in ${ns} failed (exit ${r.code}): ${r.stderr}${r.stdout}`);
  return round(Number(r.stdout.trim()), 1);
}
