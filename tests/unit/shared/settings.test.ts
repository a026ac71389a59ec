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

describe('share.local: a share that lives on this node (Windows)', () => {
  const windows = { ...valid, database: { install: 'existing', host: 'dbserver', password: 'p' }, hostname: 'qlik1.example.com' };
  const withShare = (root: string, local: Record<string, unknown>, hostname = 'qlik1.example.com') => parseSettings({ ...windows, hostname, share: { root, local } });

  it('accepts the root as \\\\<this host>\\<name>, by full or short name in any case, encryption off unless asked', () => {
    for (const root of ['\\\\qlik1.example.com\\QlikShare', '\\\\QLIK1\\QlikShare', '\\\\Qlik1\\QlikShare\\']) {
      const r = withShare(root, { path: 'C:\\QlikShare' });
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.settings.share.local).toEqual({ path: 'C:\\QlikShare', encrypt: false });
    }
    const r = withShare('\\\\10.0.0.5\\QlikShare', { path: 'd:\\Shares\\Qlik', encrypt: true }, '10.0.0.5');
    expect(r.ok && r.settings.share.local).toEqual({ path: 'd:\\Shares\\Qlik', encrypt: true });
  });

  it.each([
    ['share.local.path', '\\\\qlik1\\QlikShare', { path: '\\\\qlik1\\QlikShare' }],
    ['share.local.path', '\\\\qlik1\\QlikShare', { path: 'QlikShare' }],
    ['share.local.path', '\\\\qlik1\\QlikShare', { path: 'C:\\Qlik|Share' }],
    ['share.local.encrypt', '\\\\qlik1\\QlikShare', { path: 'C:\\QlikShare', encrypt: 'yes' }],
    ['share.local.other', '\\\\qlik1\\QlikShare', { path: 'C:\\QlikShare', other: 1 }],
  ])('names %s when it is invalid', (field, root, local) => {
    const r = withShare(root, local);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.path)).toContain(field === 'share.local.other' ? 'share.local' : field);
  });

  it.each([
    ['another host', '\\\\fileserver\\QlikShare'],
    ['a host that only starts like this one', '\\\\qlik1x\\QlikShare'],
    ['a sub folder of a share', '\\\\qlik1\\QlikShare\\Apps'],
    ['a drive path', 'C:\\QlikShare'],
    ['a share name Windows forbids', '\\\\qlik1\\Qlik;Share'],
  ])('refuses %s as the root of a local share, naming share.root and this host', (_what, root) => {
    const r = withShare(root, { path: 'C:\\QlikShare' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const issue = r.issues.find((i) => i.path === 'share.root');
    expect(issue?.message).toBe('a share on this node must be the root as \\\\qlik1.example.com\\<share name>');
  });

  it('leaves a share on another server alone when share.local is not set', () => {
    const r = parseSettings({ ...windows, share: { root: '\\\\fileserver\\QlikShare' } });
    expect(r.ok && r.settings.share.local).toBeUndefined();
  });
});
