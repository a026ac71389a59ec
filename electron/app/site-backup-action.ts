/**
 * The Site screen's backup and restore: the same use cases as `spsetup site backup | restore`
 * (electron/features/backup), a plan first and then the run; what they print comes back as lines.
 * A refusal (weak or wrong passphrase, a tampered backup, a non-empty folder) changes nothing.
 */
import { fileURLToPath } from 'node:url';
import { UserError } from '../shared/errors.js';
import { formatBytes, formatDuration } from '../shared/format.js';
import type { SiteBackupRequest, SiteBackupResult } from '../shared/ipc.js';
import type { Settings } from '../shared/settings.js';
import type { InstallerContext } from '../features/installer/installer.js';
import { checkPassphraseStrength, MIN_PASSPHRASE_LENGTH } from '../features/bundle/passphrase.js';
import { openSite } from '../features/site/site-client.js';
import { planBackup, renderBackupPlan, runBackup } from '../features/backup/site-backup.js';
import { verifyBackup } from '../features/backup/verify-backup.js';
import { planRestore, renderRestorePlan, runRestore } from '../features/backup/site-restore.js';

const TIMEOUT_MS = 120_000;

async function spsetupVersion(ctx: InstallerContext): Promise<string> {
  // Source (tsx) and built layouts sit at different depths.
  for (const rel of ['../../../package.json', '../../package.json']) {
    const text = await ctx.sys.files.readText(fileURLToPath(new URL(rel, import.meta.url))).catch(() => undefined);
    if (text) return (JSON.parse(text) as { version: string }).version;
  }
  return '0.0.0';
}

/** Plans or runs a site backup or restore of the folder `dir`. */
export async function siteBackupAction(settings: Settings, ctx: InstallerContext, req: Omit<SiteBackupRequest, 'settings'>): Promise<SiteBackupResult> {
  const lines: string[] = [];
  const log = (line: string) => void lines.push(line);
  if (req.action === 'plan-backup' || req.action === 'backup') {
    const strength = checkPassphraseStrength(req.passphrase);
    if (!strength.ok) throw new UserError('invalid-input', strength.message, `Use a longer passphrase (${MIN_PASSPHRASE_LENGTH} or more varied characters); keep it apart from the backup: verify and restore need it.`);
  }
  // A tampered, truncated or foreign backup is refused before anything connects or stops.
  const backup = req.action === 'plan-restore' || req.action === 'restore' ? await verifyBackup(ctx.sys, req.dir, req.passphrase) : undefined;
  const site = await openSite(settings, ctx);
  try {
    if (!backup) {
      const plan = await planBackup(site, settings, ctx, req.dir);
      log(renderBackupPlan(plan));
      if (req.action === 'plan-backup') return { lines };
      const { manifest: m, outDir } = await runBackup(site, plan, settings, ctx, { passphrase: req.passphrase, spsetupVersion: await spsetupVersion(ctx), timeoutMs: TIMEOUT_MS, log });
      log(`Backup complete in ${outDir}: database dump ${formatBytes(m.database.size)} (${m.database.tables.length} tables), share ${m.share.files.length} file(s) ${formatBytes(m.share.bytes)}; services were down for ${formatDuration(m.downtimeMs)}.`);
      return { lines };
    }
    const plan = await planRestore(site, settings, ctx, backup);
    log(renderRestorePlan(plan));
    if (req.action === 'plan-restore' || plan.equal) return { lines };
    const r = await runRestore(site, plan, settings, ctx, { timeoutMs: TIMEOUT_MS, log });
    log(`Restore complete: the database and ${backup.manifest.share.files.length} share file(s) equal the backup; ${r.filesWritten} file(s) written, ${r.filesRemoved.length} removed; services were down for ${formatDuration(r.downtimeMs)}.`);
    return { lines };
  } finally {
    await site.close();
  }
}
