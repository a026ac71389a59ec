/**
 * Issue 13: values that would break a file, a command line or an uninstall are refused with the
 * field named: relative and `..` paths, folders inside each other, line breaks and NUL, listen
 * addresses that are not *, a host name or an IP, and CIDRs with host bits.
 */
import { describe, expect, it } from 'vitest';
import { parseSettings } from '../../../electron/shared/settings.js';

const valid = {
  product: 'reference',
  cluster: { mode: 'create' },
  database: { install: 'local', host: 'node1.example.com', password: 'p', superuserPassword: 's', listener: { listenAddresses: ['*'], ipRanges: ['10.1.2.0/24'], maxConnections: 300 } },
  share: { root: '/srv/share' },
  serviceAccount: { user: 'spsvc' },
  hostname: 'node1.example.com',
  plannedNodes: 3,
  installDir: '/opt/ref',
  dataDir: '/var/lib/ref',
  stateDir: '/var/lib/spsetup',
};

function issuesOf(input: unknown): Record<string, string> {
  const r = parseSettings(input);
  if (r.ok) return {};
  return Object.fromEntries(r.issues.map((i) => [i.path, i.message]));
}

const listener = (over: Record<string, unknown>) => ({ ...valid, database: { ...valid.database, listener: { ...valid.database.listener, ...over } } });

describe('settings paths', () => {
  it('accepts absolute POSIX, drive and UNC paths', () => {
    expect(issuesOf(valid)).toEqual({});
    expect(issuesOf({ ...valid, installDir: 'C:\\Program Files\\Ref', dataDir: 'D:/ProgramData/Ref', share: { root: '\\\\fs1\\QlikShare' } })).toEqual({});
  });

  it.each([
    ['installDir', { installDir: 'opt/ref' }],
    ['dataDir', { dataDir: './data' }],
    ['stateDir', { stateDir: 'C:state' }],
    ['share.root', { share: { root: 'share' } }],
    ['share.apps', { share: { root: '/srv/share', apps: 'Apps' } }],
    ['services.runitDir', { services: { manager: 'runit', runitDir: 'service' } }],
  ])('refuses a relative %s', (field, over) => {
    expect(issuesOf({ ...valid, ...over })[field]).toMatch(/must be an absolute path/);
  });

  it.each([
    ['installDir', { installDir: '/opt/ref/../../etc' }],
    ['share.root', { share: { root: '\\\\fs1\\QlikShare\\..\\Other' } }],
    ['share.customData', { share: { root: '/srv/share', customData: '/srv/share/../custom' } }],
  ])('refuses ".." in %s', (field, over) => {
    expect(issuesOf({ ...valid, ...over })[field]).toMatch(/must not contain "\.\."/);
  });

  it('refuses the share inside the installation folder (uninstall would delete it)', () => {
    expect(issuesOf({ ...valid, share: { root: '/opt/ref/share' } })['share.root']).toBe(
      '/opt/ref/share (share.root) lies inside /opt/ref (installDir): removing one would delete the other; choose separate folders',
    );
  });

  it('refuses the data folder equal to the installation folder (uninstall would delete the live database)', () => {
    expect(issuesOf({ ...valid, dataDir: '/opt/ref/' })['installDir']).toBe('/opt/ref (installDir) is the same folder as /opt/ref/ (dataDir): removing one would delete the other; choose separate folders');
  });

  it.each([
    ['installDir', { installDir: '/var/lib/ref/opt' }, 'dataDir'],
    ['stateDir', { stateDir: '/opt/ref/state' }, 'installDir'],
    ['dataDir', { dataDir: '/srv/share/data' }, 'share.root'],
    ['share.apps', { share: { root: '/srv/share', apps: '/var/lib/ref/Apps' } }, 'dataDir'],
    ['services.runitDir', { services: { manager: 'runit', runitDir: '/opt/ref/service' } }, 'installDir'],
    ['dataDir', { installDir: 'C:\\Qlik', dataDir: 'c:/qlik/Data' }, 'installDir'],
  ])('refuses %s inside another folder, naming both', (field, over, outer) => {
    expect(issuesOf({ ...valid, ...over })[field]).toMatch(new RegExp(`lies inside .* \\(${outer.replace('.', '\\.')}\\)`));
  });

  it('lets the share sub folders lie in the share root, and siblings share a prefix', () => {
    expect(issuesOf({ ...valid, share: { root: '/srv/share', apps: '/srv/share/Apps' }, installDir: '/opt/refx', dataDir: '/opt/ref' })).toEqual({});
  });
});

