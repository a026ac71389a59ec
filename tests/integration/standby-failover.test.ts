/**
 * Issue 16, failover, rejoin and switchover: a primary (a dedicated Debian PostgreSQL 15 server
 * prepared with db prepare), its standby (db standby add) and a central node installed against
 * the primary, each in its own network namespace. The node's agent has both servers as its
 * database endpoints. The primary's link is cut; db failover on the standby promotes it and the
 * node follows; the old primary, back, gets nothing from the node; db rejoin makes it the standby
 * by pg_rewind; db switchover hands the primary role back with nothing lost.
 */
import { readFileSync } from 'node:fs';
import { chown, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accountName,
  attachNode,
  cleanupNode,
  clusterNetnsName,
  clusterSkipReason,
  deleteClusterNetns,
  makeNodeDirs,
  makeShare,
  nodeSettings,
  randomPassword,
  randomSubnet,
  removeUser,
  runCli,
  writeSettings,
  type NodeDirs,
} from '../support/cluster.js';
import { createDbPair, type DbPair } from '../support/db-pair.js';
import { runInNetns } from '../support/netns.js';
import { binDirOf, debianMissing } from '../support/pg-server.js';
const skip = clusterSkipReason() ?? debianMissing();
const POSTGRES = (() => {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'))?.split(':');
  return { uid: Number(line?.[2] ?? 0), gid: Number(line?.[3] ?? 0) };
})();

interface ServerStatusJson {
  endpoint: string;
  reachable: boolean;
  role?: string;
  timeline?: number;
  replicas?: { name: string; address: string; state: string }[];
  receiver?: { status: string; sender: string };
}
interface SiteStatusJson {
  nodes: { hostname: string; endpoint: string; reachable: boolean; services: { name: string; state: string }[] }[];
}

