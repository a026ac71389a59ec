/**
 * Dedicated database servers as administrators have them, for `spsetup db prepare` tests: a LAN of
 * network namespaces (the database, a node inside the allowed range, an outsider), Debian's
 * packaged layout made by pg_createcluster, and the checks an administrator makes (psql as the
 * server's owner over its socket, a client from a namespace, checksums of files and catalogs).
 */
import { createHash, randomBytes } from 'node:crypto';
import { chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attachNode, clusterNetnsName, createHub, nodeSettings, randomSubnet, type NodeDirs, type NodeSettingsDoc } from './cluster.js';
import { execBounded, runInNetns, type ExecOut } from './netns.js';
import { ensureOsUser, OS_USER } from './pg-tools.js';

export interface DbLan {
  readonly subnet: string;
  readonly nsDb: string;
  readonly nsIn: string;
  readonly nsOut: string;
  readonly ipDb: string;
  readonly ipIn: string;
  readonly ipOut: string;
  /** The range the nodes may connect from: holds ipIn, not ipOut. */
  readonly range: string;
}

/** Database, node and outsider on one bridge; the caller deletes them with deleteClusterNetns. */
export async function createDbLan(): Promise<DbLan> {
  const subnet = randomSubnet();
  const hub = clusterNetnsName('hub');
  const lan = { subnet, nsDb: clusterNetnsName('db'), nsIn: clusterNetnsName('in'), nsOut: clusterNetnsName('out'), ipDb: `${subnet}.1`, ipIn: `${subnet}.2`, ipOut: `${subnet}.200`, range: `${subnet}.0/28` };
  await createHub(hub);
  await attachNode(hub, lan.nsDb, `${lan.ipDb}/24`);
  await attachNode(hub, lan.nsIn, `${lan.ipIn}/24`);
  await attachNode(hub, lan.nsOut, `${lan.ipOut}/24`);
  return lan;
}

/** A server to query as its owner over the Unix socket (works from any namespace, needs no password). */
export interface AdminSocket {
  readonly port: number;
  readonly socketDir: string;
}

