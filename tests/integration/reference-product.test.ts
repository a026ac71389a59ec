/**
 * The reference product's programs, staged as the installer ships them (compiled, with their own
 * node_modules) and run from a temp install folder against a real PostgreSQL 15.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReferenceConfig, REFERENCE_CONFIG_FILE, type ReferenceProductConfig } from '../../electron/product/reference/config.js';
import { formatConnectionString } from '../../electron/shared/connection-string.js';
import type { PgConnection } from '../../electron/system/postgres/client.js';
import { freePort, startTestServer, type TestServer } from '../support/pg-server.js';
import { createTempDir, type TempDir } from '../support/temp.js';

const repo = resolve(import.meta.dirname, '../..');
// Every character users report as breaking files or connection strings, a space and non-ASCII letters.
const PASSWORD = `Pw& < > " ' ; : / \\ Ünïcødé-密码`;
const ROLE = 'qliksenserepository';
const SYNC_TABLES = ['AppAvailabilities', 'SyncSessions', 'BinaryDownloadProperties', 'BinaryDownloads', 'BinaryDeleteProperties', 'BinaryDeletes', 'BinarySyncRuleEvaluations'];

let tmp: TempDir;
let installDir: string;
let server: TestServer;
let admin: PgConnection;
const children = new Set<ChildProcess>();

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: readonly string[], timeoutMs = 30_000): Promise<Result> {
  return new Promise((done) => {
    execFile(file, [...args], { timeout: timeoutMs, cwd: tmp?.path }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1;
      done({ code, stdout, stderr });
    });
  });
}

interface Node {
  readonly hostname: string;
  readonly dataDir: string;
  readonly configPath: string;
  readonly config: ReferenceProductConfig;
}

/** A node's data folder with the config and the 0600 connection string file, as the installer writes them. */
async function makeNode(hostname: string, password = PASSWORD): Promise<Node> {
  const dataDir = join(tmp.path, 'nodes', hostname);
  const share = join(tmp.path, 'share');
  const ports = {
    dispatcher: await freePort(),
    repository: await freePort(),
    proxy: await freePort(),
    engine: await freePort(),
    scheduler: await freePort(),
    printing: await freePort(),
  };
  const config = buildReferenceConfig({
    hostname,
    dataDir,
    share: { root: share, apps: join(share, 'Apps'), archivedLogs: join(share, 'ArchivedLogs'), customData: join(share, 'CustomData'), staticContent: join(share, 'StaticContent') },
    ports,
    // The repository API's ports too, so runs on a shared machine never meet on the defaults.
    apiPorts: { qrs: await freePort(), distribution: await freePort(), certificateSetup: await freePort() },
    listenAddress: '127.0.0.1',
    repository: { heartbeatIntervalMs: 250, databaseUnreachableTimeoutMs: 2_000 },
  });
  await mkdir(join(dataDir, 'secrets'), { recursive: true, mode: 0o700 });
  const configPath = join(dataDir, REFERENCE_CONFIG_FILE);
  await writeFile(configPath, JSON.stringify(config, null, 2), { mode: 0o640 });
  await writeFile(config.connectionStringFile, formatConnectionString({ userId: ROLE, host: '127.0.0.1', port: server.port, password }), { mode: 0o600 });
  return { hostname, dataDir, configPath, config };
}

const program = (node: Node, name: string, ...extra: string[]) => run(process.execPath, [join(installDir, `${name}.js`), '--config', node.configPath, ...extra]);

function startService(node: Node, name: string): ChildProcess {
  const child = spawn(process.execPath, [join(installDir, `${name}.js`), '--config', node.configPath], { stdio: 'ignore' });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

const exitOf = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code)));

const logOf = (node: Node, name: string) => readFile(join(node.config.logDir, `${name}.log`), 'utf8').catch(() => '');

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const waitForLog = (node: Node, name: string, line: string) => waitFor(`"${line}" in ${name}.log`, async () => (await logOf(node, name)).includes(line));

function getStatus(port: number): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((done, fail) => {
    request({ host: '127.0.0.1', port, path: '/status' }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => done({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    })
      .on('error', fail)
      .end();
  });
}

