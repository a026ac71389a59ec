/**
 * `spsetup site backup`: the whole site, database and share together. The plan comes first (what,
 * how big, the expected downtime); then the services are stopped on every node through the node
 * agents, the repository database is dumped from one snapshot with its tables' digests, the share
 * is copied with the verified copy engine, and the services are started again in order, whatever
 * happened in between. The sealed manifest is written last: a folder without one is no backup.
 */
import { UserError } from '../../shared/errors.js';
import { formatBytes, formatDuration } from '../../shared/format.js';
import type { Settings } from '../../shared/settings.js';
import { hashFile, walkTree } from '../../system/copy/index.js';
import type { InstallerContext } from '../installer/installer.js';
import { layoutFor } from '../installer/installer.js';
import { resolveSecrets } from '../installer/load-settings.js';
import { repositoryCa } from '../tls/plan-tls.js';
import { getManifest } from '../../product/index.js';
import type { SiteSession } from '../site/site-client.js';
import { readSiteNodes, type SiteNode } from '../site/site-store.js';
import { clientBinDir, connectLogin, dumpDatabase, EXCLUDED_SCHEMAS, type DbLogin } from './database.js';
import { BACKUP_FORMAT, BACKUP_FORMAT_VERSION, DUMP_FILE, MANIFEST_FILE, SHARE_DIR, sealManifest, type ManifestBody } from './manifest.js';
import { backupShare } from './share.js';
import { describeNotStarted, withServicesStopped } from './site-services.js';

export const SHARE_JOURNAL = 'share.journal';

/** The repository login of these settings (the password resolved from its file or environment). */
export async function dbLoginFor(settings: Settings, ctx: InstallerContext): Promise<DbLogin> {
  const secrets = await resolveSecrets(settings, ctx.env ?? process.env);
  const db = settings.database;
  const ca = repositoryCa(settings, layoutFor(settings, ctx).dataDir).caFile;
  return { host: db.host, port: db.port, user: db.user, password: secrets.get('database.password') ?? '', database: db.name, ssl: db.ssl, ...(ca ? { caFile: ca } : {}) };
}

const inside = (child: string, parent: string) => child === parent || child.startsWith(`${parent.replace(/\/+$/, '')}/`);

export interface BackupPlan {
  readonly outDir: string;
  readonly nodes: readonly SiteNode[];
  readonly database: { readonly name: string; readonly endpoint: string; readonly bytes: number; readonly serverVersionNum: number };
  readonly client: { readonly binDir: string; readonly major: number };
  readonly share: { readonly root: string; readonly files: number; readonly bytes: number };
  /** The folder holds an earlier backup: only changed files are copied. */
  readonly incremental: boolean;
  readonly estimatedDowntimeMs: number;
}

