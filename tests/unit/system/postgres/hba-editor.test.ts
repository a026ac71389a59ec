import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../../electron/shared/errors.js';
import {
  HBA_BLOCK_BEGIN,
  HBA_BLOCK_END,
  ensureHbaRules,
  formatHbaRule,
  findMatchingRule,
  isClientAllowed,
  parseHba,
  ruleForClient,
} from '../../../../electron/system/postgres/hba-editor.js';
import type { HbaClient, HbaRecord, HbaRule } from '../../../../electron/system/postgres/hba-editor.js';
import { unifiedDiff } from '../../../../electron/system/text-diff.js';

const template = readFileSync(new URL('../../../fixtures/postgres/pg_hba.conf.sample', import.meta.url), 'utf8');
const sample = readFileSync(new URL('../../../fixtures/postgres/pg_hba.conf.initdb15', import.meta.url), 'utf8');
const changedLines = (d: string) => d.split('\n').filter((l) => /^[-+](?![-+]{2} )/.test(l));
const rules: HbaRule[] = [
  { type: 'host', database: 'QSR', user: 'qliksenserepository', address: '10.250.1.0/24', method: 'scram-sha-256' },
  { type: 'host', database: 'QSR', user: 'qliksenserepository', address: 'fd00::/64', method: 'scram-sha-256' },
];
const client = (address: string, extra: Partial<HbaClient> = {}): HbaClient => ({ address, database: 'QSR', user: 'qliksenserepository', ssl: false, localAddresses: [], ...extra });

describe('pg_hba.conf parser', () => {
  it("flags exactly the template's initdb placeholders, and ensureHbaRules refuses such a file", () => {
    expect(parseHba(template).flatMap((e) => (e.kind === 'invalid' ? [e.line] : []))).toEqual([80, 84, 85, 92]);
    expect(() => ensureHbaRules(template, rules)).toThrow(/line 80 cannot be read/);
  });

  it('reads the PostgreSQL 15 sample records', () => {
    const entries = parseHba(sample);
    expect(entries.filter((e) => e.kind === 'invalid')).toEqual([]);
    const recs = entries.filter((e): e is HbaRecord => e.kind === 'record');
    expect(recs.map((r) => [r.type, r.address ?? '-'])).toEqual([
      ['local', '-'], ['host', '127.0.0.1/32'], ['host', '::1/128'], ['local', '-'], ['host', '127.0.0.1/32'], ['host', '::1/128'],
    ]);
    expect(recs[1]!.line).toBe(87);
  });

  it('reads quoted fields, comma lists, address+mask, options, continuations and includes', () => {
    const text = [
      'host "my db","x""y" alice,+admins 192.168.0.0 255.255.0.0 ldap ldapserver=ldap.example.net # c',
      'hostssl all all \\',
      '   10.0.0.0/8 cert clientcert=verify-full',
      'include_dir conf.d',
      '',
    ].join('\n');
    const entries = parseHba(text);
    expect(entries).toHaveLength(3);
    const [a, b, c] = entries as [HbaRecord, HbaRecord, { kind: string; path: string; line: number }];
    expect(a.database).toEqual([{ value: 'my db', quoted: true }, { value: 'x"y', quoted: true }]);
    expect(a.user.map((u) => u.value)).toEqual(['alice', '+admins']);
    expect([a.address, a.mask, a.method, a.options]).toEqual(['192.168.0.0', '255.255.0.0', 'ldap', ['ldapserver=ldap.example.net']]);
    expect([b.type, b.address, b.method, b.line]).toEqual(['hostssl', '10.0.0.0/8', 'cert', 2]);
    expect([c.kind, c.path, c.line]).toEqual(['include', 'conf.d', 4]);
  });
});