/** Runs SQL as the `postgres` OS user through psql; rows as `|`-separated lines. */
export async function psqlAsOwner(server: AdminSocket, sql: string): Promise<string> {
  const r = await execBounded('runuser', ['-u', OS_USER, '--', 'psql', '-X', '-h', server.socketDir, '-p', String(server.port), '-d', 'postgres', '-Atc', sql]);
  if (r.code !== 0) throw new Error(`psql failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** A client connection from a namespace, as a node would make it (password through the environment). */
export function connectFrom(ns: string, host: string, port: number, user: string, database: string, password: string): Promise<ExecOut> {
  return runInNetns(ns, 'psql', ['-X', `host=${host} port=${port} user=${user} dbname=${database} sslmode=prefer connect_timeout=5`, '-Atc', 'SELECT inet_client_addr()'], {
    env: { PGPASSWORD: password },
    timeoutMs: 15_000,
  });
}

/** What a refusal must leave as it was: each file's SHA-256, roles with their verifiers, databases with owners. */
export async function snapshotServer(server: AdminSocket, files: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of files) out[f] = createHash('sha256').update(await readFile(f)).digest('hex');
  out['pg_authid'] = await psqlAsOwner(server, 'SELECT rolname, rolcanlogin, rolpassword FROM pg_authid ORDER BY rolname');
  out['pg_database'] = await psqlAsOwner(server, 'SELECT datname, pg_get_userbyid(datdba) FROM pg_database ORDER BY datname');
  out['settings'] = await psqlAsOwner(server, "SELECT name, setting FROM pg_settings WHERE name IN ('listen_addresses', 'port', 'max_connections') ORDER BY name");
  out['started'] = await psqlAsOwner(server, 'SELECT pg_postmaster_start_time()');
  return out;
}

export interface DebianCluster extends AdminSocket {
  readonly name: string;
  readonly confDir: string;
  readonly confPath: string;
  readonly hbaPath: string;
  readonly dataDir: string;
  readonly password: string;
  stop(): Promise<void>;
}

const PACKAGED_CREATECLUSTER_CONF = '/usr/share/postgresql-common/createcluster.conf';

/** Why a Debian-layout test cannot run here, or undefined. */
export async function debianLayoutSkipReason(): Promise<string | undefined> {
  const r = await execBounded('pg_lsclusters', ['--no-header']);
  if (r.code !== 0) return 'pg_createcluster (postgresql-common) is not installed';
  const conf = await readFile(PACKAGED_CREATECLUSTER_CONF, 'utf8').catch(() => '');
  if (!/add_include_dir/.test(conf)) return `${PACKAGED_CREATECLUSTER_CONF} (postgresql-common's packaged defaults) is missing`;
  return undefined;
}

/**
 * `pg_createcluster 15 NAME` with the packaged createcluster.conf (config in /etc/postgresql/15/NAME,
 * `include_dir = 'conf.d'`, data in /var/lib/postgresql/15/NAME), started inside `netns`.
 */
export async function createDebianCluster(opts: { netns: string; port: number; password: string }): Promise<DebianCluster> {
  const ids = await ensureOsUser();
  const name = `sp${randomBytes(4).toString('hex')}`;
  const socketDir = '/var/run/postgresql';
  await mkdir(socketDir, { recursive: true });
  await chown(socketDir, ids.uid, ids.gid);
  const tmp = await mkdtemp(join(tmpdir(), 'sppg-pw-'));
  const stop = async () => {
    await execBounded('pg_dropcluster', ['--stop', '15', name], { timeoutMs: 60_000 });
  };
  try {
    await chown(tmp, ids.uid, ids.gid);
    const pwFile = join(tmp, 'pw');
    await writeFile(pwFile, `${opts.password}\n`, { mode: 0o600 });
    await chown(pwFile, ids.uid, ids.gid);
    const made = await execBounded('pg_createcluster', [`--createclusterconf=${PACKAGED_CREATECLUSTER_CONF}`, '-p', String(opts.port), '15', name, '--', '--no-sync', `--pwfile=${pwFile}`], { timeoutMs: 60_000 });
    if (made.code !== 0) throw new Error(`pg_createcluster failed: ${made.stderr}`);
    const started = await runInNetns(opts.netns, 'pg_ctlcluster', ['15', name, 'start'], { timeoutMs: 60_000 });
    if (started.code !== 0) throw new Error(`pg_ctlcluster start failed: ${started.stderr}`);
  } catch (err) {
    await stop();
    throw err;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const confDir = `/etc/postgresql/15/${name}`;
  return { name, port: opts.port, socketDir, confDir, confPath: `${confDir}/postgresql.conf`, hbaPath: `${confDir}/pg_hba.conf`, dataDir: `/var/lib/postgresql/15/${name}`, password: opts.password, stop };
}

/** Settings for `spsetup db prepare` on the LAN's database host (3 nodes: max_connections 300). */
export function prepareSettings(lan: DbLan, dirs: NodeDirs, server: { port: number; password: string }, rolePassword: string, database: Record<string, unknown> = {}): NodeSettingsDoc {
  const doc = nodeSettings({
    dirs,
    mode: 'create',
    dbInstall: 'existing',
    dbHost: lan.ipDb,
    dbPort: server.port,
    password: rolePassword,
    superuserPassword: server.password,
    listener: { listenAddresses: ['127.0.0.1', lan.ipDb], ipRanges: [lan.range], maxConnections: 300 },
    shareRoot: join(dirs.root, 'share'),
    hostname: lan.ipDb,
    user: 'spsetupunused',
  });
  return { ...doc, database: { ...(doc.database as Record<string, unknown>), ...database } };
}

/** The lines of a db prepare run that report a finished step, and those among them that changed something. */
export function finishedSteps(stdout: string): { all: string[]; changed: string[] } {
  const all = stdout.split('\n').filter((l) => /^\[\d+\/\d+\] (changed|unchanged):/.test(l));
  return { all, changed: all.filter((l) => / changed:/.test(l)) };
}
