/**
 * The node agent's refusals and its handling of stale operations, against a real PostgreSQL and
 * real files (one agent, in-process): an operation that is unsigned, signed with another key,
 * retargeted or replayed under another id is refused and not run; one past its deadline is
 * reported `expired` and not run; one the node journal shows finished is reported, not run again;
 * one the journal shows interrupted is finished within its bound and reported failed after it; a
 * password change reaches the node's connection string and the database never holds it in clear.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { escapeIdentifier, escapeLiteral } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatConnectionString } from '../../electron/shared/connection-string.js';
import type { AgentConfig } from '../../electron/features/site/agent-config.js';
import { runNodeAgent } from '../../electron/features/site/node-agent.js';
import { OperationJournal } from '../../electron/features/site/operation-journal.js';
import type { OperationBody } from '../../electron/features/site/operations.js';
import { buildOperation, type SiteSession } from '../../electron/features/site/site-client.js';
import { generateSiteKey, parseSiteKey, sealSecret, signPayload } from '../../electron/features/site/site-key.js';
import { insertOperation, readResults } from '../../electron/features/site/site-store.js';
import { getManifest } from '../../electron/product/index.js';
import { scramVerifier, type PgConnection } from '../../electron/system/postgres/index.js';
import { createPosixSystem } from '../../electron/system/system.js';
import { startTestServer, type TestServer } from '../support/pg-server.js';
import { createTempDir, type TempDir } from '../support/temp.js';

const HOST = 'node-a';
const FINAL = ['done', 'failed', 'refused', 'expired'];

describe('node agent: refusals and stale operations (real PostgreSQL, real files)', () => {
  let server: TestServer;
  let tmp: TempDir;
  let conn: PgConnection;
  let config: AgentConfig;
  let site: SiteSession;
  const logs: string[] = [];
  const controller = new AbortController();
  let agent: Promise<void> | undefined;
  const sys = createPosixSystem({ serviceManager: 'runit' });
  const key = generateSiteKey();

  const productConfig = () => readFile(config.productConfig.file, 'utf8').catch(() => undefined);
  const connectionString = () => readFile(config.connectionStringFile, 'utf8');
  const stored = (password: string) => formatConnectionString({ userId: 'postgres', host: '127.0.0.1', port: server.port, database: 'postgres', password });

  /** Waits for this node's final result of an operation. */
  async function finalResult(id: string): Promise<{ state: string; message: string }> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const r = (await readResults(conn, id)).find((x) => x.hostname === HOST);
      if (r && FINAL.includes(r.state)) return r;
      if (Date.now() > deadline) throw new Error(`no final result for ${id}; agent log:\n${logs.join('\n')}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  /** Inserts a row as an intruder or a copier would: any payload text, any signature, any targets. */
  async function insertRaw(id: string, text: string, signature: string, targets: readonly string[] = [HOST]): Promise<void> {
    await conn.query(
      `INSERT INTO spsetup.operations (id, kind, target_nodes, payload, signature, requested_by, deadline) VALUES ($1, 'folders', $2, $3, $4, 'test', now() + interval '1 minute')`,
      [id, targets, text, signature],
    );
    await conn.query(`SELECT pg_notify('spsetup_site', $1)`, [id]);
  }

  const folders = (apps: string): OperationBody => ({ kind: 'folders', folders: { apps } });
  const signed = (body: OperationBody, boundMs = 60_000, targets: readonly string[] = [HOST]) => buildOperation(site, targets, boundMs, () => body);

  beforeAll(async () => {
    server = await startTestServer({ flavor: 'debian15' });
    tmp = await createTempDir('spsite-agent-');
    const share = join(tmp.path, 'share');
    config = {
      version: 1,
      hostname: HOST,
      isCentral: true,
      product: 'reference',
      productVersion: getManifest('reference').version,
      stateDir: join(tmp.path, 'state'),
      connectionStringFile: join(tmp.path, 'secrets', 'repository.connection'),
      siteKeyFile: join(tmp.path, 'state', 'site.key'),
      account: 'root',
      serviceManager: { manager: 'runit', runitDir: join(tmp.path, 'service') },
      services: [],
      reportedServices: [],
      productConfig: { file: join(tmp.path, 'data', 'reference.json'), installDir: join(tmp.path, 'opt'), dataDir: join(tmp.path, 'data'), share: { root: share, apps: join(share, 'Apps'), archivedLogs: join(share, 'ArchivedLogs'), customData: join(share, 'CustomData'), staticContent: join(share, 'StaticContent') } },
      endpoints: [{ host: '127.0.0.1', port: server.port }],
      heartbeatMs: 500,
      pollMs: 200,
    };
    await mkdir(config.stateDir, { recursive: true, mode: 0o700 });
    await mkdir(config.productConfig.dataDir, { recursive: true });
    await sys.secretStore.put(config.siteKeyFile, key);
    await sys.secretStore.put(config.connectionStringFile, stored(server.password));
    agent = runNodeAgent(config, { sys, spsetupVersion: 'test', log: (l) => logs.push(l), signal: controller.signal, saveConfig: async () => undefined });
    conn = await server.connect({ host: '127.0.0.1' });
    site = { conn, database: 'postgres', siteKey: parseSiteKey(key), hostname: HOST, close: async () => undefined };
    const deadline = Date.now() + 30_000;
    while (!logs.some((l) => l.startsWith('node agent ready'))) {
      if (Date.now() > deadline) throw new Error(`the agent did not start:\n${logs.join('\n')}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  });

  afterAll(async () => {
    controller.abort();
    await agent;
    await conn?.close();
    await server?.stop();
    await tmp?.cleanup();
  });

  it('runs a signed operation addressed to it (the baseline the refusals are measured against)', async () => {
    const op = signed(folders('/srv/share/AppsSigned'));
    await insertOperation(conn, op.payload, op.text, op.signature);
    expect(await finalResult(op.payload.id)).toEqual(expect.objectContaining({ state: 'done' }));
    expect(JSON.parse((await productConfig())!).share.apps).toBe('/srv/share/AppsSigned');
  });

  it('refuses an operation inserted without the site key, or signed with another key, and runs neither', async () => {
    const before = await productConfig();
    const unsigned = signed(folders('/srv/unsigned'));
    await insertRaw(unsigned.payload.id, unsigned.text, 'f'.repeat(64));
    const other = signed(folders('/srv/other-key'));
    await insertRaw(other.payload.id, other.text, signPayload(parseSiteKey(generateSiteKey()), other.text));
    expect(await finalResult(unsigned.payload.id)).toEqual(expect.objectContaining({ state: 'refused', message: 'not signed with the site key' }));
    expect(await finalResult(other.payload.id)).toEqual(expect.objectContaining({ state: 'refused', message: 'not signed with the site key' }));
    expect(await productConfig()).toBe(before);
  });

  it('refuses a signed payload addressed to another node, and one replayed under another id', async () => {
    const before = await productConfig();
    const forB = signed(folders('/srv/for-b'), 60_000, ['node-b']);
    await insertRaw(forB.payload.id, forB.text, forB.signature, [HOST]);
    const original = signed(folders('/srv/replayed'));
    await insertOperation(conn, original.payload, original.text, original.signature);
    await finalResult(original.payload.id);
    await writeFile(config.productConfig.file, before!);
    const replayId = randomUUID();
    await insertRaw(replayId, original.text, original.signature);
    expect(await finalResult(forB.payload.id)).toEqual(expect.objectContaining({ state: 'refused', message: 'the payload is not addressed to this node' }));
    expect(await finalResult(replayId)).toEqual(expect.objectContaining({ state: 'refused', message: 'the payload belongs to another operation' }));
    expect(await productConfig()).toBe(before);
  });

  it('reports an operation that arrives after its deadline as expired and never runs it', async () => {
    const before = await productConfig();
    const op = signed(folders('/srv/too-late'), 1);
    await new Promise((res) => setTimeout(res, 20));
    await insertOperation(conn, op.payload, op.text, op.signature);
    const r = await finalResult(op.payload.id);
    expect(r).toEqual(expect.objectContaining({ state: 'expired', message: 'arrived after its deadline (the agent was not running): not run' }));
    expect(await productConfig()).toBe(before);
    expect(await new OperationJournal(sys.files, join(config.stateDir, 'site')).lastState(op.payload.id)).toBe('expired');
  });

  it('an operation the node journal shows finished (its result lost) is reported from the journal, not run again', async () => {
    const before = await productConfig();
    const op = signed(folders('/srv/already-done'));
    const journal = new OperationJournal(sys.files, join(config.stateDir, 'site'));
    await journal.append({ id: op.payload.id, kind: 'folders', state: 'done', message: 'folders set (apps) earlier' });
    await insertOperation(conn, op.payload, op.text, op.signature);
    expect(await finalResult(op.payload.id)).toEqual(expect.objectContaining({ state: 'done', message: 'folders set (apps) earlier' }));
    expect(await productConfig()).toBe(before);
  });

  it('an interrupted operation is finished while within its bound, and reported failed, not run, after it', async () => {
    const journal = new OperationJournal(sys.files, join(config.stateDir, 'site'));
    const within = signed(folders('/srv/finished-after-restart'));
    await journal.append({ id: within.payload.id, kind: 'folders', state: 'running', message: '' });
    await insertOperation(conn, within.payload, within.text, within.signature);
    expect((await finalResult(within.payload.id)).state).toBe('done');
    expect(JSON.parse((await productConfig())!).share.apps).toBe('/srv/finished-after-restart');
    expect(logs.some((l) => l.includes(`${within.payload.id}: folders (finishing an interrupted run)`))).toBe(true);

    const before = await productConfig();
    const late = signed(folders('/srv/interrupted-late'), 1);
    await journal.append({ id: late.payload.id, kind: 'folders', state: 'running', message: '' });
    await new Promise((res) => setTimeout(res, 20));
    await insertOperation(conn, late.payload, late.text, late.signature);
    expect(await finalResult(late.payload.id)).toEqual(expect.objectContaining({ state: 'failed', message: 'interrupted (the agent stopped) and past its deadline: not run again' }));
    expect(await productConfig()).toBe(before);
  });

  it('a password change travels sealed: the node stores it, reconnects with it, and the database holds no plaintext', async () => {
    const password = `New-${randomUUID()}`;
    await conn.query(`ALTER ROLE ${escapeIdentifier('postgres')} PASSWORD ${escapeLiteral(scramVerifier(password))}`);
    const op = buildOperation(site, [HOST], 60_000, (id, k) => ({ kind: 'connection', fields: { password: sealSecret(k, password, id) }, restart: false }));
    await insertOperation(conn, op.payload, op.text, op.signature);
    expect(await finalResult(op.payload.id)).toEqual(expect.objectContaining({ state: 'done', message: 'connection string password set' }));
    expect(await connectionString()).toBe(stored(password));
    expect(((await stat(config.connectionStringFile)).mode & 0o777).toString(8)).toBe('600');
    const rows = await conn.query<{ t: string }>(`SELECT concat_ws(' ', o.payload, o.signature, r.message, r.details::text) AS t FROM spsetup.operations o LEFT JOIN spsetup.results r ON r.operation_id = o.id`);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.t).not.toContain(password);
    // Reconnected with the new password: it heartbeats again after the change.
    const at = Date.now();
    const beat = async () => (await conn.query<{ t: Date }>(`SELECT last_heartbeat AS t FROM spsetup.nodes WHERE hostname = $1`, [HOST]))[0]!.t.getTime();
    const deadline = at + 15_000;
    while ((await beat()) < at + 600 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 200));
    expect(await beat()).toBeGreaterThan(at);
    expect(logs.filter((l) => l.startsWith('database:'))).toEqual([]);
  });
});
