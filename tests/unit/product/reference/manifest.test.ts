import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandTemplate } from '../../../../electron/product/manifest.js';
import { parseReferenceConfig, REFERENCE_READY_LINES } from '../../../../electron/product/reference/config.js';
import { referenceManifest as m, referenceMediaDir } from '../../../../electron/product/reference/manifest.js';
import { qlikSenseManifest } from '../../../../electron/product/qlik-sense.js';

describe('reference manifest', () => {
  it('starts dispatcher, then repository, then the rest, like the real product', () => {
    expect(m.services.map((s) => [s.id, s.phase])).toEqual([
      ['dispatcher', 1],
      ['repository', 2],
      ['proxy', 3],
      ['engine', 3],
      ['scheduler', 3],
      ['printing', 3],
    ]);
    expect(m.services.map((s) => s.id)).toEqual(qlikSenseManifest.services.map((s) => s.id));
  });

  it('runs each program with node and the config file, ready on its log line and port', () => {
    const vars = { node: '/usr/bin/node', installDir: '/opt/ref', dataDir: '/var/lib/ref' };
    for (const s of m.services) {
      const cmd = expandTemplate(s.command, vars);
      expect(cmd).toEqual({ file: '/usr/bin/node', args: [`/opt/ref/${s.id}.js`, '--config', '/var/lib/ref/reference.json'] });
      expect(s.readiness.logLine).toBe(REFERENCE_READY_LINES[s.id as keyof typeof REFERENCE_READY_LINES]);
      expect(s.readiness.port).toBe(s.ports[0]);
      expect(s.logFile).toBe(`log/${s.id}.log`);
    }
  });

  it("has bootstrap commands of the guide's shape", () => {
    const show = (list: typeof m.bootstrap.central) =>
      list.map((c) => expandTemplate(c, { node: 'node', installDir: '/i', dataDir: '/d' })).map((e) => [e.file, ...e.args].join(' '));
    expect(show(m.bootstrap.central)).toEqual([
      'node /i/proxy.js --config /d/reference.json -bootstrap=install',
      'node /i/scheduler.js --config /d/reference.json -bootstrap=install',
      'node /i/repository.js --config /d/reference.json -bootstrap=install -iscentral',
    ]);
    expect(show(m.bootstrap.rim)).toEqual([
      'node /i/proxy.js --config /d/reference.json -bootstrap=install',
      'node /i/scheduler.js --config /d/reference.json -bootstrap=install',
      'node /i/repository.js --config /d/reference.json -bootstrap',
    ]);
  });

  it('shares the database names and sync tables of the real product', () => {
    expect(m.database).toMatchObject({ name: 'QSR', ownerRole: 'qliksenserepository', localOwnerRole: 'postgres', defaultPort: 4432 });
    expect(m.syncTables).toEqual(qlikSenseManifest.syncTables);
  });

  it('finds its media in dist/media/reference, compiled or from source', () => {
    expect(referenceMediaDir('file:///app/dist/electron/product/reference/manifest.js')).toBe('/app/dist/media/reference');
    expect(referenceMediaDir('file:///repo/electron/product/reference/manifest.ts')).toBe('/repo/dist/media/reference');
    expect(m.mediaDir).toBe(join(process.cwd(), 'dist', 'media', 'reference'));
  });

  it('renders a config the programs accept, pointing at the manifest paths', () => {
    const text = m.renderConfig({
      hostname: 'node1',
      isCentral: false,
      installDir: '/opt/ref',
      dataDir: '/var/lib/ref',
      share: { root: '/srv/share', apps: '/srv/share/Apps', archivedLogs: '/srv/share/ArchivedLogs', customData: '/srv/share/CustomData', staticContent: '/srv/share/StaticContent' },
    });
    const config = parseReferenceConfig(text);
    expect(config.connectionStringFile).toBe(join('/var/lib/ref', m.connectionStringFile));
    expect(config.logDir).toBe('/var/lib/ref/log');
    expect(config.hostname).toBe('node1');
    expect(config.sharedPersistence).toBe(true);
    expect(config.ports.repository).toBe(m.services.find((s) => s.id === 'repository')?.readiness.port);
  });

  it('takes port overrides by service id into the config', () => {
    const share = { root: '/s', apps: '/s/A', archivedLogs: '/s/L', customData: '/s/C', staticContent: '/s/S' };
    const config = parseReferenceConfig(m.renderConfig({ hostname: 'n', isCentral: true, installDir: '/i', dataDir: '/d', share, ports: { repository: 31000, unrelated: 1 } }));
    expect(config.ports.repository).toBe(31000);
    expect(config.ports.proxy).toBe(m.services.find((s) => s.id === 'proxy')?.ports[0]);
  });
});
