import { describe, expect, it } from 'vitest';
import { checkCentralPorts } from '../../../../electron/features/installer/central-ports.js';
import { resolveLayout } from '../../../../electron/features/installer/layout.js';
import { getManifest } from '../../../../electron/product/index.js';
import { parseSettings, type Settings } from '../../../../electron/shared/settings.js';
import type { System } from '../../../../electron/system/system.js';

function joinSettings(): Settings {
  const r = parseSettings({
    product: 'reference',
    cluster: { mode: 'join' },
    database: { install: 'existing', host: '10.9.0.1', port: 5432, password: 'p' },
    share: { root: '/srv/share' },
    serviceAccount: { user: 'spsvc' },
    hostname: '10.9.0.3',
    plannedNodes: 3,
    installDir: '/opt/ref',
    dataDir: '/var/lib/ref',
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.settings;
}

/** A System whose database names `central` as the central node and whose network reaches every port but `closed`. */
function fakeSystem(central: string, closed: readonly string[], tried: string[]): System {
  const conn = { query: async () => [{ hostname: central, is_central: true }, { hostname: '10.9.0.3', is_central: false }], close: async () => undefined };
  return {
    postgres: { connect: async () => conn },
    network: {
      canConnect: async (host: string, port: number) => {
        tried.push(`${host}:${port}`);
        return !closed.includes(`${host}:${port}`);
      },
    },
  } as unknown as System;
}

describe('central-ports preflight of a join', () => {
  const s = joinSettings();
  const layout = resolveLayout(s, getManifest('reference'), 'linux', '/usr/bin/node');
  const spec = layout.manifest.registration!;

  it('checks the database, the central node\'s repository API and its certificate distribution port', async () => {
    const tried: string[] = [];
    const message = await checkCentralPorts(fakeSystem('10.9.0.2', [], tried), s, layout, 'p', {});
    expect(tried.sort()).toEqual(['10.9.0.1:5432', `10.9.0.2:${spec.apiPort}`, `10.9.0.2:${spec.distributionPort}`].sort());
    expect(message).toContain(`10.9.0.2:${spec.distributionPort} (certificate distribution)`);
  });

  it('a closed distribution port fails naming the port and the fix', async () => {
    const closed = `10.9.0.2:${spec.distributionPort}`;
    const err = await checkCentralPorts(fakeSystem('10.9.0.2', [closed], []), s, layout, 'p', {}).then(
      () => undefined,
      (e: unknown) => e as { message: string; fix?: string },
    );
    expect(err?.message).toBe(`This node cannot reach ${closed} (certificate distribution) within 4 s.`);
    expect(err?.fix).toContain(`Open TCP port ${spec.distributionPort} on 10.9.0.2 for 10.9.0.3`);
  });
});
