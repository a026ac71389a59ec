/**
 * A synchronized-persistence site of the reference product, built for real: its own local
 * PostgreSQL (run as `postgres` under runit) with the reference schema, rows in the synchronization
 * tables and in the other repository tables; a data folder with the guide's content folders (many
 * small files, a few large ones); the product installed and optionally running on a runit
 * supervisor inside its own network namespace (so the product's fixed ports never clash).
 *
 * How the guide's three scenarios differ (the repository configuration,
 * {installDir}/Repository/Repository.exe.config, as the vendor's .NET app.config):
 *   sync-older:   SharedPersistence=false, Release=0.9.0 (older than the manifest's version)
 *   sync-current: SharedPersistence=false, Release=<manifest version>
 *   shared-older: SharedPersistence=true,  Release=0.9.0, share folders in the app settings
 * The product's reference.json of a synchronized site points its "share" at the node's own local
 * folders (each node keeps its own copy: that is synchronized persistence).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, chown, cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { formatConnectionString } from '../../electron/shared/connection-string.js';
import { referenceManifest } from '../../electron/product/reference/manifest.js';
import { renderReferenceConfig } from '../../electron/product/reference/config.js';
import { bootstrapRepository, SYNC_TABLES } from '../../electron/product/reference/runtime/schema.js';
import { resolveLayout } from '../../electron/features/installer/layout.js';
import { validateSettings } from '../../electron/features/installer/load-settings.js';
import { renderRepositoryConfig } from '../../electron/features/migration/repository-config.js';
import { setConfSettings } from '../../electron/system/postgres/conf-editor.js';
import { connectPostgres, type PgConnection } from '../../electron/system/postgres/client.js';
import { createPosixSystem } from '../../electron/system/system.js';
import { accountName, attachNode, cleanupNode, clusterNetnsName, createIsolatedNetns, deleteClusterNetns, makeNodeDirs, REPO_ROOT, removeUser, type NodeDirs } from './cluster.js';
import { generateContentTree, type ContentTree } from './content-tree.js';
import { binDirOf, ensureOsUser, freePort, OS_USER, testPostgres } from './pg-tools.js';

export type SiteKind = 'sync-older' | 'sync-current' | 'shared-older';
export const OLDER_RELEASE = '0.9.0';

export interface SyncSiteOptions {
  readonly kind?: SiteKind;
  readonly hostname?: string;
  readonly smallFiles?: number;
  readonly largeFiles?: number;
  readonly largeSize?: number;
  /** Start the product services too (the database always runs). */
  readonly startServices?: boolean;
  /** Repository password; default has characters XML must escape. */
  readonly password?: string;
  /** Put the node on a hub's LAN (tests/support/cluster.ts) at this address (CIDR, 10.250.x.x) instead of a namespace of its own. */
  readonly network?: { readonly hub: string; readonly address: string };
  /** An existing service account to run as (another node's: a site has one); not removed by cleanup. Default: a new one. */
  readonly account?: string;
}

export interface SyncSite {
  readonly dirs: NodeDirs;
  readonly netns: string;
  readonly account: string;
  readonly hostname: string;
  readonly password: string;
  readonly superuserPassword: string;
  readonly dbPort: number;
  readonly socketDir: string;
  readonly pgDataDir: string;
  readonly configPath: string;
  readonly shareRoot: string;
  readonly backupDir: string;
  readonly tree: ContentTree;
  /** Rows per table when built. */
  readonly rows: Readonly<Record<string, number>>;
  /** The migration settings document for this node (the repository password left out: read from the site). */
  migrationDoc(role?: 'central' | 'rim'): Record<string, unknown>;
  /** A superuser connection over the Unix socket (works from outside the namespace). */
  connect(database?: string): Promise<PgConnection>;
  cleanup(): Promise<void>;
}

const REPOSITORY_USER = 'qliksenserepository';

