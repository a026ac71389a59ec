/**
 * Issue 6, must-show 1: a synchronized-persistence site of the reference product migrated with
 * `spsetup migrate run`: every content file on the share with the same SHA-256, every repository
 * table's rows kept except the synchronization tables (empty), the node running in shared
 * persistence and registered as central. Also: the dry run says what would be copied and changes
 * nothing, and a folder that is no site is refused with nothing changed.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPS_RULE } from '../../electron/features/registration/monitoring.js';
import { clusterSkipReason, runCli, writeSettings } from '../support/cluster.js';
import { buildSyncSite, rowsAfterMigration, type SyncSite } from '../support/sync-site.js';

const skip = clusterSkipReason();

async function sha256(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

describe.skipIf(skip)(`migrate a synchronized site${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let site: SyncSite;
  let file: string;

  beforeAll(async () => {
    site = await buildSyncSite({ kind: 'sync-current', startServices: true, smallFiles: 300 });
    file = await writeSettings(join(site.dirs.root, 'migrate.json'), site.migrationDoc());
  }, 60_000);
  afterAll(async () => site?.cleanup(), 60_000);

  it('refuses a folder that is no site, and changes nothing', async () => {
    const doc = site.migrationDoc() as { settings: Record<string, unknown> };
    const bad = await writeSettings(join(site.dirs.root, 'bad.json'), { ...doc, settings: { ...doc.settings, installDir: join(site.dirs.root, 'nothing-here'), dataDir: site.dirs.root } });
    const before = await readFile(site.configPath, 'utf8');
    const out = await runCli(['migrate', 'plan', '--settings', bad], { netns: site.netns });
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/is not a Reference product node that can be migrated: the installation folder does not exist/);
    expect(out.stderr).toMatch(/What to do:/);
    expect(await readFile(site.configPath, 'utf8')).toBe(before);
  });

  it('plans the whole migration with counts and bytes, changing nothing', async () => {
    const out = await runCli(['migrate', 'plan', '--settings', file], { netns: site.netns });
    expect(out.stderr).toBe('');
    expect(out.stdout).toMatch(/Detected: synchronized persistence, current release/);
    expect(out.stdout).toMatch(new RegExp(`Copy to the share: ${site.tree.files.length} file\\(s\\)`));
    expect(out.stdout).toMatch(/TRUNCATE 7 synchronization tables/);
    const conn = await site.connect();
    try {
      const [row] = await conn.query<{ n: string }>('SELECT count(*)::text AS n FROM "SyncSessions"');
      expect(Number(row?.n)).toBe(site.rows['SyncSessions']);
    } finally {
      await conn.close();
    }
  }, 60_000);

  it('migrates: content on the share, rows kept, sync tables empty, node registered and running', async () => {
    const out = await runCli(['migrate', 'run', '--settings', file, '--yes'], { netns: site.netns, timeoutMs: 150_000 });
    expect(out.stdout + out.stderr).toMatch(/done/i);
    expect(out.code, out.stdout + out.stderr).toBe(0);
    for (const f of site.tree.files) expect(await sha256(f.target), f.rel).toBe(f.sha256);
    const conn = await site.connect();
    try {
      for (const [table, n] of Object.entries(rowsAfterMigration(site))) {
        const [row] = await conn.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${table}"`);
        expect(Number(row?.n), table).toBe(n);
      }
      const rules = await conn.query<{ name: string }>('SELECT name FROM qrs_system_rules');
      expect(rules.map((r) => r.name)).toContain(APPS_RULE);
      const [central] = await conn.query<{ is_central: boolean }>('SELECT is_central FROM nodes WHERE hostname = $1', [site.hostname]);
      expect(central?.is_central).toBe(true);
    } finally {
      await conn.close();
    }
    const config = JSON.parse(await readFile(join(site.dirs.dataDir, 'reference.json'), 'utf8')) as { share: { root: string } };
    expect(config.share.root).toBe(site.shareRoot);
    expect(await readFile(site.configPath, 'utf8')).toMatch(/key="SharedPersistence" value="true"/);
    expect(await readFile(join(site.dirs.dataDir, 'log', 'repository.log'), 'utf8')).toMatch(new RegExp(`Shared persistence: root ${site.shareRoot}`));
  }, 170_000);
});
