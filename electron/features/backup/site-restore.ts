/**
 * `spsetup site restore DIR`: the site's data back as the backup holds it, database and share
 * together. The backup is verified first and must belong to this site's product (not a newer
 * version) and database; the plan shows what differs. Then the services stop on every node, the
 * database is restored in one transaction, the share is made to hold exactly the backup's files,
 * both are compared with the manifest, and the services start again in order.
 */
import { UserError } from '../../shared/errors.js';
import type { Settings } from '../../shared/settings.js';
import { getManifest } from '../../product/index.js';
import type { InstallerContext } from '../installer/installer.js';
import { layoutFor } from '../installer/installer.js';
import type { SiteSession } from '../site/site-client.js';
import { readSiteNodes, type SiteNode } from '../site/site-store.js';
import type { PgConnection } from '../../system/postgres/index.js';
import { compareContent, connectLogin, readContent, restoreDatabase } from './database.js';
import { SHARE_DIR } from './manifest.js';
import { describeShareDiff, diffShare, restoreShare, type ShareDiff } from './share.js';
import { captureSite, dbLoginFor, sealBackup, type BackupPlan } from './site-backup.js';
import { describeNotStarted, withServicesStopped } from './site-services.js';
import type { VerifiedBackup } from './verify-backup.js';

export interface RestorePlan {
  readonly backup: VerifiedBackup;
  readonly nodes: readonly SiteNode[];
  readonly shareRoot: string;
  /** How the database differs from the backup (empty when equal). */
  readonly database: readonly string[];
  readonly share: ShareDiff;
  readonly equal: boolean;
  /** The backup is of another site (other host names): this site's nodes are registered in the restored repository. */
  readonly newSite: boolean;
}

/** Numeric comparison of dotted versions (1.10.0 > 1.9.0). */
function newer(a: string, b: string): boolean {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  return false;
}

/** Checks that the (verified) backup fits this site and lists what the restore would change; changes nothing. */
export async function planRestore(site: SiteSession, settings: Settings, ctx: InstallerContext, backup: VerifiedBackup): Promise<RestorePlan> {
  const m = backup.manifest;
  const product = getManifest(settings.product);
  const where = `The backup ${backup.dir}`;
  if (m.product.id !== product.id) throw new UserError('invalid-input', `${where} is of the product ${m.product.id}; this site runs ${product.id}. Nothing was changed.`, 'Restore it onto a site of that product.');
  if (newer(m.product.version, product.version)) throw new UserError('invalid-input', `${where} was made with ${m.product.id} ${m.product.version}, newer than this site's ${product.version}. Nothing was changed.`, 'Upgrade the site to that version first.');
  if (m.database.name !== settings.database.name) throw new UserError('invalid-input', `${where} holds the database ${m.database.name}; these settings use ${settings.database.name}. Nothing was changed.`, 'Use the settings of the site the backup was made of.');
  const [v] = await site.conn.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
  const major = Math.floor(Number(v!.v) / 10000);
  if (major < Math.floor(m.database.serverVersionNum / 10000)) throw new UserError('invalid-input', `${where} comes from PostgreSQL ${Math.floor(m.database.serverVersionNum / 10000)}; the repository server runs ${major}. Nothing was changed.`, 'Restore onto a server of the same or a newer major version.');
  const nodes = await readSiteNodes(site.conn);
  const unreachable = nodes.filter((n) => !n.reachable);
  if (unreachable.length) throw new UserError('preflight-failed', `Node${unreachable.length > 1 ? 's' : ''} ${unreachable.map((n) => n.hostname).join(', ')} did not report recently: their services could not be stopped for the restore. Nothing was changed.`, 'Start the node agent there, then run the restore again.');
  const shareRoot = layoutFor(settings, ctx).share.root;
  const database = compareContent(m.database, await readContent(site.conn));
  const share = await diffShare(shareRoot, m.share).catch(() => ({ extra: [], changed: [], missing: m.share.files.map((f) => f.path), missingDirs: [...m.share.dirs], special: [] }));
  const known = new Set(m.nodes.map((n) => n.hostname));
  const newSite = nodes.some((n) => !known.has(n.hostname));
  const equal = !newSite && database.length === 0 && describeShareDiff(share).length === 0;
  return { backup, nodes, shareRoot, database, share, equal, newSite };
}

const list = (items: readonly string[], max = 10) => `${items.slice(0, max).join(', ')}${items.length > max ? `, ... (${items.length - max} more)` : ''}`;