function runsvdirIn(netns: string, dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', netns, 'runsvdir', '-P', dir, `log: ${'.'.repeat(100)}`], { detached: true, stdio: 'ignore' });
    child.once('error', reject);
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sync site: ${what} within ${timeoutMs} ms`);
}

async function seed(client: pg.Client, hostname: string): Promise<void> {
  await bootstrapRepository(client, hostname, true);
  await client.query("INSERT INTO nodes (hostname, is_central) VALUES ('rim1.sync.test', false), ('rim2.sync.test', false)");
  for (let i = 1; i <= 12; i++) await client.query('INSERT INTO apps (name, owner_node, file_name) VALUES ($1, $2, $3)', [`App ${i}`, hostname, `app-${i}.qvf`]);
  await client.query(`INSERT INTO "AppAvailabilities" ("AppID", "HostName", "Available") SELECT id, n.hostname, true FROM apps, nodes n`);
  await client.query(`INSERT INTO "SyncSessions" ("HostName", "State") SELECT hostname, 'Done' FROM nodes`);
  await client.query(`INSERT INTO "BinaryDownloads" ("AppID", "HostName") SELECT id, 'rim1.sync.test' FROM apps`);
  await client.query(`INSERT INTO "BinaryDownloadProperties" ("BinaryDownloadID", "Name", "Value") SELECT "ID", 'size', '1024' FROM "BinaryDownloads"`);
  await client.query(`INSERT INTO "BinaryDeletes" ("AppID", "HostName") VALUES (99, 'rim2.sync.test')`);
  await client.query(`INSERT INTO "BinaryDeleteProperties" ("BinaryDeleteID", "Name", "Value") SELECT "ID", 'reason', 'deleted' FROM "BinaryDeletes"`);
  await client.query(`INSERT INTO "BinarySyncRuleEvaluations" ("AppID", "HostName", "Result") SELECT id, 'rim1.sync.test', true FROM apps`);
}

/** Builds and starts a site; cleanup() removes everything it made. */
export async function buildSyncSite(options: SyncSiteOptions = {}): Promise<SyncSite> {
  const kind = options.kind ?? 'sync-current';
  const dirs = await makeNodeDirs('mig');
  const netns = clusterNetnsName('mig');
  const account = options.account ?? accountName('mg');
  const hostname = options.hostname ?? '127.0.0.1';
  const password = options.password ?? `Pw&<x>"q'${Math.random().toString(36).slice(2, 10)}`;
  const superuserPassword = `Su-${Math.random().toString(36).slice(2, 12)}`;
  const pgRoot = join(dirs.root, 'database');
  const pgDataDir = join(pgRoot, 'data');
  const socketDir = join(pgRoot, 'sock');
  const binDir = binDirOf('debian15');
  const dbPort = await freePort();
  const manifest = referenceManifest;
  const configPath = join(dirs.installDir, 'Repository', 'Repository.exe.config');
  const cleanup = async () => {
    await cleanupNode(dirs);
    if (!options.account) await removeUser(account);
    await deleteClusterNetns();
  };
  try {
    if (options.network) await attachNode(options.network.hub, netns, options.network.address);
    else await createIsolatedNetns(netns);
    const ids = await ensureOsUser();
    const run = (f: string, a: string[]) => new Promise<void>((r, j) => spawn(f, a, { stdio: 'ignore' }).once('exit', (c) => (c === 0 ? r() : j(new Error(`${f} ${a.join(' ')}: ${c}`)))));
    if (!options.account) await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', account]);
    const tree = await generateContentTree({ root: dirs.root, smallFiles: options.smallFiles ?? 300, largeFiles: options.largeFiles ?? 2, largeSize: options.largeSize ?? 3 * 1024 * 1024 });
    await cp(manifest.mediaDir!, dirs.installDir, { recursive: true, preserveTimestamps: true });

    // The local repository database, seeded over its socket while it listens on no TCP address.
    await mkdir(socketDir, { recursive: true, mode: 0o755 });
    await chmod(pgRoot, 0o755);
    await chown(socketDir, ids.uid, ids.gid);
    await testPostgres.initCluster({ binDir, dataDir: pgDataDir, superuser: 'postgres', password: superuserPassword, osUser: OS_USER, noSync: true });
    const confPath = join(pgDataDir, 'postgresql.conf');
    const conf = await readFile(confPath, 'utf8');
    await writeFile(confPath, setConfSettings(conf, { port: String(dbPort), listen_addresses: '', unix_socket_directories: socketDir }).text);
    await testPostgres.startServer({ binDir, dataDir: pgDataDir, osUser: OS_USER, timeoutMs: 30_000 });
    const su = await connectPostgres({ host: socketDir, port: dbPort, user: 'postgres', password: superuserPassword, database: 'postgres' });
    await su.ensureRole(REPOSITORY_USER, password);
    await su.ensureDatabase(manifest.database.name, REPOSITORY_USER);
    await su.close();
    const client = new pg.Client({ host: socketDir, port: dbPort, user: REPOSITORY_USER, password, database: manifest.database.name });
    await client.connect();
    const rows: Record<string, number> = {};
    try {
      await seed(client, hostname);
      const tables = await client.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'");
      for (const { t } of tables.rows) rows[t] = Number((await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${t}"`)).rows[0]?.n ?? 0);
    } finally {
      await client.end();
    }
    await testPostgres.stopServer({ binDir, dataDir: pgDataDir, osUser: OS_USER });
    await writeFile(confPath, setConfSettings(await readFile(confPath, 'utf8'), { listen_addresses: '127.0.0.1' }).text);

    // The node's configuration: repository configuration (scenario marker), product config, connection string.
    const local = { root: dirs.dataDir, apps: join(dirs.dataDir, 'Apps'), archivedLogs: join(dirs.dataDir, 'Common Files', 'Archived Logs'), customData: join(dirs.dataDir, 'Custom Data'), staticContent: join(dirs.dataDir, 'Repository') };
    const share = tree.layoutInput.share;
    const connectionString = formatConnectionString({ userId: REPOSITORY_USER, host: '127.0.0.1', password, port: dbPort, database: manifest.database.name });
    const shared = kind === 'shared-older';
    await mkdir(join(dirs.installDir, 'Repository'), { recursive: true });
    await writeFile(
      configPath,
      renderRepositoryConfig({
        sharedPersistence: shared,
        release: kind === 'sync-current' ? manifest.version : OLDER_RELEASE,
        connectionString,
        appSettings: shared ? { RootFolder: share.root, AppsFolder: share.apps, ArchivedLogsFolder: share.archivedLogs, CustomDataFolder: share.customData, StaticContentFolder: share.staticContent } : {},
      }),
      { mode: 0o600 },
    );
    await writeFile(join(dirs.dataDir, manifest.configFile), renderReferenceConfig({ hostname, dataDir: dirs.dataDir, share: shared ? share : local }));
    await mkdir(join(dirs.dataDir, 'secrets'), { recursive: true, mode: 0o700 });
    await writeFile(join(dirs.dataDir, manifest.connectionStringFile), `${connectionString}\n`, { mode: 0o600 });
    await run('chown', ['-R', `${account}:${account}`, dirs.dataDir]);
    await chmod(dirs.root, 0o755);

    // Services on runit, as an earlier install registered them.
    const doc = baseSettings(dirs, account, hostname, dbPort, superuserPassword, share.root, password);
    const layout = resolveLayout(validateSettings(doc), manifest, 'linux', process.execPath);
    const sys = createPosixSystem({ serviceManager: 'runit', runitDir: dirs.runitDir, definitionsDir: join(dirs.stateDir, 'sv') });
    await mkdir(dirs.runitDir, { recursive: true, mode: 0o755 });
    await sys.services.install({
      name: manifest.database.service.name,
      displayName: manifest.database.service.displayName,
      command: join(binDir, 'postgres'),
      args: ['-D', pgDataDir],
      account: OS_USER,
      logFile: join(pgRoot, 'service.log'),
      autoStart: true,
    });
    for (const s of layout.services) if (s.spec) await sys.services.install({ ...s.def, autoStart: options.startServices ?? false });
    await runsvdirIn(netns, dirs.runitDir);
    const site: SyncSite = {
      dirs,
      netns,
      account,
      hostname,
      password,
      superuserPassword,
      dbPort,
      socketDir,
      pgDataDir,
      configPath,
      shareRoot: share.root,
      backupDir: join(dirs.root, 'backup'),
      tree,
      rows,
      migrationDoc: (role = 'central') => {
        const settings = baseSettings(dirs, account, hostname, dbPort, superuserPassword, share.root) as Record<string, unknown>;
        if (role === 'rim') Object.assign(settings, { cluster: { mode: 'join' } });
        return { role, backupDir: join(dirs.root, 'backup'), settings };
      },
      connect: (database = manifest.database.name) => connectPostgres({ host: socketDir, port: dbPort, user: 'postgres', password: superuserPassword, database }),
      cleanup,
    };
    // Start them as a boot would (registering leaves a service down until its first start).
    await sys.services.start(manifest.database.service.name);
    await waitFor('the database did not start', async () => (await site.connect()).close().then(() => true), 30_000);
    if (options.startServices) {
      for (const s of layout.services) if (s.spec) await sys.services.start(s.def.name);
      const log = join(dirs.dataDir, 'log', 'repository.log');
      await waitFor('the repository did not start', async () => (await readFile(log, 'utf8')).includes('Repository service started'), 30_000);
    }
    return site;
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Target settings of the node: Create cluster on the existing (local) database, runit in the node's folders. */
function baseSettings(dirs: NodeDirs, account: string, hostname: string, dbPort: number, superuserPassword: string, shareRoot: string, password?: string): Record<string, unknown> {
  return {
    product: 'reference',
    cluster: { mode: 'create' },
    database: {
      install: 'existing',
      host: '127.0.0.1',
      port: dbPort,
      ...(password === undefined ? {} : { password }),
      superuserPassword,
      listener: { listenAddresses: ['*'], ipRanges: ['127.0.0.1/32', '10.250.0.0/16'], maxConnections: 300 },
    },
    share: { root: shareRoot },
    installDir: dirs.installDir,
    dataDir: dirs.dataDir,
    stateDir: dirs.stateDir,
    serviceAccount: { user: account, isAdministrator: false },
    hostname,
    startServices: true,
    plannedNodes: 3,
    services: { manager: 'runit', runitDir: dirs.runitDir },
  };
}

/** What a user checks after a migration: the share's files, the rows, the node's registration, configuration and services. */
export interface MigratedState {
  /** Content files missing on the share or with another SHA-256 (relative paths). */
  readonly wrongFiles: readonly string[];
  /** Files on the share that the site did not have (e.g. partial copies). */
  readonly extraFiles: readonly string[];
  readonly rows: Readonly<Record<string, number>>;
  /** Registered nodes, "hostname" or "hostname central". */
  readonly nodes: readonly string[];
  readonly sharedPersistence: boolean;
  /** The share root the product's configuration points at. */
  readonly productShareRoot: string;
  /** State of each product service. */
  readonly services: Readonly<Record<string, string>>;
}

/** Reads the migrated site's state (the expected rows: the built ones with the synchronization tables empty). */
export async function readMigratedState(site: SyncSite): Promise<MigratedState> {
  const wrongFiles: string[] = [];
  for (const f of site.tree.files) {
    const digest = await readFile(f.target).then((b) => createHash('sha256').update(b).digest('hex'), () => 'missing');
    if (digest !== f.sha256) wrongFiles.push(f.rel);
  }
  const expected = new Set(site.tree.files.map((f) => f.target));
  const onShare = (await readdir(site.shareRoot, { withFileTypes: true, recursive: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  const rows: Record<string, number> = {};
  let nodes: string[] = [];
  const conn = await site.connect();
  try {
    for (const table of Object.keys(site.rows)) rows[table] = Number((await conn.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${table}"`))[0]?.n);
    nodes = (await conn.query<{ hostname: string; is_central: boolean }>('SELECT hostname, is_central FROM nodes ORDER BY hostname')).map((r) => `${r.hostname}${r.is_central ? ' central' : ''}`);
  } finally {
    await conn.close();
  }
  const config = JSON.parse(await readFile(join(site.dirs.dataDir, referenceManifest.configFile), 'utf8')) as { share: { root: string } };
  const sys = createPosixSystem({ serviceManager: 'runit', runitDir: site.dirs.runitDir, definitionsDir: join(site.dirs.stateDir, 'sv') });
  const services: Record<string, string> = {};
  for (const name of PRODUCT_SERVICES) services[name] = await sys.services.status(name);
  return {
    wrongFiles,
    extraFiles: onShare.filter((f) => !expected.has(f)),
    rows,
    nodes,
    sharedPersistence: /key="SharedPersistence" value="true"/.test(await readFile(site.configPath, 'utf8')),
    productShareRoot: config.share.root,
    services,
  };
}

/**
 * The rows a migration of a central node must leave: every table as built, the synchronization
 * tables empty, and one system rule more: the guide's App_* load balancing rule, made by the
 * monitoring-apps step (issue 18).
 */
export function rowsAfterMigration(site: SyncSite): Record<string, number> {
  const after = (t: string, n: number) => ((SYNC_TABLES as readonly string[]).includes(t) ? 0 : t === 'qrs_system_rules' ? n + 1 : n);
  return Object.fromEntries(Object.entries(site.rows).map(([t, n]) => [t, after(t, n)]));
}

/** The reference product's services, in start order. */
export const PRODUCT_SERVICES = ['reference-dispatcher', 'reference-repository', 'reference-proxy', 'reference-engine', 'reference-scheduler', 'reference-printing'] as const;

export { REPO_ROOT };
