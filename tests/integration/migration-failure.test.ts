/**
 * Issue 6, must-show 3: a failure before the TRUNCATE (the share cannot be made: a file stands
 * where its folder must go) leaves the original site able to start as before: its services start,
 * its rows, configuration and content are intact.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceManifest } from '../../electron/product/reference/manifest.js';
import { createPosixSystem } from '../../electron/system/system.js';
import { clusterSkipReason, journalSteps, runCli, writeSettings } from '../support/cluster.js';
import { buildSyncSite, type SyncSite } from '../support/sync-site.js';

const skip = clusterSkipReason();

describe.skipIf(skip)(`migration failing before the TRUNCATE${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let site: SyncSite;

  beforeAll(async () => {
    site = await buildSyncSite({ kind: 'sync-older', startServices: true, smallFiles: 60, largeFiles: 1, largeSize: 1024 * 1024 });
  }, 60_000);
  afterAll(async () => site?.cleanup(), 60_000);

  it('stops with a clear error and the original site starts again with its rows intact', async () => {
    const file = await writeSettings(join(site.dirs.root, 'migrate.json'), site.migrationDoc());
    const configBefore = await readFile(site.configPath, 'utf8');
    const out = await runCli(['migrate', 'run', '--settings', file, '--yes'], { netns: site.netns });
    expect(out.code).toBe(0);
    // Now inject the failure on a second run's folder: a fresh site would be needed; instead plan a share path blocked by a file.
  });
});
