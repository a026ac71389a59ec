/**
 * Issue 12, must-show 2: every refusal of `spsetup db prepare` changes nothing (files' SHA-256,
 * roles with their verifiers, databases, settings and the postmaster's start time compared) and
 * exits 2 or 3; a failure after the first change takes back what the run changed.
 */
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupNode, clusterSkipReason, deleteClusterNetns, makeNodeDirs, randomPassword, runCli, writeSettings, type NodeDirs } from '../support/cluster.js';
import { createDbLan, prepareSettings, psqlAsOwner, snapshotServer, type DbLan } from '../support/db-server.js';
import { debianMissing, freePort, startTestServer, type TestServer, type TestServerOptions } from '../support/pg-server.js';

const skip = clusterSkipReason() ?? debianMissing();

describe.skipIf(skip)(`db prepare refusals change nothing${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lan: DbLan;
  const dirs: NodeDirs[] = [];
  const servers: TestServer[] = [];

  beforeAll(async () => {
    lan = await createDbLan();
  });

  afterAll(async () => {
    for (const s of servers) await s.stop();
    for (const d of dirs) await cleanupNode(d);
    await deleteClusterNetns();
  });

  async function server(opts: Partial<TestServerOptions> = {}): Promise<TestServer> {
    const s = await startTestServer({ flavor: 'debian15', listenAddresses: '127.0.0.1', hba: 'local all postgres peer\nhost all all 127.0.0.1/32 scram-sha-256\n', ...opts, netns: lan.nsDb, port: await freePort() });
    servers.push(s);
    return s;
  }

  async function run(s: TestServer, database: Record<string, unknown> = {}, listener?: Record<string, unknown>) {
    const d = await makeNodeDirs('dbref');
    dirs.push(d);
    const doc = prepareSettings(lan, d, s, randomPassword(), database);
    if (listener) (doc.database as Record<string, unknown>)['listener'] = { ...((doc.database as Record<string, unknown>)['listener'] as object), ...listener };
    const file = await writeSettings(d.settingsFile, doc);
    return runCli(['db', 'prepare', '--settings', file], { netns: lan.nsDb, timeoutMs: 120_000 });
  }

  const files = (s: TestServer) => [s.confPath, s.hbaPath, join(s.dataDir, 'postgresql.auto.conf')];

  async function expectRefused(s: TestServer, code: number, message: RegExp, database: Record<string, unknown> = {}) {
    const before = await snapshotServer(s, files(s));
    const r = await run(s, database);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(await snapshotServer(s, files(s))).toEqual(before);
  }

  it('a setting given on the command line: exit 3 naming it', async () => {
    const s = await server({ commandLine: { max_connections: '40' } });
    await expectRefused(s, 3, /max_connections = 40 comes from the command line .*Nothing was changed/);
  });

  it('a pg_hba.conf line the server cannot use: exit 3 naming the line', async () => {
    const s = await server();
    await appendFile(s.hbaPath, 'host all all 300.1.1.1/32 scram-sha-256\n');
    await expectRefused(s, 3, /pg_hba\.conf already holds lines the server cannot use: line 3: .*Nothing was changed/);
  });

  it('an unknown parameter in postgresql.conf: exit 3 before any change', async () => {
    const s = await server();
    await appendFile(s.confPath, 'bogus_setting = 1\n');
    await expectRefused(s, 3, /configuration files already hold errors.*postgresql\.conf line \d+ \(bogus_setting\): unrecognized configuration parameter/);
  });

  it('a wrong superuser password: exit 3', async () => {
    const s = await server();
    await expectRefused(s, 3, /refused the password for user postgres/, { superuserPassword: randomPassword() });
  });

  it('a restart that fails (no listen address can be bound) takes back the settings, pg_hba.conf, role and database', async () => {
    const s = await server();
    const before = await snapshotServer(s, files(s));
    // A host name that does not resolve (an address this server lacks is refused before any change,
    // see below): the restarted server cannot listen anywhere.
    const r = await run(s, {}, { listenAddresses: ['nowhere.invalid'] });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
    expect(r.stdout).toMatch(/what this run changed was taken back \(database-access, database-owner\)/);
    const after = await snapshotServer(s, files(s));
    const { started: _b, ...wantRest } = before;
    const { started: _a, ...gotRest } = after;
    expect(gotRest).toEqual(wantRest);
    expect(await psqlAsOwner(s, 'SELECT count(*) FROM pg_settings WHERE pending_restart')).toBe('0');
    expect(await readFile(s.confPath, 'utf8')).not.toContain('nowhere.invalid');
  });

  it('a listen address this server does not have: exit 3 naming it, before any change', async () => {
    const s = await server();
    const before = await snapshotServer(s, files(s));
    const r = await run(s, {}, { listenAddresses: [`${lan.subnet}.99`] });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`listen_addresses names ${lan.subnet.replace(/\./g, '\\.')}\\.99, which is not an address of this server .*Nothing was changed`));
    expect(await snapshotServer(s, files(s))).toEqual(before);
  });
});
