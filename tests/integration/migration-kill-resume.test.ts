/**
 * Issue 6, must-show 2: `spsetup migrate run` SIGKILLed while it copies the content to the share
 * (once the copy journal holds KILL_AT verified files), then run again: it continues with the
 * copy, does not copy the files finished before the kill again (the copy step's count, and their
 * inode and birth time are unchanged), and ends in the state of an uninterrupted migration.
 * On the way, the generic `spsetup resume` and `spsetup rollback` refuse the unfinished migration
 * and name the command that continues it, changing nothing.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterSkipReason, journalSteps, runCli, spawnCli, writeSettings } from '../support/cluster.js';
import { buildSyncSite, PRODUCT_SERVICES, readMigratedState, rowsAfterMigration, type SyncSite } from '../support/sync-site.js';

const skip = clusterSkipReason();
const KILL_AT = 200;

interface Finished {
  readonly path: string;
  readonly ino: number;
  readonly birthtimeMs: number;
}

/** The files the copy journals record as verified, with their target paths (header: source, target). */
async function journaledFiles(journalDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(journalDir).catch(() => [] as string[])) {
    let target = '';
    for (const line of (await readFile(join(journalDir, name), 'utf8')).split('\n')) {
      try {
        const v = JSON.parse(line) as { kind?: string; target?: string; path?: string; sha256?: string };
        if (v.kind === 'copy-journal' && v.target) target = v.target;
        else if (v.path && v.sha256 && target) out.push(join(target, v.path));
      } catch {
        // empty or torn line
      }
    }
  }
  return out;
}

describe.skipIf(skip)(`migration killed during the copy${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let site: SyncSite;
  let file: string;
  let nodeSettings: string;

  beforeAll(async () => {
    site = await buildSyncSite({ kind: 'sync-older', startServices: true, smallFiles: 2500, largeFiles: 2, largeSize: 2 * 1024 * 1024 });
    file = await writeSettings(join(site.dirs.root, 'migrate.json'), site.migrationDoc());
    const doc = site.migrationDoc() as { settings: { database: Record<string, unknown> } };
    nodeSettings = await writeSettings(join(site.dirs.root, 'node.json'), { ...doc.settings, database: { ...doc.settings.database, password: site.password } });
  }, 60_000);
  afterAll(async () => site?.cleanup(), 60_000);

  it('continues after SIGKILL without copying finished files again, and ends as an uninterrupted migration', async () => {
    const journalDir = join(site.dirs.stateDir, 'migration', 'copy-journal');
    const total = site.tree.files.length;

    // 1. Run and kill once KILL_AT files are verified on the share.
    const child = spawnCli(['migrate', 'run', '--settings', file, '--yes'], { netns: site.netns });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    try {
      const deadline = Date.now() + 60_000;
      while ((await journaledFiles(journalDir)).length < KILL_AT) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the migration ended or stalled before the kill:\n${output}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      child.kill('SIGKILL');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    expect(await exited).toBe('SIGKILL');

    const started = (await journalSteps(site.dirs.stateDir, 'step-started')).map((s) => s.stepId);
    const done = (await journalSteps(site.dirs.stateDir, 'step-done')).map((s) => s.stepId);
    expect(started.at(-1)).toBe('copy-content');
    expect(done).toContain('backup');
    expect(done).not.toContain('copy-content');
    const journaled = await journaledFiles(journalDir);
    expect(journaled.length).toBeGreaterThanOrEqual(KILL_AT);
    expect(journaled.length).toBeLessThan(total / 2);
    const finished: Finished[] = await Promise.all(journaled.map(async (path) => ({ path, ...(await lstat(path).then((s) => ({ ino: s.ino, birthtimeMs: s.birthtimeMs }))) })));
    // Nothing was truncated yet.
    const before = await site.connect();
    try {
      const [row] = await before.query<{ n: string }>('SELECT count(*)::text AS n FROM "SyncSessions"');
      expect(Number(row?.n)).toBe(site.rows['SyncSessions']);
    } finally {
      await before.close();
    }

    // 2. The generic resume and rollback do not know migration steps: they name the right command and change nothing.
    const journalBefore = await readFile(join(site.dirs.stateDir, 'journal.jsonl'), 'utf8');
    const generic = await runCli(['resume', '--settings', nodeSettings], { netns: site.netns });
    expect(generic.code, generic.stdout + generic.stderr).toBe(2);
    expect(generic.stderr).toMatch(/last plan on this node is a migration/);
    expect(generic.stderr).toMatch(/spsetup migrate resume --settings/);
    const rollback = await runCli(['rollback', '--settings', nodeSettings], { netns: site.netns });
    expect(rollback.code, rollback.stdout + rollback.stderr).toBe(2);
    expect(rollback.stderr).toMatch(/does not roll back it[\s\S]*spsetup migrate resume --settings/);
    expect(await readFile(join(site.dirs.stateDir, 'journal.jsonl'), 'utf8')).toBe(journalBefore);

    // 3. Run again: it continues the unfinished migration.
    const second = await runCli(['migrate', 'run', '--settings', file, '--yes'], { netns: site.netns, timeoutMs: 120_000 });
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toMatch(/continuing the unfinished migration/);
    const line = /Copied and verified (\d+) file\(s\); (\d+) already copied and verified before were not copied again/.exec(second.stdout);
    expect(line, second.stdout).not.toBeNull();
    const [copied, skipped] = [Number(line![1]), Number(line![2])];
    expect(skipped).toBe(finished.length);
    expect(copied).toBe(total - finished.length);
    // The backup and the steps before the copy did not run again.
    const startedAgain = (await journalSteps(site.dirs.stateDir, 'step-started')).map((s) => s.stepId).slice(started.length);
    expect(startedAgain[0]).toBe('copy-content');
    expect(startedAgain).not.toContain('backup');
    // Files finished before the kill are the same files (a copy writes a new file and renames it).
    // Their ctime moves: the step gives the share to the service account once the copy is complete.
    for (const f of finished) {
      const now = await lstat(f.path);
      expect({ path: f.path, ino: now.ino, birthtimeMs: now.birthtimeMs }).toEqual(f);
    }

    // 4. The end state of an uninterrupted migration (migration-central.test.ts).
    const state = await readMigratedState(site);
    expect(state.wrongFiles).toEqual([]);
    expect(state.extraFiles).toEqual([]);
    expect(state.rows).toEqual(rowsAfterMigration(site));
    expect(state.nodes).toContain(`${site.hostname} central`);
    expect(state.sharedPersistence).toBe(true);
    expect(state.productShareRoot).toBe(site.shareRoot);
    expect(state.services).toEqual(Object.fromEntries(PRODUCT_SERVICES.map((s) => [s, 'running'])));
  }, 150_000);
});