describe.skipIf(skip)(`db failover, rejoin and switchover with a site node${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let pair: DbPair;
  let node: { ns: string; ip: string; dirs: NodeDirs };
  let share: Awaited<ReturnType<typeof makeShare>>;
  const user = accountName('fo');
  const repoPassword = randomPassword();
  const port = () => pair.primary.server.port;
  const psql = join(binDirOf('debian15'), 'psql');
  /** The primary machine's own settings file: this machine is `standby`, the other server `primary`. */
  const primaryMachineSettings = () => join(pair.primary.dirs.root, 'replicated.json');

  const db = (ns: string, settingsFile: string, args: string[]) => runCli(['db', ...args, '--settings', settingsFile], { netns: ns, timeoutMs: 240_000 });
  const onStandby = (args: string[]) => db(pair.standby.ns, pair.standby.settingsFile, args);
  const onPrimary = (args: string[]) => db(pair.primary.ns, primaryMachineSettings(), args);
  /** SQL as the repository role from the node's namespace, as the product does. */
  const asNode = (host: string, sql: string) =>
    runInNetns(node.ns, psql, ['-h', host, '-p', String(port()), '-U', 'qliksenserepository', '-d', 'QSR', '-v', 'ON_ERROR_STOP=1', '-Atc', sql], { env: { PGPASSWORD: repoPassword }, timeoutMs: 15_000 });
  const asSuperuser = (ns: string, host: string, sql: string, database = 'QSR') =>
    runInNetns(ns, psql, ['-h', host, '-p', String(port()), '-U', 'postgres', '-d', database, '-v', 'ON_ERROR_STOP=1', '-Atc', sql], { env: { PGPASSWORD: pair.primary.server.password }, timeoutMs: 15_000 });
  const connectionString = () => readFile(join(node.dirs.dataDir, 'secrets', 'repository.connection'), 'utf8');
  const status = async (run: (args: string[]) => ReturnType<typeof onStandby>) => {
    const r = await run(['status', '--json']);
    return JSON.parse(r.stdout) as ServerStatusJson[];
  };
  const siteStatus = async (): Promise<SiteStatusJson> => {
    const r = await runCli(['site', 'status', '--json', '--settings', node.dirs.settingsFile], { netns: node.ns });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    return JSON.parse(r.stdout) as SiteStatusJson;
  };
  const waitFor = async (what: string, probe: () => Promise<boolean>, ms = 60_000) => {
    const deadline = Date.now() + ms;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  beforeAll(async () => {
    const subnet = randomSubnet();
    pair = await createDbPair(subnet, clusterNetnsName('hub'));
    share = await makeShare();
    node = { ns: clusterNetnsName('a'), ip: `${subnet}.3`, dirs: await makeNodeDirs('foa') };
    await attachNode(pair.hub, node.ns, `${node.ip}/24`);
    // The repository database prepared on the primary before the standby is copied (pg_hba.conf is not replicated).
    const prep = nodeSettings({
      dirs: pair.primary.dirs,
      mode: 'create',
      dbInstall: 'existing',
      dbHost: pair.primary.ip,
      dbPort: port(),
      password: repoPassword,
      superuserPassword: pair.primary.server.password,
      listener: { listenAddresses: ['127.0.0.1', pair.primary.ip], ipRanges: [`${subnet}.0/24`], maxConnections: 300 },
      shareRoot: share.share,
      hostname: pair.primary.ip,
      user,
    });
    const p = await runCli(['db', 'prepare', '--settings', await writeSettings(pair.primary.dirs.settingsFile, prep)], { netns: pair.primary.ns });
    expect(p.code, `${p.stdout}\n${p.stderr}`).toBe(0);
    // Each machine its own socket folder: they share this host's /var/run/postgresql and use the same port.
    const standbySocket = join(pair.standby.dirs.root, 'sock');
    await mkdir(standbySocket, { mode: 0o755 });
    await chown(standbySocket, POSTGRES.uid, POSTGRES.gid);
    const base = pair.settings() as { primary: Record<string, unknown>; standby: Record<string, unknown> };
    const standbyDoc = { ...base, standby: { ...base.standby, socketDir: standbySocket }, site: { database: 'QSR', followTimeoutSeconds: 120 } };
    await writeSettings(pair.standby.settingsFile, standbyDoc);
    const first = await onStandby(['standby', 'add', '--yes']);
    expect(first.stdout).toMatch(/take effect only after a restart/);
    await pair.restartPrimary();
    const added = await onStandby(['standby', 'add', '--yes']);
    expect(added.code, `${added.stdout}\n${added.stderr}`).toBe(0);
    // The same pair seen from the primary machine, for rejoin and switchover run there.
    await writeSettings(primaryMachineSettings(), {
      ...standbyDoc,
      primary: { ...standbyDoc.primary, host: pair.standby.ip },
      standby: { host: pair.primary.ip, port: port(), dataDir: pair.primary.server.dataDir, socketDir: pair.primary.server.socketDir },
      stateDir: pair.primary.dirs.stateDir,
      services: { manager: 'runit', runitDir: pair.primary.dirs.runitDir },
    });
    const doc = nodeSettings({ dirs: node.dirs, mode: 'create', dbInstall: 'existing', dbHost: pair.primary.ip, dbPort: port(), password: repoPassword, shareRoot: share.share, hostname: node.ip, user });
    const a = await runCli(['install', '--settings', await writeSettings(node.dirs.settingsFile, doc), '--yes'], { netns: node.ns, timeoutMs: 240_000 });
    expect(a.code, `${a.stdout}\n${a.stderr}`).toBe(0);
  }, 600_000);

  afterAll(async () => {
    if (node) await cleanupNode(node.dirs);
    await pair?.cleanup();
    await deleteClusterNetns();
    await share?.cleanup();
    await removeUser(user);
  });

  it('site endpoints set gives the node both servers; a bad list is refused and changes nothing', async () => {
    const config = join(node.dirs.stateDir, 'node-agent.json');
    const before = await readFile(config, 'utf8');
    const bad = await runCli(['site', 'endpoints', 'set', '--endpoints', `${pair.primary.ip}:${port()},${pair.primary.ip}:${port()}`, '--settings', node.dirs.settingsFile], { netns: node.ns });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/names a server twice/);
    expect(await readFile(config, 'utf8')).toBe(before);
    const r = await runCli(['site', 'endpoints', 'set', '--endpoints', `${pair.primary.ip}:${port()},${pair.standby.ip}:${port()}`, '--settings', node.dirs.settingsFile], { netns: node.ns });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/database endpoints set/);
    expect((JSON.parse(await readFile(config, 'utf8')) as { endpoints: unknown }).endpoints).toEqual([
      { host: pair.primary.ip, port: port() },
      { host: pair.standby.ip, port: port() },
    ]);
    const w = await asNode(pair.primary.ip, `CREATE TABLE failover_probe (v text); INSERT INTO failover_probe VALUES ('before failover')`);
    expect(w.code, w.stderr).toBe(0);
  });

  it('db failover is refused while the primary is reachable and takes writes, and changes nothing', async () => {
    const r = await onStandby(['failover', '--yes']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(3);
    expect(r.stderr).toMatch(/is reachable and takes writes .* two primaries/);
    const [p, s] = await status(onStandby);
    expect(p).toMatchObject({ role: 'primary', timeline: 1 });
    expect(s).toMatchObject({ role: 'standby', receiver: { status: 'streaming' } });
  });

  it('with the primary cut off, db failover shows its plan, promotes the standby, and the node follows it', async () => {
    await pair.cutPrimary(true);
    const plan = await onStandby(['failover', '--plan']);
    expect(plan.code, `${plan.stdout}\n${plan.stderr}`).toBe(0);
    expect(plan.stdout).toMatch(/Promote this machine/);
    expect(plan.stdout).toMatch(/does not answer/);
    expect((await status(onStandby))[1]).toMatchObject({ role: 'standby' });
    const r = await onStandby(['failover', '--yes']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const [old, now] = await status(onStandby);
    expect(old!.reachable).toBe(false);
    expect(now).toMatchObject({ role: 'primary', timeline: 2 });
    // The node's connection string and its agent's heartbeat are on the new primary; its services run.
    expect(await connectionString()).toContain(`Host=${pair.standby.ip}`);
    const site = await siteStatus();
    expect(site.nodes.map((n) => `${n.hostname} ${n.endpoint}`)).toEqual([`${node.ip} ${pair.standby.ip}:${port()}`]);
    await waitFor('the repository service running', async () => (await siteStatus()).nodes[0]!.services.find((x) => x.name === 'reference-repository')?.state === 'running');
    // What was written before is there; the new primary takes the node's writes.
    expect((await asNode(pair.standby.ip, 'SELECT string_agg(v, \',\') FROM failover_probe')).stdout.trim()).toBe('before failover');
    const w = await asNode(pair.standby.ip, `INSERT INTO failover_probe VALUES ('after failover')`);
    expect(w.code, w.stderr).toBe(0);
  });

  it('the old primary, back before rejoin, gets no write from the node', async () => {
    await pair.cutPrimary(false);
    const beat = `SELECT last_heartbeat::text FROM spsetup.nodes WHERE hostname = '${node.ip}'`;
    const before = await asSuperuser(pair.primary.ns, pair.primary.ip, beat);
    expect(before.code, before.stderr).toBe(0);
    const [old] = await status(onStandby);
    expect(old).toMatchObject({ reachable: true, role: 'primary', timeline: 1 });
    // Several of the agent's follow rounds (every 5 heartbeats of 2 s) while both claim to be primary.
    const agentLog = join(node.dirs.stateDir, 'logs', 'node-agent.log');
    const logBefore = (await readFile(agentLog, 'utf8')).length;
    const since = (await asSuperuser(pair.standby.ns, '127.0.0.1', `SELECT (now() + interval '22 seconds')::text`)).stdout.trim();
    await waitFor('22 s more of heartbeats on the new primary', async () => (await asSuperuser(pair.standby.ns, '127.0.0.1', `SELECT count(*) FROM spsetup.nodes WHERE hostname = '${node.ip}' AND last_heartbeat > '${since}'`)).stdout.trim() === '1', 60_000);
    expect((await asSuperuser(pair.primary.ns, pair.primary.ip, beat)).stdout).toBe(before.stdout);
    expect(await connectionString()).toContain(`Host=${pair.standby.ip}`);
    expect((await readFile(agentLog, 'utf8')).slice(logBefore)).not.toMatch(new RegExp(`-> ${pair.primary.ip.replace(/\./g, '\\.')}:`));
  }, 120_000);

  it('db rejoin on the old primary rewinds it with pg_rewind; it streams from the new primary and refuses writes', async () => {
    const plan = await onPrimary(['rejoin', '--plan']);
    expect(plan.code, `${plan.stdout}\n${plan.stderr}`).toBe(0);
    expect(plan.stdout).toMatch(/pg_rewind/);
    const r = await onPrimary(['rejoin', '--yes']);
    const serviceLog = await readFile(join(pair.primary.dirs.stateDir, 'service-logs', 'spsetup-postgresql.log'), 'utf8').catch((e: Error) => e.message);
    expect(r.code, `${r.stdout}\n${r.stderr}\n${serviceLog}`).toBe(0);
    expect(r.stdout).toMatch(/pg_rewind/);
    const [np, op] = await status(onPrimary);
    expect(np).toMatchObject({ endpoint: `${pair.standby.ip}:${port()}`, role: 'primary', timeline: 2 });
    expect(np!.replicas).toEqual([expect.objectContaining({ address: pair.primary.ip, state: 'streaming' })]);
    expect(op).toMatchObject({ role: 'standby', timeline: 2, receiver: { status: 'streaming', sender: `${pair.standby.ip}:${port()}` } });
    await waitFor('the row written after the failover on the rejoined server', async () => (await asSuperuser(pair.primary.ns, pair.primary.ip, 'SELECT string_agg(v, \',\' ORDER BY v) FROM failover_probe')).stdout.trim() === 'after failover,before failover');
    const w = await asNode(pair.primary.ip, `INSERT INTO failover_probe VALUES ('to the old primary')`);
    expect(w.code).not.toBe(0);
    expect(w.stderr).toMatch(/read-only transaction/);
    const again = await onPrimary(['rejoin', '--plan']);
    expect(again.stdout).toMatch(/\n0 of \d+ step\(s\) will change something/);
  });

  it('db switchover run on the new primary hands the role back with nothing lost; the node follows and the other machine streams', async () => {
    const w = await asNode(pair.standby.ip, `INSERT INTO failover_probe VALUES ('before switchover')`);
    expect(w.code, w.stderr).toBe(0);
    const refused = await onPrimary(['switchover', '--yes']);
    expect(refused.code, 'switchover runs on the primary').toBe(3);
    const r = await onStandby(['switchover', '--yes']);
    const serviceLog = await readFile(join(pair.standby.dirs.stateDir, 'service-logs', 'spsetup-postgresql.log'), 'utf8').catch((e: Error) => e.message);
    expect(r.code, `${r.stdout}\n${r.stderr}\n${serviceLog.split('\n').slice(-30).join('\n')}`).toBe(0);
    const [p, s] = await status(onStandby);
    expect(p).toMatchObject({ endpoint: `${pair.primary.ip}:${port()}`, role: 'primary', timeline: 3 });
    expect(s).toMatchObject({ role: 'standby', timeline: 3, receiver: { status: 'streaming' } });
    expect(await connectionString()).toContain(`Host=${pair.primary.ip}`);
    const rows = await asNode(pair.primary.ip, `SELECT string_agg(v, ',' ORDER BY v) FROM failover_probe`);
    expect(rows.stdout.trim()).toBe('after failover,before failover,before switchover');
    expect((await asNode(pair.primary.ip, `INSERT INTO failover_probe VALUES ('after switchover')`)).code).toBe(0);
  });
});
