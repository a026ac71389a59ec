import { describe, expect, it } from 'vitest';
import {
  buildReferenceConfig,
  DEFAULT_REFERENCE_PORTS,
  parseReferenceConfig,
  ReferenceConfigError,
  type ReferenceProductConfig,
} from '../../../../electron/product/reference/config.js';

const share = { root: '/s', apps: '/s/Apps', archivedLogs: '/s/ArchivedLogs', customData: '/s/CustomData', staticContent: '/s/StaticContent' };
const good: ReferenceProductConfig = buildReferenceConfig({ hostname: 'n1', dataDir: '/var/lib/ref', share, ports: { repository: 30000 }, repository: { heartbeatIntervalMs: 200 } });

describe('reference config', () => {
  it('builds the exact document the programs read', () => {
    expect(good).toEqual({
      hostname: 'n1',
      sharedPersistence: true,
      share,
      dataDir: '/var/lib/ref',
      logDir: '/var/lib/ref/log',
      connectionStringFile: '/var/lib/ref/secrets/repository.connection',
      ports: { ...DEFAULT_REFERENCE_PORTS, repository: 30000 },
      repository: { heartbeatIntervalMs: 200 },
    });
    expect(parseReferenceConfig(JSON.stringify(good))).toEqual(good);
  });

  const broken: [string, unknown, RegExp][] = [
    ['not JSON', '{', /not valid JSON/],
    ['an unknown field', { ...good, extra: 1 }, /extra is not a known field/],
    ['sharedPersistence false', { ...good, sharedPersistence: false }, /sharedPersistence must be true/],
    ['a relative connection string file', { ...good, connectionStringFile: 'x' }, /connectionStringFile must be an absolute path/],
    ['a missing port', { ...good, ports: { ...good.ports, engine: undefined } }, /ports.engine is required/],
    ['a port out of range', { ...good, ports: { ...good.ports, proxy: 70000 } }, /ports.proxy must be a whole number/],
    ['an empty share folder', { ...good, share: { ...share, apps: '' } }, /share.apps must be a non-empty string/],
    ['a zero heartbeat', { ...good, repository: { heartbeatIntervalMs: 0 } }, /repository.heartbeatIntervalMs/],
  ];
  for (const [what, value, message] of broken) {
    it(`refuses ${what}`, () => {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      expect(() => parseReferenceConfig(text)).toThrow(ReferenceConfigError);
      expect(() => parseReferenceConfig(text)).toThrow(message);
    });
  }
});