/** Everything the backup will do, checked before anything changes (a refusal changes nothing). */
export async function planBackup(site: SiteSession, settings: Settings, ctx: InstallerContext, outDir: string): Promise<BackupPlan> {
  const { sys } = ctx;
  if (!outDir.startsWith('/')) throw new UserError('invalid-input', `The backup folder ${outDir} is not an absolute path.`, 'Give --out as an absolute path.');
  const out = outDir.replace(/\/+$/, '') || '/';
  const layout = layoutFor(settings, ctx);
  const shareRoot = layout.share.root;
  if (inside(out, shareRoot) || inside(shareRoot, out)) throw new UserError('invalid-input', `The backup folder ${out} and the share ${shareRoot} must not contain each other.`, 'Choose a backup folder outside the share (ideally on another disk).');
  const nodes = await readSiteNodes(site.conn);
  if (!nodes.length) throw new UserError('not-found', 'No node agent has reported to the site yet.', 'Install the central node (it starts its node agent), then run the backup again.');
  const unreachable = nodes.filter((n) => !n.reachable);
  if (unreachable.length) {
    throw new UserError('preflight-failed', `Node${unreachable.length > 1 ? 's' : ''} ${unreachable.map((n) => n.hostname).join(', ')} did not report recently: their services could not be stopped, so the backup would not be consistent. Nothing was changed.`, 'Start the node agent there (or remove the node from the site), then run the backup again.');
  }
  const stat = await sys.files.stat(out);
  let incremental = false;
  if (stat && stat.kind !== 'dir') throw new UserError('invalid-input', `${out} exists and is not a folder.`, 'Give a new or empty folder, or one that holds an earlier site backup.');
  if (stat) {
    incremental = (await sys.files.stat(`${out}/${MANIFEST_FILE}`))?.kind === 'file';
    if (!incremental) {
      const tree = await walkTree(out);
      if (tree.files.length || tree.dirs.length || tree.skipped.length) throw new UserError('invalid-input', `${out} is not empty and holds no site backup.`, 'Give a new or empty folder, or one that holds an earlier site backup (only changed files are copied then).');
    }
  }
  const [size] = await site.conn.query<{ bytes: string; v: string }>('SELECT pg_database_size(current_database())::text AS bytes, current_setting(\'server_version_num\') AS v');
  const serverVersionNum = Number(size!.v);
  const client = await clientBinDir(sys, Math.floor(serverVersionNum / 10000));
  const shareTree = await walkTree(shareRoot).catch(() => undefined);
  const share = { root: shareRoot, files: shareTree?.files.length ?? 0, bytes: shareTree?.bytes ?? 0 };
  const dbBytes = Number(size!.bytes);
  const free = await sys.files.freeBytes(stat ? out : out.replace(/\/[^/]*$/, '') || '/').catch(() => Number.POSITIVE_INFINITY);
  if (free < share.bytes + dbBytes / 2) {
    throw new UserError('preflight-failed', `The backup needs about ${formatBytes(share.bytes + dbBytes / 2)}; ${formatBytes(free)} is free where ${out} is.`, 'Free space there, or choose a folder on a larger disk.');
  }
  // Stopping and starting take seconds; dump and copy move about 50 MiB/s on ordinary disks.
  const estimatedDowntimeMs = 15_000 + Math.round(((dbBytes + (incremental ? 0 : share.bytes)) / (50 * 1024 * 1024)) * 1000);
  return { outDir: out, nodes, database: { name: settings.database.name, endpoint: `${settings.database.host}:${settings.database.port}`, bytes: dbBytes, serverVersionNum }, client, share, incremental, estimatedDowntimeMs };
}

/** The plan as the command line shows it. */
export function renderBackupPlan(plan: BackupPlan): string {
  return [
    `Site backup into ${plan.outDir}${plan.incremental ? ' (it holds an earlier backup: only changed files are copied, files gone from the share are removed from it)' : ''}:`,
    `  1. stop the product services on ${plan.nodes.map((n) => `${n.hostname}${n.isCentral ? ' (central)' : ''}`).join(', ')} (the manifest's order reversed; the node agents and the database keep running)`,
    `  2. dump the repository database ${plan.database.name} on ${plan.database.endpoint} (${formatBytes(plan.database.bytes)} on the server, pg_dump ${plan.client.major} -Fc from one snapshot, without spsetup's own schema)`,
    `  3. copy the share ${plan.share.root}: ${plan.share.files} file(s), ${formatBytes(plan.share.bytes)}, each verified by SHA-256`,
    `  4. start the services again on every node in order (also when a step above fails)`,
    `  5. write the manifest (versions, nodes, sizes, checksums, timings), sealed with the passphrase`,
    `  Expected downtime: about ${formatDuration(plan.estimatedDowntimeMs)} (services stopped from 1 to 4).`,
    '  Secrets: the backup holds neither the database password nor the site key (see docs/backup.md).',
  ].join('\n');
}

export interface BackupResult {
  readonly manifest: ManifestBody;
  readonly outDir: string;
}

type CapturedBody = Omit<ManifestBody, 'endedAt' | 'downtimeMs' | 'servicesStopped'>;

