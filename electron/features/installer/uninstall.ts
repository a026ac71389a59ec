/**
 * Uninstall, as the guide's uninstaller does it: this node's services stopped and removed, its
 * installed files removed; the shared folder is never touched; the local database and the data
 * folder stay unless removing data is asked for.
 */
import { readdir } from 'node:fs/promises';
import type { Settings } from '../../shared/settings.js';
import { joinPath } from '../../shared/settings.js';
import type { InstallerContext } from './installer.js';
import { layoutFor } from './installer.js';
import { NODE_AGENT_SERVICE } from '../site/agent-config.js';

export interface UninstallReport {
  readonly removedServices: readonly string[];
  readonly removedPaths: readonly string[];
  readonly kept: readonly string[];
}

/** Stops and removes this node's services and files; says what it kept. */
export async function uninstallNode(settings: Settings, ctx: InstallerContext, options: { removeData: boolean; log: (line: string) => void }): Promise<UninstallReport> {
  const layout = layoutFor(settings, ctx);
  const { sys } = ctx;
  const removedServices: string[] = [];
  const removedPaths: string[] = [];
  const kept: string[] = [layout.share.root];
  const keepDatabase = layout.localDb !== undefined && !options.removeData;
  const removeService = async (name: string, displayName: string) => {
    if ((await sys.services.installed(name)) === undefined) return;
    options.log(`Stopping and removing ${displayName}.`);
    await sys.services.stop(name).catch(() => undefined);
    await sys.services.remove(name);
    removedServices.push(name);
  };
  const product = layout.services.filter((s) => s.spec);
  for (const { def } of [...product].reverse()) await removeService(def.name, def.displayName);
  // The node agent started before the product's services and after the database: it stops between.
  await removeService(NODE_AGENT_SERVICE, 'spsetup node agent');
  for (const { def } of layout.services.filter((s) => !s.spec)) {
    if (keepDatabase) kept.push(`service ${def.name}`);
    else await removeService(def.name, def.displayName);
  }
  const databaseFiles = layout.localDb ? joinPath(layout.platform, layout.installDir, 'PostgreSQL') : undefined;
  if (keepDatabase && databaseFiles) {
    // The kept database still runs from its server files: remove everything else.
    for (const entry of await readdir(layout.installDir).catch(() => [])) {
      const path = joinPath(layout.platform, layout.installDir, entry);
      if (path !== databaseFiles) {
        await sys.files.remove(path);
        removedPaths.push(path);
      }
    }
    kept.push(databaseFiles);
  } else if (await sys.files.stat(layout.installDir)) {
    await sys.files.remove(layout.installDir);
    removedPaths.push(layout.installDir);
  }
  if (options.removeData) {
    if (await sys.files.stat(layout.dataDir)) {
      await sys.files.remove(layout.dataDir);
      removedPaths.push(layout.dataDir);
    }
  } else {
    kept.push(layout.dataDir);
  }
  return { removedServices, removedPaths, kept };
}
