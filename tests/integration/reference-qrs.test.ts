/**
 * Issue 18: the reference product's repository API and certificate hand-over, run as shipped
 * (staged programs) against a real PostgreSQL 15: the central node's site CA, the HTTPS API with
 * client certificates and the xrfkey check, the objects' shapes (tests/fixtures/qrs), a rim node
 * registered with a one-time password through its 127.0.0.1 certificate set-up, redeemed once.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReferenceConfig, REFERENCE_CONFIG_FILE, type ReferenceProductConfig } from '../../electron/product/reference/config.js';
import { formatConnectionString } from '../../electron/shared/connection-string.js';
import { licenceStep } from '../../electron/features/registration/licence-step.js';
import { referenceManifest } from '../../electron/product/reference/manifest.js';
import { createPosixSystem } from '../../electron/system/system.js';
import type { PgConnection } from '../../electron/system/postgres/client.js';
import { freePort, startTestServer, type TestServer } from '../support/pg-server.js';
import { stageReferenceProgramsIn } from '../support/reference-media.js';
import { createTempDir, type TempDir } from '../support/temp.js';

const fixtures = resolve(import.meta.dirname, '../fixtures/qrs');
const PASSWORD = `Pw& < > " ' ; Ünï`;
const ROLE = 'qliksenserepository';
const XRF = 'abcdefgh12345678';
const USER = 'UserDirectory=INTERNAL; UserId=sa_repository';

let tmp: TempDir;
let installDir: string;
let server: TestServer;
let db: PgConnection;
const children = new Set<ChildProcess>();

interface Node {
  readonly hostname: string;
  readonly config: ReferenceProductConfig;
  readonly configPath: string;
}

let apiPorts: { qrs: number; distribution: number; certificateSetup: number };

async function makeNode(hostname: string): Promise<Node> {
  const dataDir = join(tmp.path, 'nodes', hostname);
  const share = join(tmp.path, 'share');
  const ports = { dispatcher: await freePort(), repository: await freePort(), proxy: await freePort(), engine: await freePort(), scheduler: await freePort(), printing: await freePort() };
  const config = buildReferenceConfig({
    hostname,
    dataDir,
    share: { root: share, apps: join(share, 'Apps'), archivedLogs: join(share, 'ArchivedLogs'), customData: join(share, 'CustomData'), staticContent: join(share, 'StaticContent') },
    ports,
    apiPorts,
    listenAddress: '127.0.0.1',
    repository: { heartbeatIntervalMs: 250, databaseUnreachableTimeoutMs: 5_000 },
  });
  await mkdir(join(dataDir, 'secrets'), { recursive: true, mode: 0o700 });
  const configPath = join(dataDir, REFERENCE_CONFIG_FILE);
  await writeFile(configPath, JSON.stringify(config, null, 2), { mode: 0o640 });
  await writeFile(config.connectionStringFile, formatConnectionString({ userId: ROLE, host: '127.0.0.1', port: server.port, password: PASSWORD }), { mode: 0o600 });
  return { hostname, config, configPath };
}

function program(node: Node, ...extra: string[]): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [join(installDir, 'repository.js'), '--config', node.configPath, ...extra], { timeout: 60_000 }, (err, stdout, stderr) =>
      done({ code: err ? ((err as { code?: number }).code ?? -1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

const logOf = (node: Node) => readFile(join(node.config.logDir, 'repository.log'), 'utf8').catch(() => '');

async function startRepository(node: Node): Promise<void> {
  const child = spawn(process.execPath, [join(installDir, 'repository.js'), '--config', node.configPath], { stdio: 'ignore' });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const deadline = Date.now() + 30_000;
  while (!(await logOf(node)).includes('Repository service started')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the repository of ${node.hostname} did not start:\n${await logOf(node)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Reply {
  readonly status: number;
  readonly body: unknown;
}

function collect(res: import('node:http').IncomingMessage, done: (r: Reply) => void): void {
  let text = '';
  res.on('data', (c: Buffer) => (text += c.toString()));
  res.on('end', () => done({ status: res.statusCode ?? 0, body: text === '' ? undefined : (JSON.parse(text) as unknown) }));
}

/** A call to the central node's API with its client certificate (as the central node's agent makes it). */
async function qrs(method: string, path: string, body?: unknown, opts: { xrfHeader?: string | null; xrfParam?: string; user?: string | null; noCert?: boolean } = {}): Promise<Reply> {
  const dir = join(central.config.dataDir, 'Certificates');
  const [ca, cert, key] = await Promise.all(['root.pem', 'server.pem', 'server_key.pem'].map((f) => readFile(join(dir, f), 'utf8')));
  const sep = path.includes('?') ? '&' : '?';
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.xrfHeader !== null) headers['X-Qlik-Xrfkey'] = opts.xrfHeader ?? XRF;
  if (opts.user !== null) headers['X-Qlik-User'] = opts.user ?? USER;
  return new Promise((done, fail) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port: apiPorts.qrs, method, path: encodeURI(`${path}${sep}xrfkey=${opts.xrfParam ?? XRF}`), headers, ca, ...(opts.noCert ? {} : { cert, key }) },
      (res) => collect(res, done),
    );
    req.on('error', fail);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

