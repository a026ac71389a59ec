/**
 * Preflight: free space and inodes where the plan writes (issue 13). What each changing step
 * needs is added up per file system (the share, the installation, the data and the state folders
 * may share one), and compared with what that file system has free, before any change.
 */
import { dirname } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { formatBytes } from '../../shared/format.js';
import type { Plan, PlannedStep } from '../../shared/plan.js';
import type { System } from '../../system/system.js';
import { walkTree } from '../../system/copy/index.js';
import type { NodeLayout } from './layout.js';

const MiB = 1024 * 1024;

/** What one location needs. */
export interface SpaceNeed {
  readonly path: string;
  readonly what: string;
  readonly bytes: number;
  readonly inodes: number;
}

/** A fresh cluster of PostgreSQL 15-17 (about 40 MiB, ~1,000 files) with room for its first WAL segments and logs. */
const DATABASE_CLUSTER: Omit<SpaceNeed, 'path' | 'what'> = { bytes: 96 * MiB, inodes: 2_000 };
/** Logs, configuration and bootstrap markers the product writes in its data folder once started. */
const DATA_FOLDER: Omit<SpaceNeed, 'path' | 'what'> = { bytes: 16 * MiB, inodes: 200 };
/** The journal, plans, backups and the logs of a run. */
const STATE_FOLDER: Omit<SpaceNeed, 'path' | 'what'> = { bytes: 4 * MiB, inodes: 64 };
/** The share's folders and what the product's first start writes there. */
const SHARE_FOLDERS: Omit<SpaceNeed, 'path' | 'what'> = { bytes: 1 * MiB, inodes: 32 };

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

async function stepNeeds(step: PlannedStep, layout: NodeLayout): Promise<SpaceNeed[]> {
  if (step.action === 'noop') return [];
  const p = step.params;
  switch (step.kind) {
    case 'copy-tree': {
      const source = str(p['source']);
      const target = str(p['target']);
      if (!source || !target) return [];
      const tree = await walkTree(source).catch(() => undefined);
      if (!tree) return [];
      const bytes = tree.files.reduce((sum, f) => sum + f.size, 0);
      return [{ path: target, what: step.title, bytes: bytes + 1 * MiB, inodes: tree.files.length + tree.dirs.length + tree.skipped.length + 1 }];
    }
    case 'pg-initdb': {
      const dataDir = str(p['dataDir']);
      return dataDir ? [{ path: dataDir, what: step.title, ...DATABASE_CLUSTER }] : [];
    }
    case 'directory': {
      const paths = Array.isArray(p['paths']) ? p['paths'].filter((x): x is string => typeof x === 'string') : [];
      return paths.map((path) => {
        const isShare = path === layout.share.root;
        const isData = path === layout.dataDir;
        const base = isShare ? SHARE_FOLDERS : isData ? DATA_FOLDER : { bytes: 4096, inodes: 1 };
        return { path, what: step.title, ...base };
      });
    }
    default: {
      const path = str(p['path']);
      return path ? [{ path, what: step.title, bytes: 64 * 1024, inodes: 2 }] : [];
    }
  }
}

/** What the plan needs, location by location (the state folder always: every run writes its journal and log). */
export async function planSpaceNeeds(plan: Plan, layout: NodeLayout): Promise<SpaceNeed[]> {
  const needs = (await Promise.all(plan.steps.map((s) => stepNeeds(s, layout)))).flat();
  return [...needs, { path: layout.stateDir, what: 'the journal and logs', ...STATE_FOLDER }];
}

async function nearestExisting(sys: System, path: string): Promise<string> {
  let p = path;
  while (!(await sys.files.stat(p)) && dirname(p) !== p) p = dirname(p);
  return p;
}

/** Refuses (preflight-failed) when a file system has less free space or fewer free inodes than the plan needs there; says what was found. */
export async function checkSpace(sys: System, needs: readonly SpaceNeed[]): Promise<string> {
  const byDevice = new Map<string, { at: string; freeBytes: number; freeInodes?: number; bytes: number; inodes: number; paths: Set<string> }>();
  for (const need of needs) {
    const at = await nearestExisting(sys, need.path);
    const space = await sys.files.space(at);
    const entry = byDevice.get(space.device) ?? { at, freeBytes: space.freeBytes, ...(space.freeInodes !== undefined ? { freeInodes: space.freeInodes } : {}), bytes: 0, inodes: 0, paths: new Set<string>() };
    entry.bytes += need.bytes;
    entry.inodes += need.inodes;
    entry.paths.add(need.path);
    byDevice.set(space.device, entry);
  }
  const problems: string[] = [];
  const fine: string[] = [];
  for (const e of byDevice.values()) {
    // The top folders only: the share root stands for its sub folders.
    const tops = [...e.paths].filter((p) => ![...e.paths].some((q) => q !== p && (p.startsWith(`${q}/`) || p.startsWith(`${q}\\`))));
    const where = tops.slice(0, 3).join(', ') + (tops.length > 3 ? ` and ${tops.length - 3} more` : '');
    if (e.freeBytes < e.bytes) problems.push(`the file system of ${where} has ${formatBytes(e.freeBytes)} free; the plan needs ${formatBytes(e.bytes)} there`);
    if (e.freeInodes !== undefined && e.freeInodes < e.inodes) problems.push(`the file system of ${where} has ${e.freeInodes} free inodes; the plan creates about ${e.inodes} files and folders there`);
    fine.push(`${e.at}: ${formatBytes(e.freeBytes)} free, ${formatBytes(e.bytes)} needed`);
  }
  if (problems.length) {
    throw new UserError('preflight-failed', `Not enough room: ${problems.join('; ')}.`, 'Free space (or inodes) there, or choose folders on a larger file system, then run spsetup again.');
  }
  return fine.join('; ');
}
