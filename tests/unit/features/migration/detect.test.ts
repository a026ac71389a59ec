import { describe, expect, it } from 'vitest';
import { referenceManifest } from '../../../../electron/product/reference/manifest.js';
import { classifySite, type SiteFacts } from '../../../../electron/features/migration/detect.js';
import { parseRepositoryConfig, renderRepositoryConfig } from '../../../../electron/features/migration/repository-config.js';

const db = { serverVersionNum: 150000, tables: ['nodes'], rowCounts: { nodes: 1 }, nodes: [{ hostname: 'a', is_central: true }] };
function facts(config: SiteFacts['config'], extra: Partial<SiteFacts> = {}): SiteFacts {
  return { installDir: '/opt/x', dataDir: '/var/x', installDirExists: true, dataDirExists: true, configPath: '/opt/x/Repository/Repository.exe.config', config, database: db, ...extra };
}
const ok = (sharedPersistence: boolean, release: string) => ({ state: 'ok' as const, sharedPersistence, release, appSettings: {} });

describe('classifySite', () => {
  it('tells the three scenarios apart', () => {
    expect(classifySite(facts(ok(false, '0.9.0')), referenceManifest).scenario).toBe('sync-older');
    expect(classifySite(facts(ok(false, referenceManifest.version)), referenceManifest).scenario).toBe('sync-current');
    expect(classifySite(facts(ok(true, '0.9.1')), referenceManifest).scenario).toBe('shared-older');
  });
  it('refuses what is no site, with a fix', () => {
    expect(() => classifySite(facts({ state: 'missing' }), referenceManifest)).toThrow(/no repository configuration/);
    expect(() => classifySite(facts({ state: 'invalid' }), referenceManifest)).toThrow(/is not a repository configuration/);
    expect(() => classifySite(facts(ok(false, '0.9.0'), { installDirExists: false }), referenceManifest)).toThrow(/installation folder does not exist/);
  });
  it('refuses a current shared site, a newer release and an unreadable database', () => {
    expect(() => classifySite(facts(ok(true, referenceManifest.version)), referenceManifest)).toThrow(/nothing to migrate/);
    expect(() => classifySite(facts(ok(false, '9.0.0')), referenceManifest)).toThrow(/newer than this installer/);
    const { database: _d, ...noDb } = facts(ok(false, '0.9.0'));
    expect(() => classifySite({ ...noDb, databaseError: 'refused' }, referenceManifest)).toThrow(/cannot be read: refused/);
  });
});

describe('repository configuration', () => {
  it('round-trips a password that XML must escape (the guide: I^!?0&amp;163j is I^!?0&163j)', () => {
    const cs = "User ID=u;Host=h;Password='I^!?0&163j<\"''';Port=4432;Database=QSR;";
    const text = renderRepositoryConfig({ sharedPersistence: false, release: '0.9.0', connectionString: cs, appSettings: {} });
    expect(text).toContain('I^!?0&amp;163j&lt;&quot;&apos;&apos;');
    expect(parseRepositoryConfig(text)?.connectionString).toBe(cs);
  });
});