/** Dumps the database and copies the share into the plan's folder (the services are already stopped); the manifest body. */
export async function captureSite(sys: InstallerContext['sys'], plan: BackupPlan, settings: Settings, ctx: InstallerContext, opts: { spsetupVersion: string; log: (line: string) => void; startedAt: Date }): Promise<CapturedBody> {
  const { log } = opts;
  const out = plan.outDir;
  // An earlier backup in this folder stops being one until the new manifest is written.
  await sys.files.remove(`${out}/${MANIFEST_FILE}`);
  const login = await dbLoginFor(settings, ctx);
  const conn = await connectLogin(sys, login);
  let content: Awaited<ReturnType<typeof dumpDatabase>>;
  const dump = `${out}/${DUMP_FILE}`;
  try {
    log(`Dumping ${login.database}...`);
    content = await dumpDatabase(sys, conn, login, plan.client.binDir, dump);
  } finally {
    await conn.close();
  }
  await sys.files.setAccess(dump, { mode: 0o600 });
  const dumpHash = await hashFile(dump);
  log(`Database dump: ${formatBytes(dumpHash.size)}, ${content.tables.length} table(s), ${content.tables.reduce((a, t) => a + t.rows, 0)} row(s).`);
  const share = await backupShare(sys, plan.share.root, `${out}/${SHARE_DIR}`, `${out}/${SHARE_JOURNAL}`, log);
  const manifest = getManifest(settings.product);
  return {
    format: BACKUP_FORMAT,
    formatVersion: BACKUP_FORMAT_VERSION,
    spsetupVersion: opts.spsetupVersion,
    product: { id: manifest.id, version: manifest.version },
    nodes: plan.nodes.map((n) => ({ hostname: n.hostname, isCentral: n.isCentral })),
    database: {
      name: login.database,
      endpoint: plan.database.endpoint,
      serverVersionNum: plan.database.serverVersionNum,
      dumpVersionMajor: plan.client.major,
      file: DUMP_FILE,
      size: dumpHash.size,
      sha256: dumpHash.sha256,
      excludedSchemas: [...EXCLUDED_SCHEMAS],
      tables: content.tables,
      sequences: content.sequences,
    },
    share: { ...share, dir: SHARE_DIR },
    startedAt: opts.startedAt.toISOString(),
  };
}

/** Writes the sealed manifest: from then on the folder is a backup. */
export async function sealBackup(sys: InstallerContext['sys'], outDir: string, body: ManifestBody, passphrase: string): Promise<void> {
  await sys.files.writeAtomic(`${outDir}/${MANIFEST_FILE}`, await sealManifest(body, passphrase), { mode: 0o600 });
}

/** Runs a checked plan. A failure after the services stopped starts them again before it is reported. */
export async function runBackup(site: SiteSession, plan: BackupPlan, settings: Settings, ctx: InstallerContext, opts: { passphrase: string; spsetupVersion: string; timeoutMs: number; log: (line: string) => void }): Promise<BackupResult> {
  const { sys } = ctx;
  const { log } = opts;
  const startedAt = new Date();
  const out = plan.outDir;
  await sys.files.ensureDir(out, { mode: 0o700 });
  const hosts = plan.nodes.map((n) => n.hostname);
  const { value: body, downtimeMs, notStarted } = await withServicesStopped(site, hosts, opts.timeoutMs, log, () => captureSite(sys, plan, settings, ctx, { spsetupVersion: opts.spsetupVersion, log, startedAt }));
  const full: ManifestBody = { ...body, endedAt: new Date().toISOString(), downtimeMs, servicesStopped: true };
  await sealBackup(sys, out, full, opts.passphrase);
  if (notStarted.length) {
    throw new UserError('service', `The backup in ${out} is complete, but the services did not start again on ${describeNotStarted(notStarted)}.`, 'Start them with spsetup site services start, and check spsetup site status.');
  }
  return { manifest: full, outDir: out };
}
