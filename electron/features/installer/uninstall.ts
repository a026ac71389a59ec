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
  for (const { spec, def } of [...layout.services].reverse()) {
    if (!spec && keepDatabase) {
      kept.push(`service ${def.name}`);
      continue;
    }
    if ((await sys.services.installed(def.name)) === undefined) continue;
    options.log(`Stopping and removing ${def.displayName}.`);
    await sys.services.stop(def.name).catch(() => undefined);
    await sys.services.remove(def.name);
    removedServices.push(def.name);
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