const nodes = () => admin.query<{ hostname: string; is_central: boolean }>('SELECT hostname, is_central FROM nodes ORDER BY hostname', []);

beforeAll(async () => {
  tmp = await createTempDir('spref-');
  // Compile only this piece's files (other work in progress cannot break the build), then stage.
  const dist = join(tmp.path, 'dist');
  await writeFile(
    join(tmp.path, 'tsconfig.json'),
    JSON.stringify({
      extends: join(repo, 'build/tsconfig.base.json'),
      compilerOptions: { rootDir: repo, outDir: dist, sourceMap: false, typeRoots: [join(repo, 'node_modules/@types')] },
      include: [join(repo, 'electron/product/reference/**/*.ts'), join(repo, 'electron/shared/connection-string.ts')],
    }),
  );
  const tsc = await run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', join(tmp.path, 'tsconfig.json')], 120_000);
  expect(tsc.stdout + tsc.stderr).toBe('');
  const staged = await run(process.execPath, [join(repo, 'build/stage-reference-media.mjs'), '--dist', dist, '--out', join(tmp.path, 'media')]);
  expect(staged.stderr).toBe('');
  expect(staged.code).toBe(0);
  // The installer copies the media folder recursively; nothing above it holds a node_modules.
  installDir = join(tmp.path, 'install', 'opt', 'reference');
  cpSync(join(tmp.path, 'media'), installDir, { recursive: true });

  server = await startTestServer({ flavor: 'debian15' });
  admin = await server.connect();
  await admin.ensureRole(ROLE, PASSWORD);
  await admin.ensureDatabase('QSR', ROLE);
  await admin.close();
  admin = await server.connect({ database: 'QSR' });
}, 150_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await admin?.close().catch(() => undefined);
  await server?.stop();
  await tmp?.cleanup();
});

