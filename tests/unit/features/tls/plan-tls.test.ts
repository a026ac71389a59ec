import { describe, expect, it } from 'vitest';
import { resolveLayout } from '../../../../electron/features/installer/layout.js';
import { hbaRules, planInstall } from '../../../../electron/features/installer/planner.js';
import { getManifest } from '../../../../electron/product/index.js';
import { parseSettings, type Settings } from '../../../../electron/shared/settings.js';

function settings(database: Record<string, unknown> = {}, rest: Record<string, unknown> = {}): Settings {
  const r = parseSettings({
    product: 'reference',
    cluster: { mode: 'create' },
    database: { install: 'local', host: 'node1.example.com', password: { env: 'DBPW' }, superuserPassword: 'su', listener: { listenAddresses: ['*'], ipRanges: ['10.1.2.0/24'], maxConnections: 200 }, ...database },
    share: { root: '/srv/share' },
    serviceAccount: { user: 'spsvc' },
    hostname: 'node1.example.com',
    plannedNodes: 2,
    installDir: '/opt/ref',
    dataDir: '/var/lib/ref',
    stateDir: '/var/lib/spsetup',
    ...rest,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.settings;
}

const plan = (s: Settings) => {
  const layout = resolveLayout(s, getManifest(s.product), 'linux', '/usr/bin/node');
  return { layout, plan: planInstall({ settings: s, layout, nodeExecutable: '/usr/bin/node', databaseMediaDir: '/media/pg', repositoryHost: s.database.host, spsetupEntry: '/opt/spsetup/bin/spsetup.js' }) };
};

describe('TLS in the install plan', () => {
  it('verify-full with a local database: certificate before the settings, SSL settings, CA copied for the node, VerifyFull with the Root Certificate', () => {
    const { plan: p, layout } = plan(settings({ ssl: 'verify-full' }));
    const ids = p.steps.map((s) => s.id);
    expect(ids.indexOf('database-cluster')).toBeLessThan(ids.indexOf('database-certificate'));
    expect(ids.indexOf('database-certificate')).toBeLessThan(ids.indexOf('database-settings'));
    expect(ids.indexOf('database-ca')).toBeLessThan(ids.indexOf('connection-string'));
    const cert = p.steps.find((s) => s.id === 'database-certificate')!.params;
    expect(cert).toEqual({
      certPath: `${layout.localDb!.dataDir}/server.pem`,
      keyPath: `${layout.localDb!.dataDir}/server_key.pem`,
      osUser: 'spsvc',
      names: ['node1.example.com'],
      source: { kind: 'site-ca', caDir: '/var/lib/spsetup/tls', siteName: 'node1.example.com' },
    });
    expect(p.steps.find((s) => s.id === 'database-settings')!.params['settings']).toEqual({
      listen_addresses: '*',
      port: '4432',
      max_connections: '200',
      ssl: 'on',
      ssl_cert_file: 'server.pem',
      ssl_key_file: 'server_key.pem',
      ssl_min_protocol_version: 'TLSv1.2',
    });
    expect(p.steps.find((s) => s.id === 'database-ca')!.params).toEqual({ source: '/var/lib/spsetup/tls/ca.pem', target: '/var/lib/ref/database-ca.pem', owner: 'spsvc', madeBy: 'database-certificate' });
    expect((p.steps.find((s) => s.id === 'connection-string')!.params['fields'] as Record<string, unknown>)['sslMode']).toBe('VerifyFull');
    expect((p.steps.find((s) => s.id === 'connection-string')!.params['fields'] as Record<string, unknown>)['rootCertificate']).toBe('/var/lib/ref/database-ca.pem');
    expect((p.steps.find((s) => s.id === 'database-owner')!.params as Record<string, unknown>)['roleSsl']).toBe('require');
    expect((p.steps.find((s) => s.id === 'bootstrap')!.params['repository'] as Record<string, unknown>)['caFile']).toBe('/var/lib/ref/database-ca.pem');
  });

  it('require: hostssl for the ranges and hostnossl reject for the repository role everywhere; the guide\'s Ssl Mode=Require; no CA step', () => {
    const s = settings({ ssl: 'require' });
    expect(hbaRules(s)).toEqual([
      { type: 'host', database: 'all', user: 'postgres', address: '127.0.0.1/32', method: 'scram-sha-256', keywords: ['database'] },
      { type: 'hostssl', database: 'QSR', user: 'qliksenserepository', address: '10.1.2.0/24', method: 'scram-sha-256' },
      { type: 'hostnossl', database: 'all', user: 'qliksenserepository', address: '0.0.0.0/0', method: 'reject', keywords: ['database'] },
      { type: 'hostnossl', database: 'all', user: 'qliksenserepository', address: '::/0', method: 'reject', keywords: ['database'] },
    ]);
    expect(hbaRules(s, { keepPlain: true }), 'while a running site switches: both, no reject').toEqual([
      { type: 'host', database: 'all', user: 'postgres', address: '127.0.0.1/32', method: 'scram-sha-256', keywords: ['database'] },
      { type: 'hostssl', database: 'QSR', user: 'qliksenserepository', address: '10.1.2.0/24', method: 'scram-sha-256' },
      { type: 'host', database: 'QSR', user: 'qliksenserepository', address: '10.1.2.0/24', method: 'scram-sha-256' },
    ]);
    const { plan: p } = plan(s);
    expect(p.steps.map((x) => x.id)).not.toContain('database-ca');
    expect((p.steps.find((x) => x.id === 'connection-string')!.params['fields'] as Record<string, unknown>)['sslMode']).toBe('Require');
  });

  it('uses the given certificate and key, and the given CA for a joining node', () => {
    const { plan: p } = plan(settings({ ssl: 'verify-full', tls: { certFile: '/root/server.pem', keyFile: '/root/server_key.pem', caFile: '/root/ca.pem', names: ['db.example.com'] } }));
    const cert = p.steps.find((s) => s.id === 'database-certificate')!.params;
    expect(cert['source']).toEqual({ kind: 'provided', certFile: '/root/server.pem', keyFile: '/root/server_key.pem', caFile: '/root/ca.pem' });
    expect(cert['names']).toEqual(['node1.example.com', 'db.example.com']);
    const join = plan(settings({ install: 'existing', ssl: 'verify-full', tls: { caFile: '/root/ca.pem' }, superuserPassword: undefined }, { cluster: { mode: 'join' } })).plan;
    expect(join.steps.map((s) => s.id)).not.toContain('database-certificate');
    expect(join.steps.find((s) => s.id === 'database-ca')!.params).toEqual({ source: '/root/ca.pem', target: '/var/lib/ref/database-ca.pem', owner: 'spsvc' });
  });

  it('a joining node given the CA as text (a bundle\'s) writes it to its data folder and names it in Root Certificate', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const join = plan(settings({ install: 'existing', ssl: 'verify-full', tls: { ca: pem }, superuserPassword: undefined }, { cluster: { mode: 'join' } })).plan;
    expect(join.steps.find((s) => s.id === 'database-ca')!.params).toEqual({ source: { pem }, target: '/var/lib/ref/database-ca.pem', owner: 'spsvc' });
    expect(join.steps.find((s) => s.id === 'connection-string')!.params['fields']).toMatchObject({ sslMode: 'VerifyFull', rootCertificate: '/var/lib/ref/database-ca.pem' });
  });

  it('settings refuse a certificate without its key, and certificates with SSL off', () => {
    const bad = (database: Record<string, unknown>) => {
      const r = parseSettings({ product: 'reference', cluster: { mode: 'join' }, database: { install: 'existing', host: 'db', password: 'p', ...database }, share: { root: '/srv/s' }, serviceAccount: { user: 'u' }, hostname: 'n', plannedNodes: 1 });
      return r.ok ? [] : r.issues.map((i) => i.message);
    };
    expect(bad({ ssl: 'require', tls: { certFile: '/a.pem' } })).toEqual(['a server certificate and its key go together: give both certFile and keyFile']);
    expect(bad({ tls: { caFile: '/ca.pem' } })).toEqual(['certificates were given but database.ssl is "disable": set it to "require" or "verify-full"']);
    expect(bad({ ssl: 'verify-full', tls: { caFile: '/ca.pem' } })).toEqual([]);
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    expect(bad({ ssl: 'verify-full', tls: { caFile: '/ca.pem', ca: pem } })).toEqual(['the CA is given twice: give caFile or ca, not both']);
    expect(bad({ ssl: 'verify-full', tls: { ca: 'not a certificate' } })).toEqual(['not a PEM certificate (-----BEGIN CERTIFICATE----- ...)']);
    expect(bad({ ssl: 'verify-full', tls: { ca: `${pem}\u0000` } })).toContain('contains a line break or NUL character, which cannot be written to a file or command line: remove it');
  });
});