describe('ensureHbaRules', () => {
  it('puts our block before the first host rule, adding lines only, and is idempotent', () => {
    const r = ensureHbaRules(sample, rules);
    expect(r.changed).toBe(true);
    const added = changedLines(unifiedDiff('pg_hba.conf', sample, r.text));
    expect(added.every((l) => l.startsWith('+'))).toBe(true);
    expect(added).toHaveLength(4);
    const lines = r.text.split('\n');
    expect(lines[86]).toBe(HBA_BLOCK_BEGIN);
    expect(lines[87]).toMatch(/^host\s+QSR\s+qliksenserepository\s+10\.250\.1\.0\/24\s+scram-sha-256$/);
    expect(lines[89]).toBe(HBA_BLOCK_END);
    expect(lines[90]).toMatch(/^host\s+all\s+all\s+127\.0\.0\.1\/32/);
    const again = ensureHbaRules(r.text, rules);
    expect(again).toEqual({ text: r.text, changed: false });
  });

  it('replaces the block when the rules differ, touching only the block', () => {
    const first = ensureHbaRules(sample, rules).text;
    const second = ensureHbaRules(first, [{ ...rules[0]!, address: '10.250.2.0/24' }]);
    expect(changedLines(unifiedDiff('pg_hba.conf', first, second.text)).sort()).toEqual(
      ['-host    QSR             qliksenserepository 10.250.1.0/24           scram-sha-256', '-host    QSR             qliksenserepository fd00::/64               scram-sha-256', '+host    QSR             qliksenserepository 10.250.2.0/24           scram-sha-256'].sort(),
    );
    expect(ensureHbaRules(second.text, []).text).toBe(sample);
  });

  it('moves our block above a host rule an administrator put before it, so it is never shadowed', () => {
    const withOurs = ensureHbaRules('local all all peer\n', rules).text;
    const edited = 'host all all 0.0.0.0/0 reject\n' + withOurs;
    expect(findMatchingRule(parseHba(edited), client('10.250.1.7'))?.method).toBe('reject');
    const fixed = ensureHbaRules(edited, rules).text;
    expect(fixed.split('\n')[0]).toBe(HBA_BLOCK_BEGIN);
    expect(findMatchingRule(parseHba(fixed), client('10.250.1.7'))?.method).toBe('scram-sha-256');
  });

  it('quotes names that need it and places the block before an include', () => {
    const r = ensureHbaRules('local all all peer\ninclude extra.conf\n', [{ type: 'host', database: 'my db', user: 'u', address: '10.250.0.1/32', method: 'md5' }]);
    expect(r.text.split('\n')[2]).toMatch(/^host\s+"my db"\s+u\s+10\.250\.0\.1\/32\s+md5$/);
    expect(r.text.split('\n')[4]).toBe('include extra.conf');
    const rec = parseHba(r.text).find((e) => e.kind === 'record' && e.type === 'host') as HbaRecord;
    expect(rec.database).toEqual([{ value: 'my db', quoted: true }]);
  });

  it('quotes role and database names that are pg_hba keywords or start with + or @ (issue 11, attack 8)', () => {
    for (const name of ['all', 'sameuser', 'samerole', 'samegroup', 'replication', '+admins', '@names']) {
      const line = formatHbaRule({ type: 'host', database: name, user: name, address: '10.250.0.1/32', method: 'scram-sha-256' });
      expect(line.split(/\s+/).slice(1, 3)).toEqual([`"${name}"`, `"${name}"`]);
      const rec = parseHba(`${line}\n`)[0] as HbaRecord;
      expect(rec.user).toEqual([{ value: name, quoted: true }]);
    }
    expect(formatHbaRule({ type: 'host', database: 'spdb', user: 'spuser', address: '10.250.0.1/32', method: 'md5' })).toMatch(/^host\s+spdb\s+spuser\s/);
  });

  it("writes our own keyword rules unquoted (hostnossl all ... reject matches every database; issue 15)", () => {
    const line = formatHbaRule({ type: 'hostnossl', database: 'all', user: 'qsr', address: '0.0.0.0/0', method: 'reject', keywords: ['database'] });
    expect(line).toMatch(/^hostnossl all\s+qsr\s/);
    expect((parseHba(`${line}\n`)[0] as HbaRecord).database).toEqual([{ value: 'all', quoted: false }]);
  });

  it('refuses bad rules and unreadable files with a clear error', () => {
    for (const bad of [
      { ...rules[0]!, address: '10.0.0.0/33' },
      { ...rules[0]!, address: 'nodes.example.com' },
      { ...rules[0]!, method: 'letmein' },
      { ...rules[0]!, user: 'a\nhost all all 0.0.0.0/0 trust' },
      { ...rules[0]!, user: '/^.*$' }, // a regular expression to PostgreSQL 16+, quoted or not
    ]) {
      expect(() => ensureHbaRules(sample, [bad])).toThrow(UserError);
    }
    expect(() => ensureHbaRules('host all "open 1.2.3.4/32 md5\n', rules)).toThrow(/no closing quote/);
    expect(() => ensureHbaRules(`${HBA_BLOCK_BEGIN}\nhost all all 1.2.3.4/32 md5\n`, rules)).toThrow(/end marker/);
  });
});

describe('findMatchingRule', () => {
  const text = [
    'local all all peer',
    'hostssl QSR all 10.1.0.0/16 scram-sha-256',
    'host QSR bob 10.2.0.0/16 reject',
    'host QSR all 10.2.0.0 255.255.0.0 md5',
    'host "all" all 10.3.0.0/16 md5',
    'host all all fd00::/64 scram-sha-256',
    'host sameuser all samenet md5',
    'host all all samehost trust',
  ].join('\n');
  const entries = parseHba(text);
  const line = (c: HbaClient) => findMatchingRule(entries, c)?.line;

  it('honours the type, SSL, names, CIDR and masks with first match', () => {
    expect(line(client('10.1.2.3'))).toBeUndefined();
    expect(line(client('10.1.2.3', { ssl: true }))).toBe(2);
    expect(line(client('10.2.9.9', { user: 'bob' }))).toBe(3);
    expect(isClientAllowed(entries, client('10.2.9.9', { user: 'bob' }))).toBe(false);
    expect(line(client('10.2.9.9'))).toBe(4);
    expect(line(client('10.3.0.1'))).toBeUndefined();
    expect(line(client('10.3.0.1', { database: 'all' }))).toBe(5);
    expect(line(client('fd00::12'))).toBe(6);
    expect(line(client('fd01::12'))).toBeUndefined();
    expect(line(client('::ffff:10.2.0.1'))).toBe(4);
  });

  it('evaluates samenet and samehost against the server addresses', () => {
    const localAddresses = [{ address: '192.168.5.10', cidr: '192.168.5.10/24' }];
    expect(line(client('192.168.5.77', { database: 'u', user: 'u', localAddresses }))).toBe(7);
    expect(line(client('192.168.5.10', { localAddresses }))).toBe(8);
    expect(line(client('192.168.6.1', { localAddresses }))).toBeUndefined();
  });

  it('suggests the rule to add for a node that is not allowed', () => {
    expect(ruleForClient(client('10.9.9.9'))).toEqual({ type: 'host', database: 'QSR', user: 'qliksenserepository', address: '10.9.9.9/32', method: 'scram-sha-256' });
    expect(ruleForClient(client('fd00::1', { ssl: true }), 'md5').address).toBe('fd00::1/128');
    expect(() => findMatchingRule(entries, client('not-an-ip'))).toThrow(/not an IP address/);
  });
});