describe('reference product programs', () => {
  let central: Node;
  let rim: Node;

  it('ships the programs with their own node_modules', async () => {
    expect(existsSync(join(installDir, 'node_modules', 'pg', 'package.json'))).toBe(true);
    expect(JSON.parse(await readFile(join(installDir, 'package.json'), 'utf8'))).toMatchObject({ type: 'module' });
    const entries = (await readdir(installDir)).filter((f) => f.endsWith('.js')).sort();
    expect(entries).toEqual(['dispatcher.js', 'engine.js', 'printing.js', 'proxy.js', 'repository.js', 'scheduler.js']);
  });

  it('central bootstrap creates the schema and registers the node as central (awkward password)', async () => {
    central = await makeNode('node-a');
    const first = await program(central, 'repository', '-bootstrap=install', '-iscentral');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(await nodes()).toEqual([{ hostname: 'node-a', is_central: true }]);
    const tables = await admin.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", []);
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['nodes', 'apps', ...SYNC_TABLES]));
    // The guide's TRUNCATE runs against the exact quoted names.
    await admin.query(`TRUNCATE ${SYNC_TABLES.map((t) => `"${t}"`).join(', ')} CASCADE`, []);
    const log = await logOf(central, 'repository');
    expect(log).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO  repository: Repository schema created$/m);
    expect(log).toContain('Node node-a registered as central node');

    const again = await program(central, 'repository', '-bootstrap=install', '-iscentral');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already registered as central node; nothing to change');
    expect(await nodes()).toEqual([{ hostname: 'node-a', is_central: true }]);
  });

  it('a rim bootstrap registers a rim node', async () => {
    rim = await makeNode('node-b');
    const result = await program(rim, 'repository', '-bootstrap');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Node node-b registered as rim node');
    expect(await nodes()).toEqual([
      { hostname: 'node-a', is_central: true },
      { hostname: 'node-b', is_central: false },
    ]);
  });

  it('refuses a second central node and changes nothing', async () => {
    const intruder = await makeNode('node-c');
    const before = await nodes();
    const result = await program(intruder, 'repository', '-bootstrap=install', '-iscentral');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('Node node-a is already the central node of this cluster');
    expect(result.stderr).toContain('without -iscentral');
    expect(await nodes()).toEqual(before);
  });

  it('a wrong password fails the bootstrap with the server message and no secret', async () => {
    const wrong = await makeNode('node-w', 'not-the-password');
    const result = await program(wrong, 'repository', '-bootstrap');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('password authentication failed');
    expect(result.stderr).not.toContain('not-the-password');
    expect((await nodes()).map((n) => n.hostname)).not.toContain('node-w');
  });

  it('proxy and scheduler -bootstrap=install write their marker once', async () => {
    for (const name of ['proxy', 'scheduler']) {
      expect((await program(central, name, '-bootstrap=install')).code).toBe(0);
      const marker = join(central.dataDir, 'bootstrap', `${name}.json`);
      const content = await readFile(marker, 'utf8');
      expect(JSON.parse(content)).toMatchObject({ service: name, hostname: 'node-a' });
      expect((await stat(marker)).mode & 0o777).toBe(0o600);
      expect((await program(central, name, '-bootstrap=install')).code).toBe(0);
      expect(await readFile(marker, 'utf8')).toBe(content);
    }
    expect((await program(central, 'engine', '-bootstrap=install')).code).toBe(2);
  });

  it('the scheduler is master on the central node and worker on the rim', async () => {
    for (const [node, role] of [
      [central, 'master'],
      [rim, 'worker'],
    ] as const) {
      const child = startService(node, 'scheduler');
      await waitForLog(node, 'scheduler', 'Scheduler service started');
      expect(await logOf(node, 'scheduler')).toContain(`Scheduler role: ${role}`);
      expect((await getStatus(node.config.ports.scheduler)).body).toMatchObject({ service: 'scheduler', role, state: 'running' });
      child.kill('SIGTERM');
      expect(await exitOf(child)).toBe(0);
      expect(await logOf(node, 'scheduler')).toContain('scheduler service stopped');
    }
  });

  it('the dispatcher listens with /status and stops cleanly on SIGTERM', async () => {
    const child = startService(central, 'dispatcher');
    await waitForLog(central, 'dispatcher', 'Dispatcher service started');
    const { status, body } = await getStatus(central.config.ports.dispatcher);
    expect(status).toBe(200);
    expect(body).toMatchObject({ service: 'dispatcher', hostname: 'node-a', state: 'running' });
    child.kill('SIGTERM');
    expect(await exitOf(child)).toBe(0);
  });

  it('the repository service of an unregistered node exits with a clear message', async () => {
    const stranger = await makeNode('node-x');
    const result = await program(stranger, 'repository');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Node node-x is not registered in the repository database; run the repository bootstrap first');
  });

  it('no password in any log or config file, only in the 0600 connection string file', async () => {
    const files: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        if (e.isDirectory()) await walk(join(dir, e.name));
        else files.push(join(dir, e.name));
      }
    };
    await walk(join(tmp.path, 'nodes'));
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      const holds = text.includes('Ünïcødé-密码') || text.includes(PASSWORD);
      if (!holds) continue;
      expect(file.endsWith('repository.connection'), file).toBe(true);
      expect((await stat(file)).mode & 0o077).toBe(0);
    }
    expect(await readFile(central.config.connectionStringFile, 'utf8')).toContain("Password='Pw& < > \" '' ; : / \\ Ünïcødé-密码';");
  });

  // Last: it stops the database.
  it('the repository service logs its ready line, heartbeats, and exits when the database stays down', async () => {
    const child = startService(central, 'repository');
    await waitForLog(central, 'repository', 'Repository service started');
    const { body } = await getStatus(central.config.ports.repository);
    expect(body).toMatchObject({ service: 'repository', central: true, database: 'connected' });
    const lastSeen = async () => (await admin.query<{ t: string }>("SELECT last_seen::text AS t FROM nodes WHERE hostname = 'node-a'", []))[0]?.t;
    const first = await lastSeen();
    await waitFor('last_seen to advance', async () => ((await lastSeen()) ?? '') > (first ?? ''), 5_000);

    await admin.close();
    const stoppedAt = Date.now();
    await server.stop();
    const code = await exitOf(child);
    expect(code).toBe(1);
    // The configured 2 s, plus a heartbeat or two.
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    const log = await logOf(central, 'repository');
    expect(log).toContain('Repository database unreachable');
    expect(log).toMatch(/The repository database stayed unreachable for \d+ s; the repository service is stopping/);
  });
});
