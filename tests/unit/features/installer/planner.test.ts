import { describe, expect, it } from 'vitest';
import { resolveLayout } from '../../../../electron/features/installer/layout.js';
import { hbaRules, planInstall } from '../../../../electron/features/installer/planner.js';
import { getManifest } from '../../../../electron/product/index.js';
import { parseSettings, type Settings } from '../../../../electron/shared/settings.js';

function settings(overrides: Record<string, unknown> = {}): Settings {
  const r = parseSettings({
    product: 'reference',
    cluster: { mode: 'create' },
    database: { install: 'local', host: 'node1', password: { env: 'DBPW' }, superuserPassword: 'su', listener: { listenAddresses: ['*'], ipRanges: ['10.1.2.0/24'], maxConnections: 200 } },
    share: { root: '/srv/share' },
    serviceAccount: { user: 'spsvc' },
    hostname: 'node1',
    plannedNodes: 2,
    installDir: '/opt/ref',
    dataDir: '/var/lib/ref',
    ...overrides,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.settings;
}

const plan = (s: Settings) => {
  const layout = resolveLayout(s, getManifest(s.product), 'linux', '/usr/bin/node');
  return planInstall({ settings: s, layout, nodeExecutable: '/usr/bin/node', databaseMediaDir: '/media/pg', repositoryHost: s.database.host, spsetupEntry: '/opt/spsetup/bin/spsetup.js' });
};

describe('install planner', () => {
  it('plans the guide\'s create-cluster order with a local database', () => {
    const ids = plan(settings()).steps.map((s) => s.id);
    const order = ['service-account', 'share-folders', 'database-cluster', 'database-settings', 'database-access', 'database-start', 'database-owner', 'product-config', 'connection-string', 'bootstrap', 'service-reference-dispatcher', 'start-services', 'registration'];
    const positions = order.map((id) => ids.indexOf(id));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('applies the site licence on the central node after the monitoring apps, only where a licence is given (its key a secret, never in the params)', () => {
    const withLicence = plan(settings({ licence: { key: { env: 'LICENCE_KEY' } } }));
    const ids = withLicence.steps.map((s) => s.id);
    expect(ids.indexOf('licence')).toBe(ids.indexOf('monitoring-apps') + 1);
    expect(withLicence.secrets).toContain('licence.key');
    expect(JSON.stringify(withLicence.steps.find((s) => s.id === 'licence')!.params)).not.toContain('LICENCE_KEY');
    expect(plan(settings()).steps.map((s) => s.id)).not.toContain('licence');
    expect(plan(settings()).secrets).not.toContain('licence.key');
  });

  it('bootstraps the central node with -iscentral and a rim node without', () => {
    const central = plan(settings()).steps.find((s) => s.id === 'bootstrap')!.params as { commands: { args: string[] }[] };
    expect(central.commands.at(-1)!.args).toContain('-iscentral');
    const join = settings({ cluster: { mode: 'join' }, database: { install: 'existing', host: 'node1', password: 'p' } });
    const rim = plan(join).steps.find((s) => s.id === 'bootstrap')!.params as { commands: { args: string[] }[] };
    expect(rim.commands.flatMap((c) => c.args)).not.toContain('-iscentral');
    expect(plan(join).steps.map((s) => s.id)).not.toContain('database-cluster');
  });

  it('registers the local database to stop with SIGINT (a fast shutdown: SIGTERM waits for every client session)', () => {
    const step = plan(settings()).steps.find((s) => s.id === 'service-' + getManifest('reference').database.service.name)!;
    expect((step.params['definition'] as { stopSignal?: string }).stopSignal).toBe('INT');
  });

  it('sets max_connections and listen_addresses from the listener', () => {
    const step = plan(settings()).steps.find((s) => s.id === 'database-settings')!;
    expect(step.params['settings']).toEqual({ listen_addresses: '*', port: '4432', max_connections: '200' });
  });

  it('allows exactly the given ranges to the repository role, with SCRAM', () => {
    expect(hbaRules(settings())).toEqual([
      { type: 'host', database: 'all', user: 'postgres', address: '127.0.0.1/32', method: 'scram-sha-256', keywords: ['database'] },
      { type: 'host', database: 'QSR', user: 'qliksenserepository', address: '10.1.2.0/24', method: 'scram-sha-256' },
    ]);
    expect(plan(settings()).warnings.join(' ')).not.toMatch(/every address/);
  });

  it('warns when every address may connect', () => {
    const open = settings({ database: { install: 'local', host: 'node1', password: 'p', superuserPassword: 'su', listener: { listenAddresses: ['*'], ipRanges: ['0.0.0.0/0'], maxConnections: 200 } } });
    expect(plan(open).warnings.join(' ')).toMatch(/every address \(0\.0\.0\.0\/0\)/);
  });

  it('holds secrets only as references', () => {
    const draft = plan(settings({ database: { install: 'local', host: 'node1', password: 'Sekr1t!', superuserPassword: 'SuperSekr1t', listener: { listenAddresses: ['*'], ipRanges: ['10.1.2.0/24'], maxConnections: 200 } } }));
    const text = JSON.stringify(draft);
    expect(text).not.toContain('Sekr1t!');
    expect(text).not.toContain('SuperSekr1t');
    expect(text).toContain('{"secret":"database.password"}');
    expect(draft.secrets).toEqual(['database.password', 'database.superuserPassword']);
  });

  it('does not start services when asked not to (the non-administrator path) and says so', () => {
    const draft = plan(settings({ startServices: false }));
    expect(draft.steps.map((s) => s.id)).not.toContain('start-services');
    expect(draft.warnings.join(' ')).toMatch(/will not be started/);
  });
});
