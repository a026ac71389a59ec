/**
 * bench/cluster: `spsetup install` creating a cluster with a local database (namespace A) and two
 * rim nodes joining it (B, C), reference product, timing each phase (each step, from the CLI's
 * own progress lines), against the floor measured in the same run: initdb, server start, the
 * role and database DDL, and starting the same service programs directly with node.
 * Run as root: `npx tsx bench/cluster/index.ts`. The last line printed is the JSON result.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectPostgres } from '../../electron/system/postgres/client.js';
import { findServerBinaries } from '../../electron/system/postgres/local-server.js';
import { testPostgres } from '../../tests/support/pg-tools.js';
import { DEFAULT_REFERENCE_PORTS } from '../../electron/product/reference/config.js';
import {
  CLI,
  accountName,
  attachNode,
  cleanupNode,
  clusterNetnsName,
  clusterSkipReason,
  createHub,
  deleteClusterNetns,
  freeTcpPort,
  makeNodeDirs,
  makeShare,
  nodeSettings,
  randomPassword,
  randomSubnet,
  removeUser,
  writeSettings,
  type NodeDirs,
} from '../../tests/support/cluster.js';
import { printResult, round } from '../lib/index.js';

/** The order the installer starts the product's services in (the manifest's phases). */
const SERVICE_ORDER = ['dispatcher', 'repository', 'proxy', 'engine', 'scheduler', 'printing'] as const;

interface TimedRun {
  readonly code: number | null;
  readonly totalMs: number;
  /** Step id -> ms, from "[i/n] title ..." to "[i/n] changed|unchanged: id". */
  readonly steps: Record<string, number>;
  readonly output: string;
}

/** Runs `spsetup install` inside a namespace, timestamping its progress lines as they arrive. */
function timedInstall(ns: string, settingsFile: string): Promise<TimedRun> {
  const t0 = performance.now();
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, CLI, 'install', '--settings', settingsFile, '--yes'], { stdio: ['ignore', 'pipe', 'pipe'] });
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

function run(file: string, args: readonly string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(file, [...args], { timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout: String(stdout), stderr: String(stderr) }),
    ),
  );
}

/** The database floor: initdb, server start and the role + database DDL, done directly. */
async function databaseFloor(): Promise<{ initdbMs: number; startMs: number; ddlMs: number }> {
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

/** The services floor on an installed node: its supervised services stopped, the same programs started directly. */
async function servicesFloor(ns: string, dirs: NodeDirs): Promise<number> {
  for (const id of SERVICE_ORDER) await run('sv', ['-w', '30', 'down', join(dirs.runitDir, `reference-${id}`)]);
  const r = await run('ip', ['netns', 'exec', ns, process.execPath, '-e', START_PROGRAMS, join(dirs.installDir), join(dirs.dataDir, 'reference.json'), JSON.stringify(SERVICE_ORDER), JSON.stringify(DEFAULT_REFERENCE_PORTS)], 120_000);
  if (r.code !== 0) throw new Error(`starting the programs directly failed: ${r.stderr}`);
  return round(Number(r.stdout.trim()), 1);
}

async function main(): Promise<void> {
  const skip = clusterSkipReason();
  if (skip) throw new Error(`bench/cluster cannot run: ${skip}`);
  const subnet = randomSubnet();
  const hub = clusterNetnsName('hub');
  const user = accountName('bench');
  const password = randomPassword();
  const superuserPassword = randomPassword();
  const share = await makeShare();
  const nodes: { ns: string; ip: string; dirs: NodeDirs }[] = [];
  const port = 4432 + (randomBytes(1)[0]! % 100);
  try {
    await createHub(hub);
    for (const [i, tag] of ['a', 'b', 'c'].entries()) {
      const node = { ns: clusterNetnsName(tag), ip: `${subnet}.${i + 1}`, dirs: await makeNodeDirs(`bench${tag}`) };
      await attachNode(hub, node.ns, `${node.ip}/24`);
      nodes.push(node);
    }
    const [a, b, c] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]];
    const settings = (n: typeof a, mode: 'create' | 'join') =>
      nodeSettings({
        dirs: n.dirs,
        mode,
        dbInstall: mode === 'create' ? 'local' : 'existing',
        dbHost: a.ip,
        dbPort: port,
        password,
        ...(mode === 'create' ? { superuserPassword, listener: { listenAddresses: ['*'], ipRanges: [`${subnet}.0/24`], maxConnections: 300 } } : {}),
        shareRoot: share.share,
        hostname: n.ip,
        user,
      });

    const floor = await databaseFloor();
    process.stdout.write(`floor: initdb ${floor.initdbMs} ms, server start ${floor.startMs} ms, role + database DDL ${floor.ddlMs} ms\n`);

    const phases: Record<string, TimedRun> = {};
    for (const [name, node, mode] of [['create', a, 'create'], ['join-b', b, 'join'], ['join-c', c, 'join']] as const) {
      const r = await timedInstall(node.ns, await writeSettings(node.dirs.settingsFile, settings(node, mode)));
      if (r.code !== 0) throw new Error(`${name} failed (exit ${r.code}):\n${r.output}`);
      phases[name] = r;
      process.stdout.write(`${name}: ${r.totalMs} ms (${Object.entries(r.steps).map(([k, v]) => `${k} ${v}`).join(', ')})\n`);
    }
    const servicesMs = await servicesFloor(c.ns, c.dirs);
    process.stdout.write(`floor: the six programs started directly, in order, each ready before the next: ${servicesMs} ms\n`);

    const create = phases['create']!;
    const floorCreate = floor.initdbMs + floor.startMs + floor.ddlMs + servicesMs;
    const ratio = (x: number | undefined, y: number) => (x === undefined ? null : round(x / y, 2));
    printResult({
      bench: 'cluster',
      nodes: 3,
      create: { totalMs: create.totalMs, steps: create.steps },
      joins: { b: { totalMs: phases['join-b']!.totalMs, steps: phases['join-b']!.steps }, c: { totalMs: phases['join-c']!.totalMs, steps: phases['join-c']!.steps } },
      floor: { ...floor, servicesMs, createMs: round(floorCreate, 1), joinMs: servicesMs },
      ratio: {
        create: ratio(create.totalMs, floorCreate),
        joinB: ratio(phases['join-b']!.totalMs, servicesMs),
        joinC: ratio(phases['join-c']!.totalMs, servicesMs),
        initdb: ratio(create.steps['database-cluster'], floor.initdbMs),
        serverStart: ratio(create.steps['database-start'], floor.startMs),
        ddl: ratio(create.steps['database-owner'], floor.ddlMs),
        startServices: ratio(create.steps['start-services'], servicesMs),
      },
    });
  } finally {
    for (const n of [...nodes].reverse()) await cleanupNode(n.dirs);
    await deleteClusterNetns();
    await share.cleanup();
    await removeUser(user);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
