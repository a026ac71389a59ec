import { describe, expect, it } from 'vitest';
import { accessRules, type DbServerFacts } from '../../../../electron/features/installer/db-prepare-facts.js';
import { parseSettings, type Settings } from '../../../../electron/shared/settings.js';

function settings(database: Record<string, unknown> = {}): Settings {
  const r = parseSettings({
    product: 'reference',
    cluster: { mode: 'create' },
    database: { install: 'existing', host: 'db1', password: 'pw', superuserPassword: 'su', listener: { listenAddresses: ['*'], ipRanges: ['10.1.2.0/24'], maxConnections: 200 }, ...database },
    share: { root: '/srv/share' },
    serviceAccount: { user: 'spsvc' },
    hostname: 'db1',
    plannedNodes: 2,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.settings;
}

const base: DbServerFacts = {
  version: '15.18',
  versionNum: 150018,
  configFile: '/d/postgresql.conf',
  hbaFile: '/d/pg_hba.conf',
  dataDir: '/d',
  binDir: '/usr/lib/postgresql/15/bin',
  owner: 'postgres',
  ssl: false,
  passwordEncryption: 'scram-sha-256',
  superuserVerifier: 'scram',
  roleVerifier: 'absent',
  rolePasswordMatches: false,
  hbaRules: [{ line: 1, type: 'host', database: ['all'], user: ['all'], address: '127.0.0.1', method: 'scram-sha-256', error: null }],
  adminSsl: 'disable',
};

describe('db prepare access rules', () => {
  it('scram-sha-256 host rules for the ranges, none for the superuser (it is connected through its own rule)', () => {
    expect(accessRules(settings(), base)).toEqual({ rules: [{ type: 'host', database: 'QSR', user: 'qliksenserepository', address: '10.1.2.0/24', method: 'scram-sha-256' }], notes: [] });
  });

  it('an md5 password is stored again as SCRAM, so the rules stay scram-sha-256, and the plan says so; md5 only before PostgreSQL 10', () => {
    const md5 = accessRules(settings(), { ...base, roleVerifier: 'md5', rolePasswordMatches: true, superuserVerifier: 'md5' });
    expect(md5.rules[0]!.method).toBe('scram-sha-256');
    expect(md5.notes.join(' ')).toMatch(/stored as md5: it is stored again as SCRAM-SHA-256 \(the same password\).*postgres is stored as md5; spsetup adds no rule for it/);
    expect(accessRules(settings(), { ...base, versionNum: 90624 }).rules[0]!.method).toBe('md5');
  });

  it('hostssl on a server that accepts only SSL, and when the settings ask for SSL', () => {
    const sslOnly = { ...base, ssl: true, hbaRules: [{ ...base.hbaRules[0]!, type: 'hostssl' }] };
    expect(accessRules(settings(), sslOnly).rules[0]!.type).toBe('hostssl');
    expect(accessRules(settings(), { ...base, ssl: true }).rules[0]!.type).toBe('host');
    // database.ssl: issue 15's rules, the role kept off plain connections.
    expect(accessRules(settings({ ssl: 'require' }), base).rules.map((r) => `${r.type} ${r.address} ${r.method}`)).toEqual(['hostssl 10.1.2.0/24 scram-sha-256', 'hostnossl 0.0.0.0/0 reject', 'hostnossl ::/0 reject']);
  });

  it('md5 on request: md5 rules (host and hostssl), the plan says how the password is stored and offers SCRAM; scramPassword takes the offer', () => {
    const md5 = accessRules(settings({ authMethod: 'md5' }), base);
    expect(md5.rules).toEqual([{ type: 'host', database: 'QSR', user: 'qliksenserepository', address: '10.1.2.0/24', method: 'md5' }]);
    expect(md5.notes.join(' ')).toMatch(/database\.authMethod md5 \(asked for, the guide's method\).*stored as md5\. To store it as SCRAM-SHA-256 instead.*set database\.scramPassword to true/);
    const kept = accessRules(settings({ authMethod: 'md5' }), { ...base, roleVerifier: 'md5', rolePasswordMatches: true });
    expect(kept.notes.join(' ')).toMatch(/its password is kept as md5\./);
    const taken = accessRules(settings({ authMethod: 'md5', scramPassword: true }), { ...base, roleVerifier: 'md5', rolePasswordMatches: true });
    expect(taken.rules[0]?.method).toBe('md5');
    expect(taken.notes.join(' ')).toMatch(/stored as SCRAM-SHA-256 \(database\.scramPassword\)/);
    const ssl = accessRules(settings({ authMethod: 'md5', ssl: 'require' }), base);
    expect(ssl.rules.filter((r) => r.type === 'hostssl').map((r) => r.method)).toEqual(['md5']);
    // The default stays scram-sha-256.
    expect(accessRules(settings(), base).rules.map((r) => r.method)).toEqual(['scram-sha-256']);
  });

  it('scramPassword without authMethod md5 is refused as a settings error', () => {
    const r = parseSettings({ product: 'reference', cluster: { mode: 'create' }, database: { install: 'existing', host: 'db1', password: 'pw', scramPassword: true }, share: { root: '/srv/share' }, serviceAccount: { user: 'spsvc' }, hostname: 'db1', plannedNodes: 1 });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([expect.stringMatching(/^database\.scramPassword: scramPassword is for authMethod "md5"/)]);
  });
});
