/** What a plan changes, by area: the summary the Ready screens show before the steps. */
import type { PlannedStep, StepAction } from '../../../electron/shared/plan.js';

export type Area = 'accounts' | 'folders' | 'database' | 'security' | 'configuration' | 'services' | 'site';

export const AREA_TITLES: Readonly<Record<Area, string>> = {
  accounts: 'Accounts',
  folders: 'Folders and product files',
  database: 'Repository database',
  security: 'Certificates and keys',
  configuration: 'Product configuration',
  services: 'Services',
  site: 'Cluster registration',
};

const AREA_ORDER: readonly Area[] = ['accounts', 'folders', 'database', 'security', 'configuration', 'services', 'site'];

/** The area a step kind belongs to (unknown kinds count as configuration, never dropped). */
export function areaOf(kind: string): Area {
  if (kind === 'os-account' || kind === 'windows-account' || kind === 'windows-service-logon') return 'accounts';
  if (kind === 'directory' || kind === 'copy-tree' || kind === 'windows-smb-share' || kind.startsWith('migration-copy') || kind === 'migration-backup' || kind === 'migration-remove-local-data') return 'folders';
  if (kind.startsWith('pg-') || kind.startsWith('migration-database') || kind === 'migration-truncate-sync') return 'database';
  if (kind === 'server-certificate' || kind === 'ca-file' || kind === 'site-key') return 'security';
  if (kind === 'service' || kind === 'service-running' || kind === 'migration-services-stopped') return 'services';
  if (kind === 'bootstrap' || kind === 'windows-bootstrap' || kind.startsWith('node-regist') || kind.startsWith('site-') || kind === 'licence' || kind === 'monitoring-apps') return 'site';
  return 'configuration';
}

/** A step changes something unless its check found it already in place. */
export const changes = (step: Pick<PlannedStep, 'action'>): boolean => step.action !== 'noop';

/** The word the Ready screens show for an action (noop is not a change). */
export const ACTION_LABELS: Readonly<Record<StepAction, string>> = { create: 'create', update: 'update', delete: 'delete', run: 'run', noop: 'no change' };

export interface AreaSummary {
  readonly area: Area;
  readonly title: string;
  /** How many steps of each changing action, in a fixed order. */
  readonly counts: readonly { readonly action: Exclude<StepAction, 'noop'>; readonly count: number }[];
  readonly unchanged: number;
  /** Titles of the steps that change something. */
  readonly changing: readonly string[];
}

/** Areas in a fixed order, each with what changes there; areas with no step are left out. */
export function summarizePlan(steps: readonly PlannedStep[]): AreaSummary[] {
  const out: AreaSummary[] = [];
  for (const area of AREA_ORDER) {
    const mine = steps.filter((s) => areaOf(s.kind) === area);
    if (mine.length === 0) continue;
    const counts = (['create', 'update', 'delete', 'run'] as const)
      .map((action) => ({ action, count: mine.filter((s) => s.action === action).length }))
      .filter((c) => c.count > 0);
    out.push({ area, title: AREA_TITLES[area], counts, unchanged: mine.filter((s) => !changes(s)).length, changing: mine.filter(changes).map((s) => s.title) });
  }
  return out;
}

/** "2 create, 1 update" or "no change". */
export function describeCounts(summary: AreaSummary): string {
  const parts = summary.counts.map((c) => `${c.count} ${c.action === 'run' ? (c.count === 1 ? 'command' : 'commands') : c.action === 'create' ? 'to create' : c.action === 'update' ? 'to update' : 'to delete'}`);
  return parts.length === 0 ? 'no change' : parts.join(', ');
}

/** Lines added and removed by a unified diff (its file headers not counted). */
export function diffStats(diff: string): { readonly added: number; readonly removed: number } {
  let added = 0;
  let removed = 0;
  for (const line of diff.split('\n')) {
    if (line.startsWith('+++') || line.startsWith('---')) continue;
    if (line.startsWith('+')) added += 1;
    else if (line.startsWith('-')) removed += 1;
  }
  return { added, removed };
}
