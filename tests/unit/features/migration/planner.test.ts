import { describe, expect, it } from 'vitest';
import { resolveLayout } from '../../../../electron/features/installer/layout.js';
import { planInstall } from '../../../../electron/features/installer/planner.js';
import { contentLayout } from '../../../../electron/features/migration/content-layout.js';
import type { Scenario } from '../../../../electron/features/migration/detect.js';
import { copyManifestPath, EXISTING_PASSWORD, planMigration, type MigrationRole } from '../../../../electron/features/migration/planner.js';
import { referenceManifest } from '../../../../electron/product/reference/manifest.js';
import { parseSettings, type Settings } from '../../../../electron/shared/settings.js';

const listener = { listenAddresses: ['*'], ipRanges: ['10.1.2.0/24'], maxConnections: 300 };

function settings(role: MigrationRole, overrides: Record<string, unknown> = {}): Settings {
  const r = parseSettings({
    product: 'reference',
    cluster: { mode: role === 'central' ? 'create' : 'join' },
    database: { install: 'existing', host: role === 'central' ? '127.0.0.1' : 'central.test', port: 5432, password: 'p', superuserPassword: 'su', listener },
    share: { root: '/srv/share' },
    serviceAccount: { user: 'spsvc' },
    hostname: role === 'central' ? 'central.test' : 'rim.test',
    plannedNodes: 3,
    installDir: '/opt/ref',
    dataDir: '/var/lib/ref',
    stateDir: '/var/lib/spsetup',
    startServices: false,
    ...overrides,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.settings;
}

function plan(role: MigrationRole, scenario: Scenario, options: { serverDataDir?: string; overrides?: Record<string, unknown> } = {}) {
  const s = settings(role, options.overrides);
  const layout = resolveLayout(s, referenceManifest, 'linux', '/usr/bin/node');
  const install = planInstall({ settings: s, layout, nodeExecutable: '/usr/bin/node', repositoryHost: s.database.host, spsetupEntry: '/opt/spsetup/bin/spsetup.js' });
  return planMigration({
    role,
    scenario,
    currentRelease: referenceManifest.version,
    repositoryConfigPath: '/opt/ref/Repository/Repository.exe.config',
    existingDb: { host: '127.0.0.1', port: 5432, user: 'qliksenserepository', database: referenceManifest.database.name },
    serverBinDir: '/usr/lib/postgresql/15/bin',
    ...(options.serverDataDir === undefined ? { serverDataDir: '/var/lib/pg/data' } : options.serverDataDir ? { serverDataDir: options.serverDataDir } : {}),
    settings: s,
    layout,
    install,
    folders: contentLayout({ platform: 'linux', dataDir: layout.dataDir, share: layout.share }),
    backupDir: '/backup',
  });
}

const ids = (draft: ReturnType<typeof plan>) => draft.steps.map((s) => s.id);

/** Asserts every id is present and they come in this order. */
function expectOrder(all: readonly string[], order: readonly string[]): void {
  const positions = order.map((id) => all.indexOf(id));
  expect(positions.filter((p) => p < 0).map((_, i) => order[i]), `missing from ${all.join(', ')}`).toEqual([]);
  expect(positions, all.join(', ')).toEqual([...positions].sort((a, b) => a - b));
}

describe('migration planner', () => {
  for (const scenario of ['sync-older', 'sync-current'] as const) {
    it(`central, ${scenario}: backup, copy, listener, TRUNCATE, start, registration in the guide's order`, () => {
      const all = ids(plan('central', scenario));
      expectOrder(all, [
        'repository-password',
        'stop-services',
        'backup',
        'share-folders',
        'copy-content',
        'product-config',
        'connection-string',
        'bootstrap',
        'database-listener',
        'database-access',
        'database-restart',
        'truncate-sync-tables',
        'start-dispatcher-repository',
        'start-services',
        'registration',
      ]);
      expect(all).not.toContain('remove-local-data');
      expect(new Set(all).size).toBe(all.length);
    });
  }

  it('the TRUNCATE comes only after the copy and requires the copy step\'s verified manifest', () => {
    const draft = plan('central', 'sync-older');
    const all = ids(draft);
    expect(all.indexOf('truncate-sync-tables')).toBeGreaterThan(all.indexOf('copy-content'));
    expect(all.indexOf('truncate-sync-tables')).toBeGreaterThan(all.indexOf('backup'));
    const copy = draft.steps.find((s) => s.id === 'copy-content')!;
    const truncate = draft.steps.find((s) => s.id === 'truncate-sync-tables')!;
    expect(truncate.params['requireManifest']).toBe(copyManifestPath('/var/lib/spsetup'));
    expect(copy.params['manifestPath']).toBe(truncate.params['requireManifest']);
    expect(truncate.params['tables']).toEqual([...referenceManifest.syncTables]);
    expect((truncate.params['database'] as { password: unknown }).password).toEqual({ secret: EXISTING_PASSWORD });
  });

  it('the older releases get their repository configuration before the start; the current one after QSD and QRS run, then a restart (the guide\'s step 12)', () => {
    expectOrder(ids(plan('central', 'sync-older')), ['bootstrap', 'repository-config', 'truncate-sync-tables', 'start-dispatcher-repository']);
    expectOrder(ids(plan('central', 'sync-current')), [
      'truncate-sync-tables',
      'start-dispatcher-repository',
      'repository-config',
      'restart-dispatcher-repository',
      'restart-dispatcher-repository-start',
      'start-services',
    ]);
    expect(ids(plan('central', 'sync-older'))).not.toContain('restart-dispatcher-repository');
  });

  it('starts the dispatcher before the repository, then the rest', () => {
    const draft = plan('central', 'sync-older');
    const first = draft.steps.find((s) => s.id === 'start-dispatcher-repository')!.params as { services: { name: string }[] };
    expect(first.services.map((s) => s.name)).toEqual(['reference-dispatcher', 'reference-repository']);
    const rest = draft.steps.find((s) => s.id === 'start-services')!.params as { services: { name: string }[] };
    expect(rest.services.map((s) => s.name)).not.toContain('reference-repository');
    expect(rest.services.length).toBeGreaterThan(0);
  });

  it('an older shared persistence: no copy, no TRUNCATE, no content in the backup', () => {
    const draft = plan('central', 'shared-older');
    const all = ids(draft);
    expect(all).not.toContain('copy-content');
    expect(all).not.toContain('truncate-sync-tables');
    expect(draft.steps.some((s) => s.kind === 'migration-copy-content' || s.kind === 'migration-truncate-sync')).toBe(false);
    expect((draft.steps.find((s) => s.id === 'backup')!.params as { folders: unknown[] }).folders).toEqual([]);
    expectOrder(all, ['repository-password', 'stop-services', 'backup', 'bootstrap', 'repository-config', 'start-dispatcher-repository', 'start-services', 'registration']);
  });

  it('a rim node: backup, then the local data removed, then Join cluster and re-registration; no copy, no TRUNCATE, no listener', () => {
    const draft = plan('rim', 'sync-older');
    const all = ids(draft);
    expectOrder(all, ['repository-password', 'stop-services', 'backup', 'remove-local-data', 'service-account', 'connection-string', 'bootstrap', 'repository-config', 'start-dispatcher-repository', 'start-services', 'registration']);
    for (const id of ['copy-content', 'truncate-sync-tables', 'database-listener', 'database-access', 'database-restart']) expect(all).not.toContain(id);
    const remove = draft.steps.find((s) => s.id === 'remove-local-data')!.params as { paths: string[]; backupManifest: string };
    expect(remove.backupManifest).toBe('/backup/content-manifest.json');
    expect(remove.paths).toContain('/var/lib/ref/Apps');
    expect(remove.paths.every((p) => p.startsWith('/var/lib/ref/'))).toBe(true);
    const bootstrap = draft.steps.find((s) => s.id === 'bootstrap')!.params as { commands: { args: string[] }[] };
    expect(bootstrap.commands.flatMap((c) => c.args)).not.toContain('-iscentral');
  });

  it('without a server data directory it warns that rim nodes cannot connect, and plans no listener', () => {
    const draft = plan('central', 'sync-older', { serverDataDir: '' });
    expect(ids(draft)).not.toContain('database-listener');
    expect(draft.warnings.join(' ')).toMatch(/listener is not configured/);
    expect(ids(draft)).toContain('truncate-sync-tables');
  });

  it('every service starts at boot again after the migration, and the secrets name the existing password', () => {
    const draft = plan('central', 'sync-current');
    const autostart = draft.steps.filter((s) => s.id.startsWith('autostart-'));
    const stopped = draft.steps.find((s) => s.id === 'stop-services')!.params['services'] as string[];
    expect(autostart.map((s) => s.id)).toEqual(stopped.map((name) => `autostart-${name}`));
    const all = ids(draft);
    for (const s of autostart) expect(all.indexOf(s.id)).toBeGreaterThan(all.indexOf('start-services'));
    expect(draft.secrets).toContain(EXISTING_PASSWORD);
    expect(draft.secrets).toContain('database.superuserPassword');
  });

  it('issue 18: the site steps after the bootstrap; the central node starts its agent and configures the monitoring apps, a rim node with the site key registers with the central node after its services start', () => {
    const central = ids(plan('central', 'sync-older'));
    expectOrder(central, ['bootstrap', 'site-key', 'site-schema', 'node-agent-config', 'service-spsetup-node-agent', 'truncate-sync-tables', 'start-services', 'node-agent-start', 'monitoring-apps', 'registration']);
    expect(central.indexOf('site-schema')).toBeLessThan(central.indexOf('service-reference-repository'));
    const rimDraft = plan('rim', 'sync-older', { overrides: { cluster: { mode: 'join', siteKey: 'k'.repeat(64) } } });
    const rim = ids(rimDraft);
    expectOrder(rim, ['remove-local-data', 'bootstrap', 'site-key', 'node-agent-config', 'start-services', 'node-agent-start', 'node-registration', 'registration']);
    const registration = rimDraft.steps.find((s) => s.id === 'node-registration')!;
    expect(registration.params['hostname']).toBe('rim.test');
    expect((registration.params['repository'] as { host: string }).host).toBe('central.test');
    expect(rimDraft.secrets).toContain('cluster.siteKey');
    expect(rimDraft.warnings.join(' ')).not.toMatch(/once its services run/);
    // Without the site key: no registration step, and the plan says how to give it.
    const keyless = plan('rim', 'sync-older');
    expect(ids(keyless)).not.toContain('node-registration');
    expect(keyless.warnings.join(' ')).toMatch(/will not be registered with the central node: give the central node's site key as cluster.siteKey/);
  });
});
