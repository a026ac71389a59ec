/**
 * The backup and restore plans as data for `--plan --json`: what the text plan says, in fields a
 * script can read (no manifest internals, no secret: the backup holds none).
 */
import type { BackupPlan } from './site-backup.js';
import type { RestorePlan } from './site-restore.js';

const nodeList = (nodes: readonly { hostname: string; isCentral: boolean }[]) => nodes.map((n) => ({ hostname: n.hostname, isCentral: n.isCentral }));

/** `spsetup site backup --plan --json`. */
export function backupPlanJson(plan: BackupPlan) {
  return {
    kind: 'site-backup',
    outDir: plan.outDir,
    incremental: plan.incremental,
    nodes: nodeList(plan.nodes),
    database: { name: plan.database.name, endpoint: plan.database.endpoint, bytes: plan.database.bytes, serverVersionNum: plan.database.serverVersionNum, pgDumpMajor: plan.client.major },
    share: { root: plan.share.root, files: plan.share.files, bytes: plan.share.bytes },
    estimatedDowntimeMs: plan.estimatedDowntimeMs,
  } as const;
}

/** `spsetup site restore --plan --json`; `saveCurrent` is the folder --save-current backs up into first. */
export function restorePlanJson(plan: RestorePlan, saveCurrent?: string) {
  const m = plan.backup.manifest;
  return {
    kind: 'site-restore',
    backup: { dir: plan.backup.dir, startedAt: m.startedAt, spsetupVersion: m.spsetupVersion, product: m.product, nodes: nodeList(m.nodes) },
    nodes: nodeList(plan.nodes),
    /** Nothing to do: the site already holds exactly what the backup holds. */
    equal: plan.equal,
    newSite: plan.newSite,
    database: { name: m.database.name, differences: plan.database },
    share: { root: plan.shareRoot, missing: plan.share.missing, changed: plan.share.changed, extra: plan.share.extra, missingDirs: plan.share.missingDirs },
    ...(saveCurrent !== undefined && !plan.equal ? { saveCurrent } : {}),
  } as const;
}
