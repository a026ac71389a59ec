import { describe, expect, it } from 'vitest';
import { expandTemplate } from '../../../electron/product/manifest.js';
import { qlikSenseManifest as m, renderQlikSenseConfig } from '../../../electron/product/qlik-sense.js';

describe('qlik-sense manifest', () => {
  it('has the Windows service names of product-facts.md in the vendor start order', () => {
    expect(m.database.service).toEqual({ name: 'QlikSenseRepositoryDatabase', displayName: 'Qlik Sense Repository Database' });
    expect(m.services.map((s) => [s.name, s.displayName, s.phase])).toEqual([
      ['QlikSenseServiceDispatcher', 'Qlik Sense Service Dispatcher', 1],
      ['QlikSenseRepositoryService', 'Qlik Sense Repository Service', 2],
      ['QlikSenseProxyService', 'Qlik Sense Proxy Service', 3],
      ['QlikSenseEngineService', 'Qlik Sense Engine Service', 3],
      ['QlikSenseSchedulerService', 'Qlik Sense Scheduler Service', 3],
      ['QlikSensePrintingService', 'Qlik Sense Printing Service', 3],
    ]);
  });

  it('waits for QRS on port 4242 with a bound long enough for its slow first start', () => {
    const qrs = m.services.find((s) => s.id === 'repository');
    expect(qrs?.readiness.port).toBe(4242);
    expect(qrs?.readiness.timeoutMs).toBeGreaterThanOrEqual(120_000);
    expect(qrs?.dependsOn).toEqual(['dispatcher']);
  });

  it("has the guide's bootstrap commands", () => {
    const vars = { installDir: 'C:\\Program Files\\Qlik\\Sense' };
    const show = (list: typeof m.bootstrap.central) => list.map((c) => { const e = expandTemplate(c, vars); return [e.file, ...e.args].join(' '); });
    expect(show(m.bootstrap.central)).toEqual([
      'C:\\Program Files\\Qlik\\Sense\\Proxy\\Proxy.exe -bootstrap=install',
      'C:\\Program Files\\Qlik\\Sense\\Scheduler\\Scheduler.exe -bootstrap=install',
      'C:\\Program Files\\Qlik\\Sense\\Repository\\Repository.exe -bootstrap=install -iscentral',
    ]);
    expect(show(m.bootstrap.rim)).toEqual([
      'C:\\Program Files\\Qlik\\Sense\\Proxy\\Proxy.exe -bootstrap=install',
      'C:\\Program Files\\Qlik\\Sense\\Scheduler\\Scheduler.exe -bootstrap=install',
      'C:\\Program Files\\Qlik\\Sense\\Repository\\Repository.exe -bootstrap',
    ]);
  });

  it('has the database, ports, sync tables and groups of product-facts.md', () => {
    expect(m.database).toMatchObject({ name: 'QSR', ownerRole: 'qliksenserepository', localOwnerRole: 'postgres', defaultPort: 4432 });
    const ports = m.services.flatMap((s) => s.ports);
    for (const p of [4242, 4239, 443, 4244, 4747, 4444, 4570, 5050, 5151, 4899, 9028, 4900, 4949]) expect(ports).toContain(p);
    expect(m.syncTables).toEqual([
      'AppAvailabilities',
      'SyncSessions',
      'BinaryDownloadProperties',
      'BinaryDownloads',
      'BinaryDeleteProperties',
      'BinaryDeletes',
      'BinarySyncRuleEvaluations',
    ]);
    expect(m.serviceUsersGroup).toBe('Qlik Sense Service Users');
    expect(m.extraGroups).toEqual(['Performance Monitor Users']);
    expect(m.folder).toBe('Qlik\\Sense');
    expect(m.repositoryConfigFile).toBe('Repository\\Repository.exe.config');
    expect(m.mediaDir).toBeUndefined();
  });

  it('renders the shared persistence settings as escaped XML without secrets', () => {
    const xml = renderQlikSenseConfig({
      hostname: 'node1',
      isCentral: true,
      installDir: 'C:\\Program Files\\Qlik\\Sense',
      dataDir: 'C:\\ProgramData\\Qlik\\Sense',
      share: { root: '\\\\srv\\Q&A <share>', apps: 'a', archivedLogs: 'b', customData: 'c', staticContent: 'd' },
    });
    expect(xml).toContain('<add key="SharedPersistence" value="true" />');
    expect(xml).toContain('<add key="IsCentral" value="true" />');
    expect(xml).toContain('value="\\\\srv\\Q&amp;A &lt;share&gt;"');
    expect(xml).not.toMatch(/password/i);
  });
});
