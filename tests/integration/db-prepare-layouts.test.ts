/**
 * Issue 12: `spsetup db prepare` on the server layouts administrators have, each a real server in
 * the LAN's database namespace: RHEL-style (configuration in the data directory), ALTER SYSTEM
 * overriding postgresql.conf, include / include_if_exists / include_dir / a relative include in a
 * sub-folder overriding it, duplicate lines, an md5 server with an md5 role, a hostssl-only server
 * and PostgreSQL 17 (embedded) with a pg_hba include. Each checks SHOW and where the value comes
 * from, pg_hba_file_rules, a node inside the ranges that connects and an outsider that is refused
 * (from their own namespaces), a clean restart, the backups, and a second run that changes nothing.
 */
import { chown, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { md5Verifier } from '../../electron/system/postgres/scram.js';
import { cleanupNode, clusterSkipReason, deleteClusterNetns, makeNodeDirs, randomPassword, runCli, writeSettings, type NodeDirs } from '../support/cluster.js';
import { createDbLan, finishedSteps, prepareSettings, psqlAsOwner, type DbLan } from '../support/db-server.js';
import { execBounded, runInNetns } from '../support/netns.js';
import { binDirOf, ensureOsUser, freePort, startTestServer, type TestServer, type TestServerOptions } from '../support/pg-server.js';

function missing(flavor: 'debian15' | 'embedded17'): string | undefined {
  try {
    binDirOf(flavor);
    return undefined;
  } catch {
    return `PostgreSQL ${flavor} is not installed`;
  }
}

const skip = clusterSkipReason() ?? missing('debian15');
const ROLE = 'qliksenserepository';

/** pg_hba.conf of an administrator: the owner over the socket, the superuser from 127.0.0.1 with `method`. */
const adminHba = (method: string, type = 'host') => `local all postgres peer\n${type} all all 127.0.0.1/32 ${method}\n`;

describe.skipIf(skip)(`db prepare on the layouts administrators have${skip ? ` (skipped: ${skip})` : ''}`, () => {
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

  async function server(opts: Partial<Omit<TestServerOptions, 'netns'>>): Promise<TestServer> {
    const s = await startTestServer({ flavor: 'debian15', listenAddresses: '127.0.0.1', hba: adminHba('scram-sha-256'), ...opts, netns: lan.nsDb, port: opts.port ?? (await freePort()) });
    servers.push(s);
    return s;
  }

  async function prepare(s: TestServer, rolePassword: string, database: Record<string, unknown> = {}) {
    const d = await makeNodeDirs('dblay');
    dirs.push(d);
    const file = await writeSettings(d.settingsFile, prepareSettings(lan, d, s, rolePassword, database));
    const run = () => runCli(['db', 'prepare', '--settings', file], { netns: lan.nsDb, timeoutMs: 120_000 });
    return { dirs: d, file, run };
  }

  /** What every layout must show once prepared. */
  async function expectPrepared(s: TestServer, p: Awaited<ReturnType<typeof prepare>>, rolePassword: string, rule: { type: string; method: string }, ssl = 'prefer') {
    expect(await psqlAsOwner(s, 'SHOW listen_addresses')).toBe(`127.0.0.1,${lan.ipDb}`);
    expect(await psqlAsOwner(s, 'SHOW max_connections')).toBe('300');
    expect(await psqlAsOwner(s, 'SELECT count(*) FROM pg_settings WHERE pending_restart')).toBe('0');
    expect(await psqlAsOwner(s, `SELECT type, database, address, netmask, auth_method FROM pg_hba_file_rules WHERE '${ROLE}' = ANY(user_name)`)).toBe(
      `${rule.type}|{QSR}|${lan.subnet}.0|255.255.255.240|${rule.method}`,
    );
    expect(await psqlAsOwner(s, 'SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL')).toBe('0');
    expect(await psqlAsOwner(s, 'SELECT count(*) FROM pg_file_settings WHERE error IS NOT NULL')).toBe('0');
    const inside = await connectAs(lan.nsIn, s.port, rolePassword, ssl);
    expect(inside.stderr).toBe('');
    expect(inside.stdout.trim()).toBe(lan.ipIn);
    const outside = await connectAs(lan.nsOut, s.port, rolePassword, ssl);
    expect(outside.code).not.toBe(0);
    expect(outside.stderr).toContain(`no pg_hba.conf entry for host "${lan.ipOut}", user "${ROLE}", database "QSR"`);
    const backups = await readdir(`${p.dirs.stateDir}/db-prepare/backups`);
    expect(backups.some((b) => b.includes('pg_hba.conf')), backups.join(', ')).toBe(true);
    const started = await psqlAsOwner(s, 'SELECT pg_postmaster_start_time()');
    const again = await p.run();
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
    const steps = finishedSteps(again.stdout);
    expect(steps.all.length).toBe(3);
    expect(steps.changed).toEqual([]);
    expect(await psqlAsOwner(s, 'SELECT pg_postmaster_start_time()'), 'no restart when nothing changed').toBe(started);
    return backups;
  }

  function connectAs(ns: string, port: number, password: string, sslmode: string) {
    return runInNetns(ns, 'psql', ['-X', `host=${lan.ipDb} port=${port} user=${ROLE} dbname=QSR sslmode=${sslmode} connect_timeout=5`, '-Atc', 'SELECT inet_client_addr()'], {
      env: { PGPASSWORD: password },
      timeoutMs: 15_000,
    });
  }

  it('RHEL-style: configuration in the data directory', async () => {
    const s = await server({});
    const pw = randomPassword();
    const p = await prepare(s, pw);
    const r = await p.run();
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(await psqlAsOwner(s, "SELECT sourcefile FROM pg_settings WHERE name = 'max_connections'")).toBe(s.confPath);
    const backups = await expectPrepared(s, p, pw, { type: 'host', method: 'scram-sha-256' });
    expect(backups.some((b) => b.includes('postgresql.conf'))).toBe(true);
  });

  it('ALTER SYSTEM (postgresql.auto.conf) overriding postgresql.conf: changed by ALTER SYSTEM, postgresql.conf untouched', async () => {
    const s = await server({ beforeStart: (data) => writeFile(join(data, 'postgresql.auto.conf'), "# Do not edit this file manually!\nlisten_addresses = 'localhost'\nmax_connections = '50'\n") });
    expect(await psqlAsOwner(s, 'SHOW listen_addresses')).toBe('localhost');
    const confBefore = await readFile(s.confPath, 'utf8');
    const pw = randomPassword();
    const p = await prepare(s, pw);
    const plan = await runCli(['db', 'prepare', '--settings', p.file, '--plan'], { netns: lan.nsDb });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('by ALTER SYSTEM (postgresql.auto.conf holds the value in effect, localhost');
    expect(await psqlAsOwner(s, `SELECT count(*) FROM pg_roles WHERE rolname = '${ROLE}'`), '--plan changes nothing').toBe('0');
    const r = await p.run();
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(await psqlAsOwner(s, "SELECT sourcefile FROM pg_settings WHERE name = 'listen_addresses'")).toBe(join(s.dataDir, 'postgresql.auto.conf'));
    expect(await psqlAsOwner(s, "SELECT sourcefile FROM pg_settings WHERE name = 'max_connections'")).toBe(join(s.dataDir, 'postgresql.auto.conf'));
    // port is set in postgresql.conf already (to its value): the file is left as it was.
    expect(await readFile(s.confPath, 'utf8')).toBe(confBefore);
    await expectPrepared(s, p, pw, { type: 'host', method: 'scram-sha-256' });
  });

  it('include, include_if_exists, include_dir and a relative include in a sub-folder, with duplicates: each value edited where it wins', async () => {
    const s = await server({
      beforeStart: async (data) => {
        const ids = await ensureOsUser();
        await mkdir(join(data, 'site', 'conf.d'), { recursive: true });
        // postgresql.conf: a duplicate max_connections, then the includes that override it.
        const conf = await readFile(join(data, 'postgresql.conf'), 'utf8');
        await writeFile(join(data, 'postgresql.conf'), `${conf}max_connections = 20\nmax_connections = 30\ninclude_if_exists 'absent.conf'\ninclude 'site/main.conf'\n`);
        await writeFile(join(data, 'site', 'main.conf'), "max_connections = 40\ninclude_dir 'conf.d'\n");
        await writeFile(join(data, 'site', 'conf.d', '10-net.conf'), "listen_addresses = 'localhost'\nlisten_addresses = 'localhost'\n");
        for (const f of ['site', 'site/conf.d', 'site/main.conf', 'site/conf.d/10-net.conf']) await chown(join(data, f), ids.uid, ids.gid);
      },
    });
    expect(await psqlAsOwner(s, 'SHOW max_connections')).toBe('40');
    const pw = randomPassword();
    const p = await prepare(s, pw);
    const r = await p.run();
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(await psqlAsOwner(s, "SELECT sourcefile || ':' || sourceline FROM pg_settings WHERE name = 'max_connections'")).toBe(`${join(s.dataDir, 'site', 'main.conf')}:1`);
    expect(await psqlAsOwner(s, "SELECT sourcefile || ':' || sourceline FROM pg_settings WHERE name = 'listen_addresses'")).toBe(`${join(s.dataDir, 'site', 'conf.d', '10-net.conf')}:2`);
    expect(await readFile(join(s.dataDir, 'site', 'conf.d', '10-net.conf'), 'utf8')).toBe(`listen_addresses = 'localhost'\nlisten_addresses = '127.0.0.1,${lan.ipDb}'\n`);
    const conf = await readFile(s.confPath, 'utf8');
    expect(conf).toContain('max_connections = 20\nmax_connections = 30\n');
    const backups = await expectPrepared(s, p, pw, { type: 'host', method: 'scram-sha-256' });
    expect(backups.some((b) => b.startsWith('main.conf')) && backups.some((b) => b.startsWith('10-net.conf')), backups.join(', ')).toBe(true);
  });

  it('md5 server (the guide): an md5 superuser is not locked out, an existing md5 role is stored again as SCRAM and every node logs in', async () => {
    const suPassword = randomPassword();
    const s = await server({ password: suPassword, hba: adminHba('md5') });
    await psqlAsOwner(s, "ALTER SYSTEM SET password_encryption = 'md5'");
    await psqlAsOwner(s, 'SELECT pg_reload_conf()');
    await psqlAsOwner(s, `ALTER ROLE postgres PASSWORD '${md5Verifier(suPassword, 'postgres')}'`);
    const pw = randomPassword();
    await psqlAsOwner(s, `CREATE ROLE ${ROLE} LOGIN PASSWORD '${md5Verifier(pw, ROLE)}'`);
    const p = await prepare(s, pw);
    const r = await p.run();
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain(`The password of role ${ROLE} is stored as md5: it is stored again as SCRAM-SHA-256 (the same password)`);
    expect(await psqlAsOwner(s, `SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = '${ROLE}'`)).toBe('SCRAM-SHA-256$');
    // The superuser still logs in over 127.0.0.1 with its md5 password.
    const su = await runInNetns(lan.nsDb, 'psql', ['-X', `host=127.0.0.1 port=${s.port} user=postgres dbname=postgres connect_timeout=5`, '-Atc', 'SELECT 1'], { env: { PGPASSWORD: suPassword }, timeoutMs: 15_000 });
    expect(su.stderr).toBe('');
    await expectPrepared(s, p, pw, { type: 'host', method: 'scram-sha-256' });
  });

  it('hostssl-only server: spsetup connects with SSL, adds hostssl rules, and a node without SSL is refused', async () => {
    const s = await server({
      hba: adminHba('scram-sha-256', 'hostssl'),
      beforeStart: async (data) => {
        const ids = await ensureOsUser();
        const made = await execBounded('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=spsetup-test', '-keyout', join(data, 'server.key'), '-out', join(data, 'server.crt')], { timeoutMs: 60_000 });
        if (made.code !== 0) throw new Error(made.stderr);
        for (const f of ['server.key', 'server.crt']) await chown(join(data, f), ids.uid, ids.gid);
        await execBounded('chmod', ['600', join(data, 'server.key')]);
        const conf = await readFile(join(data, 'postgresql.conf'), 'utf8');
        await writeFile(join(data, 'postgresql.conf'), `${conf}ssl = on\n`);
      },
    });
    const pw = randomPassword();
    const p = await prepare(s, pw);
    const r = await p.run();
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('spsetup connects with SSL');
    await expectPrepared(s, p, pw, { type: 'hostssl', method: 'scram-sha-256' }, 'require');
    const plain = await connectAs(lan.nsIn, s.port, pw, 'disable');
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toContain('no encryption');
  });

  it.skipIf(missing('embedded17'))(`PostgreSQL 17 (embedded) with a pg_hba include${missing('embedded17') ? ` (skipped: ${missing('embedded17')})` : ''}`, async () => {
    const s = await server({
      flavor: 'embedded17',
      hba: 'local all postgres peer\ninclude admin_hba.conf\n',
      beforeStart: async (data) => {
        const ids = await ensureOsUser();
        await writeFile(join(data, 'admin_hba.conf'), 'host all all 127.0.0.1/32 scram-sha-256\n');
        await chown(join(data, 'admin_hba.conf'), ids.uid, ids.gid);
      },
    });
    expect(await psqlAsOwner(s, 'SHOW server_version_num')).toMatch(/^17/);
    const pw = randomPassword();
    const p = await prepare(s, pw);
    const r = await p.run();
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    await expectPrepared(s, p, pw, { type: 'host', method: 'scram-sha-256' });
  });
});
