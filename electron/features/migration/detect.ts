/**
 * Detection: reads the existing node (install and data folders, repository configuration,
 * database) and says which of the guide's three upgrade scenarios applies, or refuses with the fix.
 * `readSite` gathers (read only); `classifySite` decides (pure).
 */
import { readFile, readlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { parseConnectionString, type ConnectionFields } from '../../shared/connection-string.js';
import type { ProductManifest } from '../../product/manifest.js';
import type { System } from '../../system/system.js';
import { compareReleases, DEFAULT_REPOSITORY_CONFIG_FILE, parseRepositoryConfig } from './repository-config.js';

export type Scenario = 'sync-older' | 'sync-current' | 'shared-older';

export const SCENARIO_TITLES: Readonly<Record<Scenario, string>> = {
  'sync-older': 'synchronized persistence, older release',
  'sync-current': 'synchronized persistence, current release',
  'shared-older': 'shared persistence, older release',
};

export interface SiteInput {
  readonly manifest: ProductManifest;
  readonly installDir: string;
  readonly dataDir: string;
  /** The database superuser, to find the server's data directory and binaries. */
  readonly superuser?: { readonly user: string; readonly password: string };
}

/** What readSite found; no secret except `connection.password`, which callers must not log. */
export interface SiteFacts {
  readonly installDir: string;
  readonly dataDir: string;
  readonly installDirExists: boolean;
  readonly dataDirExists: boolean;
  readonly configPath: string;
  /** 'missing', 'invalid' (not a repository configuration), or the parsed fields. */
  readonly config:
    | { readonly state: 'missing' | 'invalid' }
    | { readonly state: 'ok'; readonly sharedPersistence: boolean; readonly release: string; readonly appSettings: Readonly<Record<string, string>> };
  readonly connection?: ConnectionFields;
  readonly database?: DatabaseFacts;
  readonly databaseError?: string;
}

export interface DatabaseFacts {
  readonly serverVersionNum: number;
  readonly tables: readonly string[];
  /** Row counts of every table of the repository schema (public). */
  readonly rowCounts: Readonly<Record<string, number>>;
  readonly nodes: readonly { readonly hostname: string; readonly is_central: boolean }[];
  /** Found with the superuser: the server's data directory and the folder of its binaries. */
  readonly serverDataDir?: string;
  readonly serverBinDir?: string;
}

export interface DetectedSite {
  readonly scenario: Scenario;
  readonly title: string;
  readonly release: string;
  readonly currentRelease: string;
  readonly facts: SiteFacts;
}

async function serverBinDir(dataDir: string): Promise<string | undefined> {
  const pid = (await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]?.trim();
  if (!pid || !/^\d+$/.test(pid)) return undefined;
  const exe = await readlink(`/proc/${pid}/exe`).catch(() => undefined);
  return exe ? dirname(exe) : undefined;
}

async function readDatabase(sys: System, c: ConnectionFields, input: SiteInput): Promise<DatabaseFacts> {
  const conn = await sys.postgres.connect({ host: c.host, port: c.port, user: c.userId, password: c.password, database: c.database, timeoutMs: 10_000 });
  let facts: DatabaseFacts;
  try {
    const serverVersionNum = await conn.serverVersionNum();
    const tables = (await conn.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")).map((r) => r.name);
    const rowCounts: Record<string, number> = {};
    for (const t of tables) {
      const [row] = await conn.query<{ n: string }>(`SELECT count(*)::text AS n FROM public."${t.replace(/"/g, '""')}"`);
      rowCounts[t] = Number(row?.n ?? 0);
    }
    const nodes = input.manifest.nodesQuery && tables.length ? await conn.query<{ hostname: string; is_central: boolean }>(input.manifest.nodesQuery).catch(() => []) : [];
    facts = { serverVersionNum, tables, rowCounts, nodes: nodes.map((n) => ({ hostname: n.hostname, is_central: n.is_central })) };
  } finally {
    await conn.close();
  }
  if (!input.superuser) return facts;
  const su = await sys.postgres.connect({ host: c.host, port: c.port, user: input.superuser.user, password: input.superuser.password, database: c.database, timeoutMs: 10_000 });
  try {
    const [row] = await su.query<{ d: string }>('SELECT current_setting($1) AS d', ['data_directory']);
    const serverDataDir = row?.d;
    const binDir = serverDataDir ? await serverBinDir(serverDataDir) : undefined;
    return { ...facts, ...(serverDataDir ? { serverDataDir } : {}), ...(binDir ? { serverBinDir: binDir } : {}) };
  } finally {
    await su.close();
  }
}

/** Gathers what the node holds (read only; never changes anything). */
export async function readSite(sys: System, input: SiteInput): Promise<SiteFacts> {
  const configPath = join(input.installDir, (input.manifest.repositoryConfigFile ?? DEFAULT_REPOSITORY_CONFIG_FILE).replace(/\\/g, '/'));
  const base = {
    installDir: input.installDir,
    dataDir: input.dataDir,
    installDirExists: (await sys.files.stat(input.installDir))?.kind === 'dir',
    dataDirExists: (await sys.files.stat(input.dataDir))?.kind === 'dir',
    configPath,
  };
  const text = await sys.files.readText(configPath).catch(() => undefined);
  if (text === undefined) return { ...base, config: { state: 'missing' } };
  const parsed = parseRepositoryConfig(text);
  if (!parsed) return { ...base, config: { state: 'invalid' } };
  const config = { state: 'ok' as const, sharedPersistence: parsed.sharedPersistence, release: parsed.release, appSettings: parsed.appSettings };
  let connection: ConnectionFields;
  try {
    connection = parseConnectionString(parsed.connectionString);
  } catch {
    return { ...base, config: { state: 'invalid' } };
  }
  try {
    return { ...base, config, connection, database: await readDatabase(sys, connection, input) };
  } catch (err) {
    return { ...base, config, connection, databaseError: err instanceof Error ? err.message : String(err) };
  }
}

/** The scenario for these facts, or a UserError that says why none applies and what to do. */
export function classifySite(facts: SiteFacts, manifest: ProductManifest): DetectedSite {
  const notSite = (why: string) =>
    new UserError('invalid-input', `${facts.installDir} is not a ${manifest.displayName} node that can be migrated: ${why}.`, 'Give the installation and data folders of an existing node (installDir and dataDir in the settings), on that node.');
  if (!facts.installDirExists) throw notSite('the installation folder does not exist');
  if (!facts.dataDirExists) throw notSite(`the data folder ${facts.dataDir} does not exist`);
  if (facts.config.state === 'missing') throw notSite(`there is no repository configuration at ${facts.configPath}`);
  const config = facts.config;
  if (config.state !== 'ok') throw notSite(`${facts.configPath} is not a repository configuration (no SharedPersistence, Release or connection string)`);
  const { sharedPersistence, release } = config;
  const cmp = compareReleases(release, manifest.version);
  if (cmp > 0) {
    throw new UserError('conflict', `The node runs release ${release}, newer than this installer's ${manifest.version}.`, 'Use the spsetup that matches the installed release.');
  }
  if (sharedPersistence && cmp === 0) {
    throw new UserError('conflict', `The node already runs shared persistence on the current release (${release}): there is nothing to migrate.`, 'Use `spsetup status` to check the site, or `spsetup install` to join more nodes.');
  }
  if (!facts.database) {
    throw new UserError(
      'database',
      `The node's repository database cannot be read: ${facts.databaseError ?? 'no connection string'}.`,
      'Start the repository database service and check the repository connection string, then detect again.',
    );
  }
  const scenario: Scenario = sharedPersistence ? 'shared-older' : cmp < 0 ? 'sync-older' : 'sync-current';
  return { scenario, title: SCENARIO_TITLES[scenario], release, currentRelease: manifest.version, facts };
}

/** Reads the node and classifies it. */
export async function detectSite(sys: System, input: SiteInput): Promise<DetectedSite> {
  return classifySite(await readSite(sys, input), input.manifest);
}
