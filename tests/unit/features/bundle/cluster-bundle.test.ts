import { describe, expect, it } from 'vitest';
import { clusterIdOf, openClusterBundle, sealClusterBundle, settingsForOtherNodes } from '../../../../electron/features/bundle/cluster-bundle.js';
import { parseSettings, type Settings } from '../../../../electron/shared/settings.js';

function central(database: Record<string, unknown>): Settings {
  const r = parseSettings({
    product: 'reference',
    cluster: { mode: 'create' },
    database: { password: 'pw', superuserPassword: 'su', ...database },
    share: { root: '/srv/share' },
    serviceAccount: { user: 'spsvc' },
    hostname: 'node1.example.com',
    plannedNodes: 2,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.settings;
}

describe('cluster bundle', () => {
  it('gives other nodes the central host name for a local database reached as localhost', () => {
    expect(settingsForOtherNodes(central({ install: 'local', host: 'localhost' })).database.host).toBe('node1.example.com');
    expect(settingsForOtherNodes(central({ install: 'local', host: '127.0.0.1' })).database.host).toBe('node1.example.com');
    expect(settingsForOtherNodes(central({ install: 'local', host: '10.1.2.3' })).database.host).toBe('10.1.2.3');
    expect(settingsForOtherNodes(central({ install: 'existing', host: 'localhost' })).database.host).toBe('localhost');
  });

  it('seals a bundle that opens with the central host and this spsetup product', async () => {
    const settings = central({ install: 'local', host: 'localhost' });
    const bytes = await sealClusterBundle(settings, 'pw', 'correct-horse-battery-staple', 3_600_000, 'linux');
    const contents = await openClusterBundle(bytes, 'correct-horse-battery-staple');
    expect(contents.database.host).toBe('node1.example.com');
    expect(contents.clusterId).toBe(clusterIdOf(settings));
    await expect(openClusterBundle(bytes, 'correct-horse-battery-staple', 'qlik-sense')).rejects.toMatchObject({ code: 'bundle' });
  });

  it('seals the site key inside the encrypted payload, never in the clear (issue 14)', async () => {
    const key = 'k'.repeat(43);
    const bytes = await sealClusterBundle(central({ install: 'local', host: 'localhost' }), 'pw', 'correct-horse-battery-staple', 3_600_000, 'linux', { siteKey: key });
    expect(Buffer.from(bytes).toString('latin1')).not.toContain(key);
    expect(Buffer.from(bytes).toString('latin1')).not.toContain(Buffer.from(key).toString('base64').slice(0, 40));
    expect((await openClusterBundle(bytes, 'correct-horse-battery-staple')).siteKey).toBe(key);
  });
});
