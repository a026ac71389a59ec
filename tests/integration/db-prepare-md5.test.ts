/**
 * Issue 12, md5 on request: with database.authMethod md5 (the guide's method, asked for by the
 * administrator) the rules db prepare writes use md5 and a new repository password is stored as
 * md5, so a node logs in with md5 (the server's log says so); the plan offers SCRAM-SHA-256, which
 * database.scramPassword takes (md5 rules accept it). scram-sha-256 stays the default (the other
 * db-prepare tests). A refused run with md5 asked changes nothing (files and catalogs compared).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupNode, clusterSkipReason, deleteClusterNetns, makeNodeDirs, randomPassword, runCli, writeSettings, type NodeDirs } from '../support/cluster.js';
import { connectFrom, createDbLan, finishedSteps, prepareSettings, psqlAsOwner, snapshotServer, type DbLan } from '../support/db-server.js';
import { debianMissing, freePort, startTestServer, type TestServer } from '../support/pg-server.js';

const skip = clusterSkipReason() ?? debianMissing();
const ROLE = 'qliksenserepository';

describe.skipIf(skip)(`db prepare with the guide's md5 on request${skip ? ` (skipped: ${skip})` : ''}`, () => {
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

  async function server(): Promise<TestServer> {
    // log_connections: the log names the method each login was authenticated with.
    const s = await startTestServer({ flavor: 'debian15', listenAddresses: '127.0.0.1', hba: 'local all postgres peer\nhost all all 127.0.0.1/32 scram-sha-256\n', commandLine: { log_connections: 'on' }, netns: lan.nsDb, port: await freePort() });
    servers.push(s);
    return s;
  }

  async function settingsFile(s: TestServer, rolePassword: string, database: Record<string, unknown>, listener?: Record<string, unknown>) {
    const d = await makeNodeDirs('dbmd5');
    dirs.push(d);
    const doc = prepareSettings(lan, d, s, rolePassword, database);
    if (listener) (doc.database as Record<string, unknown>)['listener'] = { ...((doc.database as Record<string, unknown>)['listener'] as object), ...listener };
    return writeSettings(d.settingsFile, doc);
  }
  const prepare = (file: string, extra: string[] = []) => runCli(['db', 'prepare', '--settings', file, ...extra], { netns: lan.nsDb, timeoutMs: 120_000 });
  const verifierOf = (s: TestServer) => psqlAsOwner(s, `SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = '${ROLE}'`);
  const ourRules = (s: TestServer) => psqlAsOwner(s, `SELECT type, address, auth_method FROM pg_hba_file_rules WHERE '${ROLE}' = ANY(user_name)`);
  const files = (s: TestServer) => [s.confPath, s.hbaPath, join(s.dataDir, 'postgresql.auto.conf')];

  it('authMethod md5: md5 rules, the password stored as md5, a node logs in with md5, the outsider is refused, a second run changes nothing', async () => {
    const s = await server();
    const pw = randomPassword();
    const file = await settingsFile(s, pw, { authMethod: 'md5' });
    const plan = await prepare(file, ['--plan']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(`database.authMethod md5 (asked for, the guide's method): the rules for role ${ROLE} use md5, and its password is stored as md5. To store it as SCRAM-SHA-256 instead`);
    expect(plan.stdout).toMatch(/\+host\s+"?QSR"?\s+"?qliksenserepository"?\s+\S+\s+md5/);
    const r = await prepare(file);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(await ourRules(s)).toBe(`host|${lan.subnet}.0|md5`);
    expect(await verifierOf(s)).toMatch(/^md5[0-9a-f]{11}$/);
    const inside = await connectFrom(lan.nsIn, lan.ipDb, s.port, ROLE, 'QSR', pw);
    expect(inside.stderr).toBe('');
    expect(inside.stdout.trim()).toBe(lan.ipIn);
    const log = await readFile(s.logFile, 'utf8');
    expect(log).toMatch(new RegExp(`connection authenticated: identity="${ROLE}" method=md5`));
    const outside = await connectFrom(lan.nsOut, lan.ipDb, s.port, ROLE, 'QSR', pw);
    expect(outside.code).not.toBe(0);
    expect(outside.stderr).toContain(`no pg_hba.conf entry for host "${lan.ipOut}"`);
    const again = await prepare(file);
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
    expect(finishedSteps(again.stdout).changed).toEqual([]);
    // The offer taken: scramPassword stores the same password as SCRAM-SHA-256; the md5 rules stay and accept it.
    const scramFile = await settingsFile(s, pw, { authMethod: 'md5', scramPassword: true });
    const taken = await prepare(scramFile);
    expect(taken.code, `${taken.stdout}\n${taken.stderr}`).toBe(0);
    expect(await verifierOf(s)).toBe('SCRAM-SHA-256$');
    expect(await ourRules(s)).toBe(`host|${lan.subnet}.0|md5`);
    const afterScram = await connectFrom(lan.nsIn, lan.ipDb, s.port, ROLE, 'QSR', pw);
    expect(afterScram.stderr).toBe('');
    expect(afterScram.stdout.trim()).toBe(lan.ipIn);
  });

  it('refused runs with md5 asked change nothing: scramPassword without md5 (exit 2), a listen address the server lacks (exit 3)', async () => {
    const s = await server();
    const before = await snapshotServer(s, files(s));
    const contradiction = await prepare(await settingsFile(s, randomPassword(), { scramPassword: true }));
    expect(contradiction.code, `${contradiction.stdout}\n${contradiction.stderr}`).toBe(2);
    expect(contradiction.stderr).toMatch(/database\.scramPassword.*scramPassword is for authMethod "md5"/);
    expect(await snapshotServer(s, files(s))).toEqual(before);
    const refused = await prepare(await settingsFile(s, randomPassword(), { authMethod: 'md5' }, { listenAddresses: [`${lan.subnet}.99`] }));
    expect(refused.code, `${refused.stdout}\n${refused.stderr}`).toBe(3);
    expect(refused.stderr).toMatch(/is not an address of this server .*Nothing was changed/);
    expect(await snapshotServer(s, files(s))).toEqual(before);
    expect(await psqlAsOwner(s, `SELECT count(*) FROM pg_roles WHERE rolname = '${ROLE}'`)).toBe('0');
  });
});