function http(port: number, method: string, path: string, body?: unknown): Promise<Reply> {
  return new Promise((done, fail) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: { 'content-type': 'application/json' } }, (res) => collect(res, done));
    req.on('error', fail);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const sortedKeys = (o: unknown) => Object.keys(o as object).sort();
let central: Node;
let rim: Node;

beforeAll(async () => {
  tmp = await createTempDir('spqrs-');
  installDir = await stageReferenceProgramsIn(tmp.path);
  apiPorts = { qrs: await freePort(), distribution: await freePort(), certificateSetup: await freePort() };
  server = await startTestServer({ flavor: 'debian15' });
  const admin = await server.connect();
  await admin.ensureRole(ROLE, PASSWORD);
  await admin.ensureDatabase('QSR', ROLE);
  await admin.close();
  db = await server.connect({ database: 'QSR' });
  // Host names the rim node can reach the central node by (it reads the central's from the database).
  central = await makeNode('localhost');
  rim = await makeNode('127.0.0.1');
}, 240_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await db?.close().catch(() => undefined);
  await server?.stop();
  await tmp?.cleanup();
});

describe('the reference repository API', () => {
  it('the central bootstrap makes the site CA and the central certificate (keys 0600) and seeds the objects; again it changes nothing', async () => {
    const first = await program(central, '-bootstrap=install', '-iscentral');
    expect(first.out).toContain('Site certificate authority and the central node certificate created');
    expect(first.code).toBe(0);
    const dir = join(central.config.dataDir, 'Certificates');
    for (const key of ['root_key.pem', 'server_key.pem']) expect((await stat(join(dir, key))).mode & 0o777).toBe(0o600);
    const root = new X509Certificate(await readFile(join(dir, 'root.pem'), 'utf8'));
    expect(new X509Certificate(await readFile(join(dir, 'server.pem'), 'utf8')).verify(root.publicKey)).toBe(true);
    const rootBefore = await readFile(join(dir, 'root.pem'), 'utf8');
    const again = await program(central, '-bootstrap=install', '-iscentral');
    expect(again.code).toBe(0);
    expect(again.out).not.toContain('created');
    expect(await readFile(join(dir, 'root.pem'), 'utf8')).toBe(rootBefore);
    expect((await db.query<{ n: string }>('SELECT count(*) AS n FROM qrs_data_connections'))[0]?.n).toBe('3');
  });

  it('serves HTTPS only to clients with a site certificate, and only with a matching xrfkey and a user header', async () => {
    await startRepository(central);
    expect(await logOf(central)).toContain(`Repository API listening on 127.0.0.1:${apiPorts.qrs}`);
    expect((await qrs('GET', '/qrs/serverNodeConfiguration')).status).toBe(200);
    await expect(qrs('GET', '/qrs/serverNodeConfiguration', undefined, { noCert: true })).rejects.toThrow();
    expect((await qrs('GET', '/qrs/serverNodeConfiguration', undefined, { xrfHeader: null })).status).toBe(403);
    expect((await qrs('GET', '/qrs/serverNodeConfiguration', undefined, { xrfParam: 'zzzzzzzzzzzzzzzz' })).status).toBe(403);
    expect((await qrs('GET', '/qrs/serverNodeConfiguration', undefined, { user: null })).status).toBe(403);
    // Paths are case-insensitive, as the real API's.
    expect((await qrs('GET', '/qrs/servernodeconfiguration')).status).toBe(200);
  });

  it('objects have the API shapes and the central node holds the seed objects', async () => {
    const shapes = JSON.parse(await readFile(join(fixtures, 'shapes.json'), 'utf8')) as Record<string, string[]>;
    const seeds = JSON.parse((await readFile(join(fixtures, 'central-seeds.json'), 'utf8')).replaceAll('{dataDir}', central.config.dataDir)) as Record<string, Record<string, unknown>[]>;
    const nodes = (await qrs('GET', "/qrs/serverNodeConfiguration?filter=hostName eq 'localhost'")).body as Record<string, unknown>[];
    expect(nodes).toHaveLength(1);
    expect(sortedKeys(nodes[0])).toEqual(shapes['serverNodeConfiguration']);
    expect(nodes[0]).toMatchObject({ hostName: 'localhost', isCentral: true });
    for (const kind of ['dataconnection', 'systemrule']) {
      const list = (await qrs('GET', `/qrs/${kind}`)).body as Record<string, unknown>[];
      for (const o of list) expect(sortedKeys(o)).toEqual(shapes[kind]);
      expect(list.map(({ id, createdDate, modifiedDate, ...rest }) => (void id, void createdDate, void modifiedDate, rest))).toEqual(seeds[kind]);
    }
    expect((await qrs('GET', "/qrs/dataconnection?filter=name eq 'nothing'")).body).toEqual([]);
    expect((await qrs('GET', "/qrs/dataconnection?filter=name ne 'x'")).status).toBe(400);
  });

  it('PUT needs the stored modifiedDate (409 otherwise); system rules are created and deleted', async () => {
    const [conn] = (await qrs('GET', "/qrs/dataconnection?filter=name eq 'ArchivedLogsFolder'")).body as Record<string, unknown>[];
    const put = await qrs('PUT', `/qrs/dataconnection/${String(conn!['id'])}`, { ...conn, connectionstring: '/share/ArchivedLogs' });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ connectionstring: '/share/ArchivedLogs' });
    expect((put.body as { modifiedDate: string }).modifiedDate).not.toBe(conn!['modifiedDate']);
    const stale = await qrs('PUT', `/qrs/dataconnection/${String(conn!['id'])}`, { ...conn, connectionstring: '/elsewhere' });
    expect(stale.status).toBe(409);
    expect((await db.query<{ c: string }>("SELECT connectionstring AS c FROM qrs_data_connections WHERE name = 'ArchivedLogsFolder'"))[0]?.c).toBe('/share/ArchivedLogs');
    const rule = await qrs('POST', '/qrs/systemrule', { name: 'test rule', category: 'Sync', type: 'Custom', rule: '((node.isCentral = "false"))', resourceFilter: 'App_*', actions: 1 });
    expect(rule.status).toBe(201);
    const id = String((rule.body as { id: string }).id);
    expect((await qrs('DELETE', `/qrs/systemrule/${id}`)).status).toBe(204);
    expect((await qrs('GET', `/qrs/systemrule/${id}`)).status).toBe(404);
  });

  it('a rim node is not registered until its set-up endpoint gets the one-time password; the password works once', async () => {
    expect((await program(rim, '-bootstrap')).code).toBe(0);
    await startRepository(rim);
    expect((await http(rim.config.ports.repository, 'GET', '/status')).body).toMatchObject({ registered: false });
    expect((await http(apiPorts.certificateSetup, 'GET', '/certificateSetup')).body).toEqual({ registered: false });

    const created = await qrs('POST', '/qrs/serverNodeConfiguration/container', { configuration: { name: 'rim', hostName: '127.0.0.1' } });
    expect(created.status).toBe(201);
    const id = String((created.body as { id: string }).id);
    expect((await qrs('POST', '/qrs/serverNodeConfiguration/container', { configuration: { name: 'rim', hostName: '127.0.0.1' } })).status).toBe(409);
    const started = await qrs('POST', `/qrs/serverNodeRegistration/start/${id}`);
    expect(started.status).toBe(200);
    const password = started.body as string;
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);

    expect((await http(apiPorts.certificateSetup, 'POST', '/certificateSetup', { password: 'wrong-password' })).status).toBe(403);
    const setup = await http(apiPorts.certificateSetup, 'POST', '/certificateSetup', { password });
    expect(setup).toEqual({ status: 200, body: { registered: true } });
    const dir = join(rim.config.dataDir, 'Certificates');
    const root = new X509Certificate(await readFile(join(dir, 'root.pem'), 'utf8'));
    expect(await readFile(join(dir, 'root.pem'), 'utf8')).toBe(await readFile(join(central.config.dataDir, 'Certificates', 'root.pem'), 'utf8'));
    expect(new X509Certificate(await readFile(join(dir, 'server.pem'), 'utf8')).verify(root.publicKey)).toBe(true);
    expect((await stat(join(dir, 'server_key.pem'))).mode & 0o777).toBe(0o600);
    await expect(stat(join(dir, 'root_key.pem'))).rejects.toThrow();
    expect((await http(rim.config.ports.repository, 'GET', '/status')).body).toMatchObject({ registered: true });
    // Redeemed once: the same password is refused from now on.
    expect((await http(apiPorts.certificateSetup, 'POST', '/certificateSetup', { password })).status).toBe(409);
    expect((await db.query<{ redeemed: boolean }>('SELECT redeemed_at IS NOT NULL AS redeemed FROM qrs_node_registrations'))[0]?.redeemed).toBe(true);
    expect((await qrs('POST', `/qrs/serverNodeRegistration/start/${String(((await qrs('GET', "/qrs/serverNodeConfiguration?filter=hostName eq 'localhost'")).body as { id: string }[])[0]!.id)}`)).status).toBe(400);
  });

  it('the licence step applies a signed licence key once: planned, applied, then nothing to do; a bad key is refused before any call', async () => {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const key = `${b64({ alg: 'RS512' })}.${b64({ jti: 'j', license: '9999000000002782' })}.c2ln`;
    const sys = createPosixSystem();
    const params = licenceStep.params.parse({ hostname: 'localhost', dataDir: central.config.dataDir, registration: { ...referenceManifest.registration!, apiPort: apiPorts.qrs }, keySecret: 'licence.key' });
    const logged: string[] = [];
    const ctx = (value: string) => ({ sys, stateDir: tmp.path, signal: new AbortController().signal, secret: () => value, log: (m: string) => void logged.push(m), progress: () => undefined });
    expect((await qrs('GET', '/qrs/license')).status).toBe(204);
    await expect(licenceStep.check(params, ctx('not-a-key'))).rejects.toThrow(/licence.key is not a signed licence key/);
    expect((await qrs('GET', '/qrs/license')).status).toBe(204);
    expect(await licenceStep.check(params, ctx(key))).toEqual({ action: 'create', summary: 'Apply licence 9999000000002782 through the repository API' });
    await licenceStep.apply(params, ctx(key));
    await licenceStep.verify(params, ctx(key));
    const licence = await qrs('GET', '/qrs/license');
    expect(licence.body).toMatchObject({ serial: '9999 0000 0000 2782', key });
    expect((await licenceStep.check(params, ctx(key))).action).toBe('noop');
    expect(logged.join('\n')).not.toContain(key);
    // Another licence replaces it.
    const other = `${b64({ alg: 'RS512' })}.${b64({ jti: 'k', license: '0000650077516278' })}.c2ln`;
    expect((await licenceStep.check(params, ctx(other))).action).toBe('update');
    await licenceStep.apply(params, ctx(other));
    expect((await qrs('GET', '/qrs/license')).body).toMatchObject({ serial: '0000 6500 7751 6278' });
    expect((await db.query<{ n: string }>('SELECT count(*) AS n FROM qrs_licenses'))[0]?.n).toBe('1');
  });

  it('the set-up endpoint listens on 127.0.0.1 only', async () => {
    const listening = await new Promise<string>((done) => execFile('ss', ['-Hltn', `sport = :${apiPorts.certificateSetup}`], (_e, out) => done(String(out))));
    expect(listening.trim().split(/\s+/)[3]).toBe(`127.0.0.1:${apiPorts.certificateSetup}`);
  });
});
