/**
 * Issue 12, layout 1: Debian's packaged layout (pg_createcluster with the packaged
 * createcluster.conf: config in /etc/postgresql/15/NAME with `include_dir = 'conf.d'`, data in
 * /var/lib/postgresql/15/NAME). `spsetup db prepare` used to refuse it ("could not open
 * configuration directory .../conf.d") after changing the role, database and pg_hba.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupNode, clusterSkipReason, deleteClusterNetns, makeNodeDirs, randomPassword, runCli, writeSettings, type NodeDirs } from '../support/cluster.js';
import { connectFrom, createDbLan, createDebianCluster, debianLayoutSkipReason, finishedSteps, prepareSettings, psqlAsOwner, type DbLan, type DebianCluster } from '../support/db-server.js';
import { freePort } from '../support/pg-server.js';

const skip = clusterSkipReason() ?? (await debianLayoutSkipReason());

describe.skipIf(skip)(`db prepare on Debian's pg_createcluster layout${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let lan: DbLan;
  let server: DebianCluster;
  let dirs: NodeDirs;
  const rolePassword = randomPassword();

  beforeAll(async () => {
    lan = await createDbLan();
    dirs = await makeNodeDirs('dbdeb');
    server = await createDebianCluster({ netns: lan.nsDb, port: await freePort(), password: randomPassword() });
    // An administrator's own file in conf.d, as the packaged layout invites: it overrides max_connections.
    await writeFile(`${server.confDir}/conf.d/10-admin.conf`, 'work_mem = 8MB\nmax_connections = 150\n');
  });

  afterAll(async () => {
    await server?.stop();
    if (dirs) await cleanupNode(dirs);
    await deleteClusterNetns();
  });

  it('prepares it: the node connects, the outsider is refused, the restart is clean, a second run changes nothing', async () => {
    const file = await writeSettings(dirs.settingsFile, prepareSettings(lan, dirs, server, rolePassword));
    const startedBefore = await psqlAsOwner(server, 'SELECT pg_postmaster_start_time()');
    const r = await runCli(['db', 'prepare', '--settings', file], { netns: lan.nsDb, timeoutMs: 120_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);

    expect(await psqlAsOwner(server, 'SHOW listen_addresses')).toBe(`127.0.0.1,${lan.ipDb}`);
    expect(await psqlAsOwner(server, 'SHOW max_connections')).toBe('300');
    expect(await psqlAsOwner(server, 'SHOW work_mem'), 'the conf.d file still counts').toBe('8MB');
    expect(await psqlAsOwner(server, 'SELECT count(*) FROM pg_settings WHERE pending_restart')).toBe('0');
    // Each edit went where its value wins: postgresql.conf in /etc, and the conf.d file that overrides it.
    expect(await psqlAsOwner(server, "SELECT sourcefile FROM pg_settings WHERE name = 'listen_addresses'")).toBe(server.confPath);
    expect(await psqlAsOwner(server, "SELECT sourcefile FROM pg_settings WHERE name = 'max_connections'")).toBe(`${server.confDir}/conf.d/10-admin.conf`);
    expect(await psqlAsOwner(server, "SELECT type, database, address, netmask, auth_method FROM pg_hba_file_rules WHERE 'qliksenserepository' = ANY(user_name)")).toBe(
      `host|{QSR}|${lan.subnet}.0|255.255.255.240|scram-sha-256`,
    );
    expect(await psqlAsOwner(server, 'SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL')).toBe('0');
    const startedAfter = await psqlAsOwner(server, 'SELECT pg_postmaster_start_time()');
    expect(startedAfter, 'restarted for listen_addresses and max_connections').not.toBe(startedBefore);

    const inside = await connectFrom(lan.nsIn, lan.ipDb, server.port, 'qliksenserepository', 'QSR', rolePassword);
    expect(inside.stderr).toBe('');
    expect(inside.stdout.trim()).toBe(lan.ipIn);
    const outside = await connectFrom(lan.nsOut, lan.ipDb, server.port, 'qliksenserepository', 'QSR', rolePassword);
    expect(outside.code).not.toBe(0);
    expect(outside.stderr).toContain(`no pg_hba.conf entry for host "${lan.ipOut}", user "qliksenserepository", database "QSR"`);

    const backups = await readdir(`${dirs.stateDir}/db-prepare/backups`);
    expect(['postgresql.conf', 'pg_hba.conf', '10-admin.conf'].every((f) => backups.some((b) => b.startsWith(f))), backups.join(', ')).toBe(true);

    const again = await runCli(['db', 'prepare', '--settings', file], { netns: lan.nsDb, timeoutMs: 120_000 });
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
    const steps = finishedSteps(again.stdout);
    expect(steps.all.length).toBeGreaterThan(0);
    expect(steps.changed).toEqual([]);
    expect(await psqlAsOwner(server, 'SELECT pg_postmaster_start_time()'), 'no restart when nothing changed').toBe(startedAfter);
  });
});
