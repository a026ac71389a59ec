import { describe, expect, it } from 'vitest';
import { defaultPaths, isCidr, parseSettings, shareFolders } from '../../../electron/shared/settings.js';

const valid = {
  product: 'reference',
  cluster: { mode: 'create' },
  database: { install: 'local', host: 'node1.example.com', password: 'p', superuserPassword: { env: 'PGSU' }, listener: { listenAddresses: ['*'], ipRanges: ['10.1.2.0/24'], maxConnections: 300 } },
  share: { root: '/srv/share' },
  serviceAccount: { user: 'spsvc' },
  hostname: 'node1.example.com',
  plannedNodes: 3,
};

describe('settings schema', () => {
  it('fills the documented defaults', () => {
    const r = parseSettings(valid);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.settings.database.port).toBe(4432);
    expect(r.settings.database.user).toBe('qliksenserepository');
    expect(r.settings.database.name).toBe('QSR');
    expect(r.settings.startServices).toBe(true);
    expect(r.settings.serviceAccount.isAdministrator).toBe(false);
  });

  it.each([
    ['plannedNodes', { ...valid, plannedNodes: 9 }],
    ['database.port', { ...valid, database: { ...valid.database, port: 70000 } }],
    ['database.listener.ipRanges.0', { ...valid, database: { ...valid.database, listener: { ...valid.database.listener, ipRanges: ['10.1.2.0/33'] } } }],
    ['database.listener.maxConnections', { ...valid, database: { ...valid.database, listener: { ...valid.database.listener, maxConnections: 200 } } }],
    ['database.superuserPassword', { ...valid, database: { ...valid.database, superuserPassword: undefined } }],
    ['database.install', { ...valid, cluster: { mode: 'join' } }],
    ['hostname', { ...valid, hostname: 'not a host' }],
    ['database.passwordConfirm', { ...valid, database: { ...valid.database, passwordConfirm: 'other' } }],
    ['database.password.env', { ...valid, database: { ...valid.database, password: { env: '1BAD' } } }],
  ])('names %s when it is invalid', (field, input) => {
    const r = parseSettings(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.path)).toContain(field);
  });

  it('refuses an unknown field, naming it', () => {
    const r = parseSettings({ ...valid, surplus: true });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0]?.message).toMatch(/surplus/);
  });

  it('derives the share sub folders from the root unless given, per platform', () => {
    expect(shareFolders({ root: '\\\\srv\\QlikShare' }, 'win32').apps).toBe('\\\\srv\\QlikShare\\Apps');
    expect(shareFolders({ root: '/srv/share/', customData: '/data/custom' }, 'linux')).toEqual({
      root: '/srv/share/',
      apps: '/srv/share/Apps',
      archivedLogs: '/srv/share/ArchivedLogs',
      customData: '/data/custom',
      staticContent: '/srv/share/StaticContent',
    });
  });

  it('uses the guide\'s Windows locations and /opt, /var/lib on Linux', () => {
    expect(defaultPaths('win32', 'Qlik\\Sense')).toMatchObject({ installDir: 'C:\\Program Files\\Qlik\\Sense', dataDir: 'C:\\ProgramData\\Qlik\\Sense' });
    expect(defaultPaths('linux', 'Qlik\\Sense')).toMatchObject({ installDir: '/opt/qlik-sense', dataDir: '/var/lib/qlik-sense' });
  });

  it('recognises CIDR ranges', () => {
    for (const ok of ['10.0.0.0/8', '0.0.0.0/0', '192.168.1.7/32', '::/0', 'fe80::/64']) expect(isCidr(ok)).toBe(true);
    for (const bad of ['10.0.0.0', '10.0.0.0/33', '300.0.0.0/8', 'host/24', '::/129', '10.0.0.0/8/1']) expect(isCidr(bad)).toBe(false);
  });
});