describe('control characters', () => {
  it.each([
    ['database.superuserPassword', { database: { ...valid.database, superuserPassword: 'first\nsecond' } }],
    ['database.password', { database: { ...valid.database, password: 'a\u0000b' } }],
    ['database.password.file', { database: { ...valid.database, password: { file: '/run/pw\r' } } }],
    ['serviceAccount.password', { serviceAccount: { user: 'spsvc', password: 'x\ry' } }],
    ['share.root', { share: { root: '/srv/sh\nare' } }],
    ['database.name', { database: { ...valid.database, name: 'Q\nSR' } }],
  ])('refuses a line break or NUL in %s', (field, over) => {
    expect(issuesOf({ ...valid, ...over })[field]).toMatch(/line break or NUL/);
  });
});

describe('listener values', () => {
  it('accepts *, host names, IPv4 and IPv6 listen addresses', () => {
    expect(issuesOf(listener({ listenAddresses: ['*', 'localhost', 'db1.example.com', '10.0.0.5', '::1', 'fe80::1'] }))).toEqual({});
  });

  it.each(["10.0.0.5'", 'a b', '10.0.0.5,10.0.0.6', '1::2::3', '"*"'])('refuses the listen address %j', (address) => {
    expect(issuesOf(listener({ listenAddresses: [address] }))['database.listener.listenAddresses.0']).toBe('not a listen address: give *, a host name or an IP address');
  });

  it('refuses a CIDR with host bits, saying which network was meant', () => {
    expect(issuesOf(listener({ ipRanges: ['10.0.0.1/24'] }))['database.listener.ipRanges.0']).toBe('10.0.0.1/24 has host bits set: write the network 10.0.0.0/24, or 10.0.0.1/32 for that one address');
    expect(issuesOf(listener({ ipRanges: ['fd00::5/64'] }))['database.listener.ipRanges.0']).toBe('fd00::5/64 has host bits set: write the network fd00::/64, or fd00::5/128 for that one address');
  });

  // Issue 19 item 5: each kind of bad range says what is wrong and shows a valid one.
  it.each([
    ['foo', 'foo is not an IP range: write an address and a prefix length, such as 10.0.0.0/24 (a subnet) or 10.0.0.5/32 (one address)'],
    ['10.0.0.0/33', '10.0.0.0/33: the prefix length after the / must be 0 to 32 for an IPv4 address, such as 10.0.0.0/24'],
    ['fd00::/129', 'fd00::/129: the prefix length after the / must be 0 to 128 for an IPv6 address, such as fd00::/64'],
    ['10.0.0.5', '10.0.0.5 is one address, not a range: write 10.0.0.5/32 for that address alone, or its subnet such as 10.0.0.0/24'],
  ])('refuses the IP range %j saying why, with an example', (range, message) => {
    expect(issuesOf(listener({ ipRanges: [range] }))['database.listener.ipRanges.0']).toBe(message);
  });

  it('accepts networks, single hosts and everything', () => {
    expect(issuesOf(listener({ ipRanges: ['10.0.0.0/24', '10.0.0.1/32', '0.0.0.0/0', '::/0', 'fd00::/64', 'FD00:0::/64'] }))).toEqual({});
  });
});

describe('share sub folders (issue 11: a bundle or spc.cfg naming a system folder)', () => {
  it.each([
    ['apps', '/etc/cron.d'],
    ['archivedLogs', '/srv/other'],
    ['customData', '/srv/share'],
    ['staticContent', 'C:\\Windows\\System32'],
  ])('refuses share.%s = %s outside the share root', (field, path) => {
    expect(issuesOf({ ...valid, share: { root: '/srv/share', [field]: path } })[`share.${field}`]).toBe('must lie inside the share root /srv/share (spsetup gives these folders to the service account)');
  });

  it('accepts a sub folder on a separate network share, as the guide allows', () => {
    expect(issuesOf({ ...valid, share: { root: '\\\\fs1\\QlikShare', apps: '\\\\fs1\\QlikApps' } })).toEqual({});
  });
});
