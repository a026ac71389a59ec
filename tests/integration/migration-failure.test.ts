/**
 * Issue 6, must-show 3: a failure before the TRUNCATE (a file stands where the share's
 * StaticContent/AppContent folder must go, so the copy fails after the services were stopped and
 * the backup made) leaves the original site able to start as before: its services start, its rows,
 * repository configuration and content are intact.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPosixSystem } from '../../electron/system/system.js';
import { clusterSkipReason, journalSteps, runCli, writeSettings } from '../support/cluster.js';
import { buildSyncSite, type SyncSite } from '../support/sync-site.js';

const skip = clusterSkipReason();

async function countLines(path: string, text: string): Promise<number> {
  return (await readFile(path, 'utf8').catch(() => '')).split('\n').filter((l) => l.includes(text)).length;
}

describe.skipIf(skip)(`migration failing before the TRUNCATE${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let site: SyncSite;

  beforeAll(async () => {
    site = await buildSyncSite({ kind: 'sync-older', startServices: true, smallFiles: 60, largeFiles: 1, largeSize: 1024 * 1024 });
  }, 60_000);
  afterAll(async () => site?.cleanup(), 60_000);

  it('stops with a clear error; the original site starts again with its rows intact', async () => {
    await mkdir(join(site.shareRoot, 'StaticContent'), { recursive: true });
    await writeFile(join(site.shareRoot, 'StaticContent', 'AppContent'), 'not a folder\n');
    execFileSync('chown', ['-R', `${site.account}:${site.account}`, site.shareRoot]);
    const file = await writeSettings(join(site.dirs.root, 'migrate.json'), site.migrationDoc());
    const configBefore = await readFile(site.configPath, 'utf8');
    const referenceBefore = await readFile(join(site.dirs.dataDir, 'reference.json'), 'utf8');

    const out = await runCli(['migrate', 'run', '--settings', file, '--yes'], { netns: site.netns, timeoutMs: 120_000 });
    expect(out.code, out.stdout + out.stderr).toBe(1);
    expect(out.stdout + out.stderr).toMatch(/AppContent/);
    const started = (await journalSteps(site.dirs.stateDir, 'step-started')).map((s) => s.stepId);
    expect(started).toContain('backup');
    expect(started).toContain('copy-content');
    expect(started).not.toContain('truncate-sync-tables');

    expect(await readFile(site.configPath, 'utf8')).toBe(configBefore);
    expect(await readFile(join(site.dirs.dataDir, 'reference.json'), 'utf8')).toBe(referenceBefore);
    const conn = await site.connect();
    try {
      for (const [table, n] of Object.entries(site.rows)) {
        const [row] = await conn.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${table}"`);
        expect(Number(row?.n), table).toBe(n);
      }
    } finally {
      await conn.close();
    }
    for (const f of site.tree.files.slice(0, 20)) expect((await readFile(f.source)).length).toBe(f.size);

    // The site starts as before: the services the migration stopped come up and the repository is ready.
    const log = join(site.dirs.dataDir, 'log', 'repository.log');
    const readyBefore = await countLines(log, 'Repository service started');
    const sys = createPosixSystem({ serviceManager: 'runit', runitDir: site.dirs.runitDir, definitionsDir: join(site.dirs.stateDir, 'sv') });
    for (const name of ['reference-dispatcher', 'reference-repository', 'reference-proxy', 'reference-engine', 'reference-scheduler', 'reference-printing']) await sys.services.start(name);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (await countLines(log, 'Repository service started')) <= readyBefore) await new Promise((r) => setTimeout(r, 200));
    expect(await countLines(log, 'Repository service started')).toBe(readyBefore + 1);
    expect(await sys.services.status('reference-repository')).toBe('running');
  }, 150_000);
});