/** The plan as the command line shows it. */
export function renderRestorePlan(plan: RestorePlan, saveTo?: string): string {
  const m = plan.backup.manifest;
  const s = plan.share;
  const lines = [`Restore of the site from ${plan.backup.dir} (made ${m.startedAt} on ${m.nodes.map((n) => n.hostname).join(', ')}; verified):`];
  if (plan.equal) return [...lines, '  The database and the share already hold exactly what the backup holds: nothing to do.'].join('\n');
  lines.push(`  1. stop the product services on ${plan.nodes.map((n) => `${n.hostname}${n.isCentral ? ' (central)' : ''}`).join(', ')}`);
  if (saveTo) lines.push(`  2. back up the current data into ${saveTo} first`);
  lines.push(`  ${saveTo ? 3 : 2}. database ${m.database.name}: ${plan.database.length ? `replace the product's tables in one transaction; now: ${list(plan.database, 8)}` : 'already equal (restored anyway, in one transaction)'}`);
  const shareWhat = [
    s.missing.length ? `write back ${s.missing.length} missing file(s) (${list(s.missing, 5)})` : '',
    s.changed.length ? `write back ${s.changed.length} changed file(s) (${list(s.changed.map((c) => c.path), 5)})` : '',
    s.extra.length ? `REMOVE ${s.extra.length} file(s) the backup does not hold (${list(s.extra, 5)})` : '',
    s.missingDirs.length ? `create ${s.missingDirs.length} folder(s)` : '',
  ].filter(Boolean);
  lines.push(`  ${saveTo ? 4 : 3}. share ${plan.shareRoot}: ${shareWhat.length ? shareWhat.join('; ') : 'already equal'}`);
  lines.push(`  ${saveTo ? 5 : 4}. compare every table and every share file with the backup${plan.newSite ? `, register this site's nodes ${plan.nodes.map((n) => n.hostname).join(', ')} in the restored repository (the backup is of ${m.nodes.map((n) => n.hostname).join(', ')})` : ''}, then start the services on every node in order`);
  return lines.join('\n');
}

export interface RestoreResult {
  readonly droppedTables: readonly string[];
  readonly filesWritten: number;
  readonly filesRemoved: readonly string[];
  readonly downtimeMs: number;
}

/** Onto a new site: the restored repository learns this site's nodes (the product's restoreNodes SQL, one transaction). */
async function registerSiteNodes(conn: PgConnection, settings: Settings, nodes: readonly SiteNode[], log: (line: string) => void): Promise<void> {
  const sql = getManifest(settings.product).restoreNodes;
  if (!sql) {
    log("The backup is of another site: run the product's own host name restore on each node (see docs/backup.md).");
    return;
  }
  await conn.query('BEGIN');
  try {
    await conn.query(sql.release);
    for (const n of nodes) await conn.query(sql.register, [n.hostname, n.isCentral]);
    await conn.query('COMMIT');
  } catch (err) {
    await conn.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  log(`Registered this site's nodes in the restored repository: ${nodes.map((n) => `${n.hostname}${n.isCentral ? ' (central)' : ''}`).join(', ')}.`);
}

/**
 * Runs a restore plan: services stopped everywhere (a node that does not stop refuses it before any
 * change), the current data saved first when `save` is given, database then share restored, both
 * compared with the manifest, services started again whatever happened.
 */
export async function runRestore(
  site: SiteSession,
  plan: RestorePlan,
  settings: Settings,
  ctx: InstallerContext,
  opts: { timeoutMs: number; log: (line: string) => void; save?: { plan: BackupPlan; passphrase: string; spsetupVersion: string } },
): Promise<RestoreResult> {
  const { sys } = ctx;
  const { log } = opts;
  const m = plan.backup.manifest;
  const layout = layoutFor(settings, ctx);
  const login = await dbLoginFor(settings, ctx);
  const work = `${layout.stateDir}/backup-restore`;
  const { value: result, downtimeMs, notStarted } = await withServicesStopped(site, plan.nodes.map((n) => n.hostname), opts.timeoutMs, log, async (): Promise<RestoreResult> => {
    if (opts.save) {
      log(`Backing up the current data into ${opts.save.plan.outDir} first...`);
      const startedAt = new Date();
      await sys.files.ensureDir(opts.save.plan.outDir, { mode: 0o700 });
      const body = await captureSite(sys, opts.save.plan, settings, ctx, { spsetupVersion: opts.save.spsetupVersion, log, startedAt });
      await sealBackup(sys, opts.save.plan.outDir, { ...body, endedAt: new Date().toISOString(), downtimeMs: 0, servicesStopped: true }, opts.save.passphrase);
    }
    await sys.files.remove(work);
    await sys.files.ensureDir(work, { mode: 0o700 });
    const conn = await connectLogin(sys, login);
    let restored: RestoreResult;
    try {
      log(`Restoring the database ${login.database} (one transaction)...`);
      const db = await restoreDatabase(sys, conn, login, plan.backup.client.binDir, `${plan.backup.dir}/${m.database.file}`, m.database.tables.map((t) => t.name), work);
      log(`Restoring the share ${plan.shareRoot}...`);
      const share = await restoreShare(sys, `${plan.backup.dir}/${SHARE_DIR}`, plan.shareRoot, m.share, layout.serviceAccount, `${work}/share.journal`);
      const problems = [...compareContent(m.database, await readContent(conn)).map((p) => `database: ${p}`), ...share.problems.map((p) => `share: ${p}`)];
      if (problems.length) throw new UserError('verify-failed', `After the restore the site still differs from the backup:\n${problems.slice(0, 20).map((p) => `  - ${p}`).join('\n')}`, 'Read the differences above, fix their cause (e.g. a process writing to the share), and run the restore again.');
      log(`Verified: ${m.database.tables.length} table(s) and ${m.share.files.length} share file(s) equal the backup.`);
      if (plan.newSite) await registerSiteNodes(conn, settings, plan.nodes, log);
      restored = { droppedTables: db.droppedTables, filesWritten: share.written, filesRemoved: share.removed, downtimeMs: 0 };
    } finally {
      await conn.close();
    }
    await sys.files.remove(work);
    return restored;
  });
  if (notStarted.length) throw new UserError('service', `The data was restored and verified, but the services did not start again on ${describeNotStarted(notStarted)}.`, 'Start them with spsetup site services start, and check spsetup site status.');
  return { ...result, downtimeMs };
}
