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
});
