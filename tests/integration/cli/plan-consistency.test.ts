/**
 * Issue 19: `spsetup plan` and `spsetup install --plan` print the same plan for the same settings,
 * and so do `migrate plan` and `migrate run --plan` (one code path, show-plan.ts); text and --json,
 * the same exit code, and neither changes anything.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountName, cleanupNode, clusterSkipReason, makeNodeDirs, nodeSettings, randomPassword, removeUser, runCli, writeSettings, type CliOut, type NodeDirs } from '../../support/cluster.js';
import { buildSyncSite, type SyncSite } from '../../support/sync-site.js';

const skip = clusterSkipReason();

interface PlanDoc {
  readonly plan: { readonly id: string; readonly createdAt: string; readonly steps: readonly { id: string; action: string }[] };
  readonly preflight: readonly { ok: boolean }[];
}

/** The JSON document without what differs between two runs by design: the plan's id and time. */
function comparable(r: CliOut): unknown {
  expect(r.stderr).toBe('');
  const doc = JSON.parse(r.stdout) as PlanDoc;
  expect(doc.plan.id).toMatch(/\S/);
  const { id: _id, createdAt: _at, ...plan } = doc.plan;
  return { ...doc, plan };
}

describe.skipIf(skip)(`one plan, two spellings${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const user = accountName('pc');
  let dirs: NodeDirs;
  let site: SyncSite | undefined;

  beforeAll(async () => {
    dirs = await makeNodeDirs('pc');
  });

  afterAll(async () => {
    if (dirs) await cleanupNode(dirs);
    await site?.cleanup();
    await removeUser(user);
  }, 60_000);

  it('spsetup plan and spsetup install --plan: the same plan, text and JSON, and nothing made', async () => {
    const doc = nodeSettings({
      dirs,
      mode: 'create',
      dbInstall: 'local',
      dbHost: '127.0.0.1',
      dbPort: 15432,
      password: randomPassword(),
      superuserPassword: randomPassword(),
      listener: { listenAddresses: ['127.0.0.1'], ipRanges: ['127.0.0.0/8'], maxConnections: 100 },
      shareRoot: join(dirs.root, 'share'),
      hostname: 'localhost',
      user,
      plannedNodes: 1,
    });
    const file = await writeSettings(dirs.settingsFile, doc);
    const [planJson, installJson, planText, installText] = await Promise.all([
      runCli(['plan', '--settings', file, '--json']),
      runCli(['install', '--settings', file, '--plan', '--json']),
      runCli(['plan', '--settings', file]),
      runCli(['install', '--settings', file, '--plan']),
    ]);
    expect(installJson.code, installJson.stderr).toBe(planJson.code);
    const a = comparable(planJson) as PlanDoc;
    expect(a.plan.steps.length).toBeGreaterThan(10);
    expect(comparable(installJson)).toEqual(a);
    expect(installText.code).toBe(planText.code);
    expect(installText.stdout).toBe(planText.stdout);
    expect(planText.stdout).toMatch(/^Plan: /);
    // A plan only: no folder made, no journal, no service.
    expect(existsSync(dirs.installDir) || existsSync(dirs.dataDir) || existsSync(dirs.runitDir)).toBe(false);
    expect((await readdir(dirs.stateDir).catch(() => [] as string[])).filter((e) => e !== 'logs')).toEqual([]);
  }, 60_000);

  it('migrate plan and migrate run --plan: the same plan, text and JSON, and the site untouched', async () => {
    site = await buildSyncSite({ kind: 'sync-current', smallFiles: 20, largeFiles: 1, largeSize: 1 << 16 });
    const file = await writeSettings(join(site.dirs.root, 'migrate.json'), site.migrationDoc());
    const config = await readFile(site.configPath, 'utf8');
    const opts = { netns: site.netns };
    const [planJson, runJson, planText, runText] = await Promise.all([
      runCli(['migrate', 'plan', '--settings', file, '--json'], opts),
      runCli(['migrate', 'run', '--settings', file, '--plan', '--json'], opts),
      runCli(['migrate', 'plan', '--settings', file], opts),
      runCli(['migrate', 'run', '--settings', file, '--plan'], opts),
    ]);
    expect(planJson.code, `${planJson.stdout}\n${planJson.stderr}`).toBe(0);
    expect(runJson.code, runJson.stderr).toBe(0);
    const a = comparable(planJson) as PlanDoc & { scenario: string };
    expect(a.scenario).toBe('sync-current');
    expect(comparable(runJson)).toEqual(a);
    expect(runText.code).toBe(0);
    expect(runText.stdout).toBe(planText.stdout);
    expect(runText.stdout).toMatch(/^Detected: synchronized persistence/);
    // Nothing applied: the repository configuration is as built and the sync tables keep their rows.
    expect(await readFile(site.configPath, 'utf8')).toBe(config);
    const conn = await site.connect();
    try {
      const [row] = await conn.query<{ n: string }>('SELECT count(*)::text AS n FROM "SyncSessions"');
      expect(Number(row?.n)).toBe(site.rows['SyncSessions']);
    } finally {
      await conn.close();
    }
  }, 90_000);
});
