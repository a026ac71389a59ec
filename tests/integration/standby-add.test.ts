/**
 * Issue 16, the standby: `spsetup db standby add` run on the standby machine (its own network
 * namespace) against a real primary in another; `db status` as the administrator's check.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterNetnsName, clusterSkipReason, deleteClusterNetns, randomSubnet, runCli, writeSettings } from '../support/cluster.js';
import { runInNetns } from '../support/netns.js';
import { binDirOf, debianMissing } from '../support/pg-server.js';
import { createDbPair, type DbPair } from '../support/db-pair.js';
const skip = clusterSkipReason() ?? debianMissing();

interface ServerStatusJson {
  endpoint: string;
  reachable: boolean;
  role?: string;
  timeline?: number;
  replicas?: { name: string; address: string; state: string; syncState: string; lagBytes: number }[];
  slots?: { name: string; active: boolean }[];
  receiver?: { status: string; sender: string };
}

describe.skipIf(skip)(`db standby add on the standby machine${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let pair: DbPair;
  const cli = (args: string[]) => runCli(['db', ...args, '--settings', pair.standby.settingsFile], { netns: pair.standby.ns, timeoutMs: 170_000 });
  const primarySql = async <T extends Record<string, unknown>>(sql: string, params: unknown[] = []) => {
    const c = await pair.primary.server.connect();
    try {
      return await c.query<T>(sql, params);
    } finally {
      await c.close();
    }
  };
  const replicationRules = async () => (await readFile(pair.primary.server.hbaPath, 'utf8')).split('\n').filter((l) => /^\s*host\S*\s+replication\s/.test(l));
  const roleExists = async () => (await primarySql(`SELECT 1 FROM pg_roles WHERE rolname = 'spsetup_replication'`)).length > 0;

  beforeAll(async () => {
    pair = await createDbPair(randomSubnet(), clusterNetnsName('hub'));
  });

  afterAll(async () => {
    await pair?.cleanup();
    await deleteClusterNetns();
  });

  it('refuses a standby given by name instead of its address, and changes nothing', async () => {
    const hbaBefore = await readFile(pair.primary.server.hbaPath, 'utf8');
    await writeSettings(pair.standby.settingsFile, pair.settings({ standbyHost: 'standby.example' }));
    const r = await cli(['standby', 'add', '--yes']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(2);
    expect(r.stderr).toMatch(/standby\.host must be this standby's IPv4 address/);
    expect(await readFile(pair.primary.server.hbaPath, 'utf8')).toBe(hbaBefore);
    expect(await roleExists()).toBe(false);
    await expect(stat(pair.standby.dataDir)).rejects.toThrow();
    await writeSettings(pair.standby.settingsFile, pair.settings());
  });

  it('sets the primary up and stops at wal_log_hints, which needs the primary restarted; nothing past that step is done', async () => {
    const r = await cli(['standby', 'add', '--yes']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
    expect(r.stdout).toMatch(/wal_log_hints take effect only after a restart/);
    expect(r.stdout).toMatch(/What to do: Restart PostgreSQL on /);
    const s = await primarySql<{ setting: string; pending_restart: boolean }>(`SELECT setting, pending_restart FROM pg_settings WHERE name = 'wal_log_hints'`);
    expect(s[0]).toEqual({ setting: 'off', pending_restart: true });
    expect(await roleExists()).toBe(false);
    await expect(stat(pair.standby.dataDir)).rejects.toThrow();
  });

  it('after the restart it finishes: the standby streams, as pg_stat_replication, pg_stat_wal_receiver and db status show', async () => {
    await pair.restartPrimary();
    const r = await cli(['standby', 'add', '--yes']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    // The nodes' agents are elsewhere: the command that puts the standby on their endpoint lists is named.
    expect(r.stdout).toContain(`spsetup site endpoints set --settings NODE-SETTINGS --endpoints ${pair.primary.ip}:${pair.primary.server.port},${pair.standby.ip}:`);
    const st = await cli(['status', '--json']);
    expect(st.code, `${st.stdout}\n${st.stderr}`).toBe(0);
    const [p, s] = JSON.parse(st.stdout) as ServerStatusJson[];
    expect(p).toMatchObject({ endpoint: `${pair.primary.ip}:${pair.primary.server.port}`, role: 'primary', timeline: 1 });
    expect(p!.replicas).toEqual([expect.objectContaining({ address: pair.standby.ip, state: 'streaming', syncState: 'async' })]);
    expect(p!.slots).toEqual([expect.objectContaining({ active: true })]);
    expect(s).toMatchObject({ role: 'standby', timeline: 1, receiver: { status: 'streaming', sender: `${pair.primary.ip}:${pair.primary.server.port}` } });
    const text = await cli(['status']);
    expect(text.stdout).toMatch(/PRIMARY {2}timeline 1/);
    expect(text.stdout).toMatch(/STANDBY {2}timeline 1/);
    // A row written on the primary is read on the standby.
    await primarySql(`CREATE TABLE IF NOT EXISTS spsetup_probe (v text)`);
    await primarySql(`INSERT INTO spsetup_probe VALUES ('from the primary')`);
    // Read on the standby, inside its namespace, as an administrator there would.
    const deadline = Date.now() + 10_000;
    let seen = '';
    while (Date.now() < deadline && !seen.includes('from the primary')) {
      const q = await runInNetns(pair.standby.ns, join(binDirOf('debian15'), 'psql'), ['-h', '127.0.0.1', '-p', String(pair.primary.server.port), '-U', 'postgres', '-d', 'postgres', '-Atc', 'SELECT v FROM spsetup_probe'], { env: { PGPASSWORD: pair.primary.server.password } });
      seen = q.stdout;
    }
    expect(seen).toContain('from the primary');
  });

  it('admits replication from the standby address only, with a SCRAM role whose password is in no file but the private password file', async () => {
    expect(await replicationRules()).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^host\\s+replication\\s+spsetup_replication\\s+${pair.standby.ip.replace(/\./g, '\\.')}/32\\s+scram-sha-256$`))]));
    expect((await replicationRules()).filter((l) => l.includes('spsetup_replication'))).toHaveLength(1);
    const pw = await primarySql<{ p: string }>(`SELECT rolpassword AS p FROM pg_authid WHERE rolname = 'spsetup_replication'`);
    expect(pw[0]!.p).toMatch(/^SCRAM-SHA-256\$/);
    // From another address (the primary's own) the same role and password are refused.
    const passfile = join(pair.standby.dirs.stateDir, 'replication', 'pgpass');
    const other = await runInNetns(pair.primary.ns, join(binDirOf('debian15'), 'psql'), [`host=${pair.primary.ip} port=${pair.primary.server.port} user=spsetup_replication replication=true dbname=replication`, '-c', 'IDENTIFY_SYSTEM'], { env: { PGPASSWORD: pair.replicationPassword } });
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/no pg_hba\.conf entry for replication connection from host "[\d.]+"/);
    const st = await stat(passfile);
    expect(st.mode & 0o777).toBe(0o600);
    const auto = await readFile(join(pair.standby.dataDir, 'postgresql.auto.conf'), 'utf8');
    expect(auto).toContain(`passfile=''${passfile}''`);
    for (const file of [join(pair.standby.dataDir, 'postgresql.auto.conf'), join(pair.standby.dataDir, 'postgresql.conf'), pair.primary.server.logFile, join(pair.standby.dirs.stateDir, 'standby', 'journal.jsonl')]) {
      expect(await readFile(file, 'utf8').catch(() => ''), file).not.toContain(pair.replicationPassword);
    }
  });

  it('run again, the plan changes nothing', async () => {
    const r = await cli(['standby', 'add', '--plan']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/\n0 of \d+ step\(s\) will change something/);
  });
});
