/**
 * Uninstall, as the guide's uninstaller does it: this node's services stopped and removed, its
 * installed files removed; the shared folder is never touched; the local database and the data
 * folder stay unless removing data is asked for. No folder it removes can hold the share, the
 * state folder or the kept database: layoutFor refuses settings that nest them. It shows its plan
 * first and takes the run lock, so it never runs while an install applies changes.
 */
import { readdir } from 'node:fs/promises';
import type { Settings } from '../../shared/settings.js';
import { joinPath } from '../../shared/settings.js';
import { acquireRunLock } from '../../engine/plan-store.js';
import { afterChange } from '../../shared/errors.js';
import type { InstallerContext } from './installer.js';
import { layoutFor } from './installer.js';
import { NODE_AGENT_SERVICE } from '../site/agent-config.js';

export interface UninstallPlan {
  /** Services to stop and remove, in that order (name and display name). */
  readonly services: readonly { readonly name: string; readonly displayName: string }[];
  /** Folders and files to remove. */
  readonly remove: readonly string[];
  /** What stays, in words. */
  readonly kept: readonly string[];
}

export interface UninstallReport {
  readonly removedServices: readonly string[];
  readonly removedPaths: readonly string[];
  readonly kept: readonly string[];
}

/** What uninstall would do on this machine now (changes nothing). */
export async function planUninstall(settings: Settings, ctx: InstallerContext, options: { removeData: boolean }): Promise<UninstallPlan> {
  const layout = layoutFor(settings, ctx);
  const { sys } = ctx;
  const keepDatabase = layout.localDb !== undefined && !options.removeData;
  const services: { name: string; displayName: string }[] = [];
  const kept: string[] = [`the shared folder ${layout.share.root}`];
  const add = async (name: string, displayName: string) => {
    if ((await sys.services.installed(name)) !== undefined) services.push({ name, displayName });
  };
  const product = layout.services.filter((s) => s.spec);
  for (const { def } of [...product].reverse()) await add(def.name, def.displayName);
  // The node agent started before the product's services and after the database: it stops between.
  await add(NODE_AGENT_SERVICE, 'spsetup node agent');
  for (const { def } of layout.services.filter((s) => !s.spec)) {
    if (keepDatabase) kept.push(`service ${def.name}`);
    else await add(def.name, def.displayName);
  }
  const remove: string[] = [];
  const databaseFiles = layout.localDb ? joinPath(layout.platform, layout.installDir, 'PostgreSQL') : undefined;
  if (keepDatabase && databaseFiles) {
    // The kept database still runs from its server files: remove everything else.
    for (const entry of await readdir(layout.installDir).catch(() => [])) {
      const path = joinPath(layout.platform, layout.installDir, entry);
      if (path !== databaseFiles) remove.push(path);
    }
    kept.push(`the database server files ${databaseFiles}`);
  } else if (await sys.files.stat(layout.installDir)) {
    remove.push(layout.installDir);
  }
  if (options.removeData) {
    if (await sys.files.stat(layout.dataDir)) remove.push(layout.dataDir);
  } else {
    kept.push(`the data folder ${layout.dataDir}`);
  }
  return { services, remove, kept };
}

/** The plan as a person reads it. */
export function renderUninstallPlan(plan: UninstallPlan): string {
  return [
    'Uninstall plan:',
    ...plan.services.map((s) => `  - stop and remove the service ${s.displayName} (${s.name})`),
    ...plan.remove.map((p) => `  - remove ${p}`),
    ...plan.kept.map((k) => `  - keep ${k}`),
  ].join('\n');
}

/** Stops and removes this node's services and files as planned, holding the run lock; says what it kept. */
export async function uninstallNode(settings: Settings, ctx: InstallerContext, options: { removeData: boolean; log: (line: string) => void }): Promise<UninstallReport> {
  const stateDir = layoutFor(settings, ctx).stateDir;
  const release = acquireRunLock(stateDir);
  try {
    // Planned under the lock: an install that finished meanwhile has its files seen.
    const plan = await planUninstall(settings, ctx, options);
    options.log(renderUninstallPlan(plan));
    const { sys } = ctx;
    const removedServices: string[] = [];
    const removedPaths: string[] = [];
    try {
      for (const s of plan.services) {
        options.log(`Stopping and removing ${s.displayName}.`);
        await sys.services.stop(s.name).catch(() => undefined);
        await sys.services.remove(s.name);
        removedServices.push(s.name);
      }
      for (const path of plan.remove) {
        await sys.files.remove(path);
        removedPaths.push(path);
      }
    } catch (err) {
      // Stopping a service already changed the machine: the command exits 1 (run it again to finish).
      throw afterChange(err);
    }
    return { removedServices, removedPaths, kept: plan.kept };
  } finally {
    release();
  }
}
