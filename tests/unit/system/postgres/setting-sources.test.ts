import { describe, expect, it } from 'vitest';
import { describeTarget, sameSettingValue, settingTargets, type SettingSource, type SettingsFacts } from '../../../../electron/system/postgres/setting-sources.js';

const conf = '/etc/postgresql/15/main/postgresql.conf';
const data = '/var/lib/postgresql/15/main';

function source(name: string, setting: string, rows: [file: string, line: number, value: string][] = [], extra: Partial<SettingSource> = {}): SettingSource {
  return {
    name,
    setting,
    source: rows.length ? 'configuration file' : 'default',
    sourcefile: rows.at(-1)?.[0] ?? null,
    sourceline: rows.at(-1)?.[1] ?? null,
    context: 'postmaster',
    pendingRestart: false,
    fileRows: rows.map(([sourcefile, sourceline, value], i) => ({ sourcefile, sourceline, seqno: i + 1, setting: value, applied: i === rows.length - 1, error: null })),
    ...extra,
  };
}

const facts = (...sources: SettingSource[]): SettingsFacts => ({ configFile: conf, dataDir: data, sources: Object.fromEntries(sources.map((s) => [s.name, s])), fileErrors: [] });

describe('where a setting takes effect', () => {
  it('a value in effect needs nothing; a list compares without spaces', () => {
    const f = facts(source('listen_addresses', '127.0.0.1, 10.0.0.1', [[conf, 60, '127.0.0.1, 10.0.0.1']]));
    expect(settingTargets(f, { listen_addresses: '127.0.0.1,10.0.0.1' })[0]!.target).toEqual({ kind: 'in-effect' });
    expect(sameSettingValue('max_connections', '100', ' 100')).toBe(false);
  });

  it('the last line wins: postgresql.auto.conf means ALTER SYSTEM, an include means that file, nothing means postgresql.conf', () => {
    const f = facts(
      source('listen_addresses', 'localhost', [[conf, 60, '*'], [`${data}/postgresql.auto.conf`, 3, 'localhost']]),
      source('max_connections', '50', [[conf, 65, '100'], ['/etc/postgresql/15/main/conf.d/10-admin.conf', 2, '50']]),
      source('port', '5432'),
    );
    const t = settingTargets(f, { listen_addresses: '*', max_connections: '300', port: '5433' });
    expect(t.map((c) => c.target)).toEqual([
      { kind: 'alter-system', previous: 'localhost' },
      { kind: 'file', path: '/etc/postgresql/15/main/conf.d/10-admin.conf', line: 2 },
      { kind: 'file', path: conf },
    ]);
    expect(describeTarget(t[1]!, f)).toBe('max_connections = 300 in /etc/postgresql/15/main/conf.d/10-admin.conf (line 2 there holds the value in effect, 50, and overrides postgresql.conf)');
  });

  it('a value the files already hold but the server does not use yet waits for a restart', () => {
    const f = facts(source('max_connections', '100', [[conf, 65, '300']], { pendingRestart: true }));
    expect(settingTargets(f, { max_connections: '300' })[0]!.target).toEqual({ kind: 'restart' });
  });

  it('the command line and unknown settings are refused with the reason', () => {
    const f = facts(source('max_connections', '40', [[conf, 65, '100']], { source: 'command line' }));
    const [c] = settingTargets(f, { max_connections: '300' });
    expect(c!.target.kind).toBe('refused');
    expect(describeTarget(c!, f)).toMatch(/^max_connections: max_connections = 40 comes from the command line/);
    expect(settingTargets(f, { no_such: '1' })[0]!.target).toEqual({ kind: 'refused', reason: 'no_such is not a setting of this server' });
  });
});
