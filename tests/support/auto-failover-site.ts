/**
 * Three database-side machines for the pg_auto_failover tests and bench, each in its own network
 * namespace on one private LAN: a monitor (.1), the primary (.2: a fresh Debian PostgreSQL 15
 * server admitting the subnet's superuser logins, as a prepared database server does) and an empty
 * standby machine (.3), plus a client machine (.4) for a writer. Each machine has its settings
 * file for `spsetup db auto-failover`. The primary's and standby's servers use different ports:
 * on one test host they share /var/run/postgresql for their sockets.
 */
import { chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { attachNode, cleanupNode, clusterNetnsName, createHub, makeNodeDirs, randomPassword, readCmdline, runCli, writeSettings, type NodeDirs } from './cluster.js';
import { execBounded, runInNetns } from './netns.js';
import { binDirOf, ensureOsUser, freePort, startTestServer, type TestServer } from './pg-server.js';

export interface AfMachine {
  readonly ns: string;
  readonly ip: string;
  readonly port: number;
  readonly dirs: NodeDirs;
  readonly settingsFile: string;
}

export interface AutoFailoverSite {
  readonly subnet: string;
  readonly monitor: AfMachine;
  readonly a: AfMachine & { readonly server: TestServer };
  readonly b: AfMachine;
  readonly client: { readonly ns: string; readonly ip: string };
  readonly superuserPassword: string;
  readonly monitorPassword: string;
  /** `spsetup db auto-failover WORD --yes` on a machine. */
  setup(m: AfMachine, word: 'monitor' | 'keeper', extra?: string[]): ReturnType<typeof runCli>;
  /** SQL as the superuser from the client machine to a database server. */
  sql(m: AfMachine, sql: string): Promise<string>;
  /** The monitor's view: node host:port -> reported state. */
  monitorStates(): Promise<Map<string, string>>;
  /** The monitor's event log, one line each (for a person reading a failure). */
  monitorEvents(): Promise<string>;
  /** Takes a machine's link down (true) or up again (false). */
  cut(m: AfMachine, down: boolean): Promise<void>;
  /** SIGKILLs the machine's pg_autoctl and PostgreSQL processes (its supervisor restarts pg_autoctl). */
  crash(m: AfMachine): Promise<void>;
  cleanup(): Promise<void>;
}

export interface AutoFailoverTimings {
  readonly healthCheckPeriodMs?: number;
  readonly healthCheckTimeoutMs?: number;
  readonly healthCheckRetries?: number;
  readonly healthCheckRetryDelayMs?: number;
  readonly unhealthyTimeoutMs?: number;
  readonly demoteTimeoutMs?: number;
}

async function linkOf(ns: string): Promise<string> {
  const r = await execBounded('ip', ['-n', ns, '-o', 'link', 'show']);
  const name = r.stdout
    .split('\n')
    .map((l) => /^\d+:\s+([^:@]+)/.exec(l)?.[1])
    .find((n) => n && n !== 'lo');
  if (!name) throw new Error(`no link in ${ns}`);
  return name;
}

/** A folder the server's account owns (pg_autoctl creates data directories and backups in it). */
async function serverFolder(path: string): Promise<string> {
  const ids = await ensureOsUser();
  await mkdir(path, { recursive: true, mode: 0o700 });
  await chown(path, ids.uid, ids.gid);
  return path;
}

/** Makes the machines on `subnet`; nothing of pg_auto_failover yet (the tests run spsetup for that). */
export async function createAutoFailoverSite(subnet: string, timings: AutoFailoverTimings): Promise<AutoFailoverSite> {
  const hub = clusterNetnsName('hub');
  await createHub(hub);
  const ns = { monitor: clusterNetnsName('mon'), a: clusterNetnsName('afa'), b: clusterNetnsName('afb'), client: clusterNetnsName('cli') };
  await attachNode(hub, ns.monitor, `${subnet}.1/24`);
  await attachNode(hub, ns.a, `${subnet}.2/24`);
  await attachNode(hub, ns.b, `${subnet}.3/24`);
  await attachNode(hub, ns.client, `${subnet}.4/24`);
  const [pm, pa, pb] = [await freePort(), await freePort(), await freePort()];
  const server = await startTestServer({ flavor: 'debian15', netns: ns.a, port: pa, listenAddresses: `${subnet}.2,127.0.0.1`, hba: (t) => `${t}host all all ${subnet}.0/24 scram-sha-256\n` });
  const dirs = { monitor: await makeNodeDirs('mon'), a: await makeNodeDirs('afa'), b: await makeNodeDirs('afb') };
  const monitorPassword = randomPassword();
  const replicationPassword = randomPassword();
  const secretFile = async (d: NodeDirs, name: string, value: string) => {
    const f = join(d.root, name);
    await writeFile(f, `${value}\n`, { mode: 0o600 });
    return { file: f };
  };
  const common = async (d: NodeDirs) => ({
    monitor: { host: `${subnet}.1`, port: pm, password: await secretFile(d, 'monitor-password', monitorPassword), ...timings },
    replicationPassword: await secretFile(d, 'replication-password', replicationPassword),
    binDir: binDirOf('debian15'),
    stateDir: d.stateDir,
    services: { manager: 'runit', runitDir: d.runitDir },
  });
  const node = async (d: NodeDirs, ip: string, port: number, dataDir: string) => ({ host: ip, port, dataDir, superuserPassword: await secretFile(d, 'superuser-password', server.password) });
  const monitorDoc = await common(dirs.monitor);
  await writeSettings(dirs.monitor.settingsFile, { ...monitorDoc, monitor: { ...monitorDoc.monitor, dataDir: join(await serverFolder(join(dirs.monitor.root, 'db')), 'monitor') } });
  await writeSettings(dirs.a.settingsFile, { ...(await common(dirs.a)), node: await node(dirs.a, `${subnet}.2`, pa, server.dataDir) });
  await writeSettings(dirs.b.settingsFile, { ...(await common(dirs.b)), node: await node(dirs.b, `${subnet}.3`, pb, join(await serverFolder(join(dirs.b.root, 'db')), 'pgdata')) });
  const machine = (n: string, ip: string, port: number, d: NodeDirs): AfMachine => ({ ns: n, ip, port, dirs: d, settingsFile: d.settingsFile });
  const monitor = machine(ns.monitor, `${subnet}.1`, pm, dirs.monitor);
  const a = { ...machine(ns.a, `${subnet}.2`, pa, dirs.a), server };
  const b = machine(ns.b, `${subnet}.3`, pb, dirs.b);
  const psql = join(binDirOf('debian15'), 'psql');
  return {
    subnet,
    monitor,
    a,
    b,
    client: { ns: ns.client, ip: `${subnet}.4` },
    superuserPassword: server.password,
    monitorPassword,
    setup: (m, word, extra = []) => runCli(['db', 'auto-failover', word, '--settings', m.settingsFile, '--yes', ...extra], { netns: m.ns, timeoutMs: 600_000 }),
    async sql(m, sql) {
      const r = await runInNetns(ns.client, psql, ['-h', m.ip, '-p', String(m.port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-Atc', sql], { env: { PGPASSWORD: server.password, PGCONNECT_TIMEOUT: '3' }, timeoutMs: 15_000 });
      if (r.code !== 0) throw new Error(`psql on ${m.ip}:${m.port}: ${r.stderr}`);
      return r.stdout.trim();
    },
    async monitorStates() {
      const r = await runInNetns(ns.client, psql, ['-h', monitor.ip, '-p', String(pm), '-U', 'autoctl_node', '-d', 'pg_auto_failover', '-Atc', "SELECT nodehost || ':' || nodeport || ' ' || reportedstate FROM pgautofailover.node"], {
        env: { PGPASSWORD: monitorPassword, PGSSLMODE: 'require', PGCONNECT_TIMEOUT: '3' },
        timeoutMs: 15_000,
      });
      return new Map(r.stdout.trim().split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]));
    },
    async monitorEvents() {
      const r = await runInNetns(ns.client, psql, ['-h', monitor.ip, '-p', String(pm), '-U', 'autoctl_node', '-d', 'pg_auto_failover', '-Atc', "SELECT to_char(eventtime, 'HH24:MI:SS.MS') || ' ' || nodeid || ' ' || reportedstate || '->' || goalstate || ' ' || description FROM pgautofailover.event ORDER BY eventid"], {
        env: { PGPASSWORD: monitorPassword, PGSSLMODE: 'require', PGCONNECT_TIMEOUT: '3' },
        timeoutMs: 15_000,
      });
      return r.stdout;
    },
    async cut(m, down) {
      const r = await execBounded('ip', ['-n', m.ns, 'link', 'set', await linkOf(m.ns), down ? 'down' : 'up']);
      if (r.code !== 0) throw new Error(r.stderr);
    },
    async crash(m) {
      const pids = (await execBounded('ip', ['netns', 'pids', m.ns])).stdout.split(/\s+/).filter(Boolean).map(Number);
      for (const pid of pids) {
        const argv = await readCmdline(pid);
        if (argv.some((x) => x.endsWith('pg_autoctl') || x.endsWith('/postgres') || x.startsWith('postgres:'))) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone already
          }
        }
      }
    },
    async cleanup() {
      for (const d of Object.values(dirs)) await cleanupNode(d);
      await server.stop();
    },
  };
}
