/**
 * bench/site: `spsetup site status --json` on a 3-node site (spsetup's schema with three nodes'
 * heartbeats, as their agents write them, in a real PostgreSQL), against the floor measured in the
 * same run: a Node process that connects with pg and queries spsetup.nodes directly.
 * Run as root (PostgreSQL runs as `postgres`): `npx tsx bench/site/index.ts`. Last line: JSON.
 */
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateSiteSchema } from '../../electron/features/site/schema.js';
import { writeHeartbeat } from '../../electron/features/site/site-store.js';
import { connectPostgres } from '../../electron/system/postgres/client.js';
import { findServerBinaries } from '../../electron/system/postgres/local-server.js';
import { CLI, REPO_ROOT, freeTcpPort, randomPassword } from '../../tests/support/cluster.js';
import { ensureOsUser, testPostgres } from '../../tests/support/pg-tools.js';
import { measure, printResult, round } from '../lib/index.js';

const run = (file: string, args: string[], env: Record<string, string> = {}) =>
  new Promise<void>((resolve, reject) =>
    execFile(file, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeout: 30_000 }, (err, _o, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve())),
  );

const embedded = findServerBinaries().find((b) => b.flavor === 'embedded');
if (!embedded) throw new Error('embedded PostgreSQL binaries are missing');
const root = await mkdtemp(join(tmpdir(), 'spbench-site-'));
const pg = { binDir: embedded.binDir, dataDir: join(root, 'pgdata'), osUser: 'postgres' };
const server = { port: await freeTcpPort(), superuser: 'postgres', password: randomPassword() };
const connect = (database: string) => connectPostgres({ host: '127.0.0.1', port: server.port, user: 'postgres', password: server.password, database, timeoutMs: 10_000 });
try {
  await chmod(root, 0o755);
  const ids = await ensureOsUser();
  const socketDir = join(root, 'sock');
  await mkdir(socketDir, { mode: 0o755 });
  await chown(socketDir, ids.uid, ids.gid);
  await testPostgres.initCluster({ ...pg, superuser: 'postgres', password: server.password });
  await testPostgres.startServer({ ...pg, socketDir, port: server.port, settings: { listen_addresses: '127.0.0.1' }, timeoutMs: 60_000 });
  const admin = await connect('postgres');
  await admin.query('CREATE DATABASE "QSR"');
  await admin.close();
  const conn = await connect('QSR');
  await migrateSiteSchema(conn);
  const services = ['dispatcher', 'repository', 'proxy', 'engine', 'scheduler', 'printing'].map((s) => ({ name: `reference-${s}`, state: 'running' as const }));
  for (const [i, host] of ['node1', 'node2', 'node3'].entries()) {
    await writeHeartbeat(conn, { hostname: host, isCentral: i === 0, spsetupVersion: '0.1.0', product: 'reference', productVersion: '1', endpoint: `127.0.0.1:${server.port}`, endpoints: [], services, heartbeatMs: 2000, agentStartedAt: new Date() });
  }
  await conn.close();
  const settings = join(root, 'settings.json');
  const doc = {
    product: 'reference', cluster: { mode: 'join' },
    database: { install: 'existing', host: '127.0.0.1', port: server.port, user: server.superuser, password: { env: 'BENCH_PW' } },
    share: { root: join(root, 'share') }, installDir: join(root, 'opt'), dataDir: join(root, 'data'), stateDir: join(root, 'state'),
    serviceAccount: { user: 'nobody' }, hostname: 'node1', plannedNodes: 3, services: { manager: 'runit', runitDir: join(root, 'service') },
  };
  await writeFile(settings, JSON.stringify(doc), { mode: 0o600 });
  const env = { BENCH_PW: server.password };
  const floorScript = `import pg from 'pg'; const c = new pg.Client({ host: '127.0.0.1', port: ${server.port}, user: '${server.superuser}', password: process.env.BENCH_PW, database: 'QSR' }); await c.connect(); const r = await c.query('SELECT * FROM spsetup.nodes'); process.stdout.write(JSON.stringify(r.rows)); await c.end();`;
  await run(process.execPath, [CLI, 'site', 'status', '--settings', settings, '--json'], env); // warm the file cache
  const statusMs = await measure(() => run(process.execPath, [CLI, 'site', 'status', '--settings', settings, '--json'], env), { runs: 5 });
  const floorMs = await measure(() => run(process.execPath, ['--input-type=module', '-e', floorScript], env), { runs: 5 });
  printResult({ bench: 'site', nodes: 3, siteStatusMs: round(statusMs), directQueryMs: round(floorMs), ratio: round(statusMs / floorMs), underOneSecond: statusMs < 1000 });
} finally {
  await testPostgres.stopServer({ ...pg, timeoutMs: 30_000 }).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
}
