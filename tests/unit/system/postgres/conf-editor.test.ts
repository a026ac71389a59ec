import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../../electron/shared/errors.js';
import { formatConfValue, parseConf, readConfSetting, setConfSettings } from '../../../../electron/system/postgres/conf-editor.js';
import { unifiedDiff } from '../../../../electron/system/text-diff.js';

const sample = readFileSync(new URL('../../../fixtures/postgres/postgresql.conf.sample', import.meta.url), 'utf8');
const changedLines = (d: string) => d.split('\n').filter((l) => /^[-+](?![-+]{2} )/.test(l));

describe('postgresql.conf editor on the PostgreSQL 15 sample', () => {
  it('reads every line of the sample and leaves it byte for byte when nothing is set', () => {
    expect(parseConf(sample).filter((l) => l.kind === 'invalid')).toEqual([]);
    expect(setConfSettings(sample, {}).text).toBe(sample);
  });

  it('adds the three listener settings right after their commented lines, touching nothing else', () => {
    const r = setConfSettings(sample, { listen_addresses: '*', port: '4432', max_connections: '300' });
    expect(r.changed).toEqual(['listen_addresses', 'port', 'max_connections']);
    expect(changedLines(unifiedDiff('postgresql.conf', sample, r.text))).toEqual([
      "+listen_addresses = '*'",
      '+port = 4432',
      '+max_connections = 300',
    ]);
    const lines = r.text.split('\n');
    const i = lines.indexOf("listen_addresses = '*'");
    expect(lines[i - 1]).toMatch(/^#listen_addresses = 'localhost'/);
    expect(readConfSetting(r.text, 'listen_addresses')).toBe('*');
    expect(readConfSetting(r.text, 'PORT')).toBe('4432');
  });

  it('is idempotent: a second run changes nothing', () => {
    const once = setConfSettings(sample, { listen_addresses: '10.0.0.1,10.0.0.2', port: '4432' });
    const twice = setConfSettings(once.text, { listen_addresses: '10.0.0.1,10.0.0.2', port: '4432' });
    expect(twice.changed).toEqual([]);
    expect(twice.text).toBe(once.text);
  });
});

describe('postgresql.conf editor on hand-written files', () => {
  it('changes the last active occurrence in place and keeps its trailing comment', () => {
    const text = "port = 5432\n# other\nport 5433   # the real one\nshared_buffers = 128MB\n";
    const r = setConfSettings(text, { port: '4432' });
    expect(r.text).toBe("port = 5432\n# other\nport 4432   # the real one\nshared_buffers = 128MB\n");
    expect(readConfSetting(text, 'port')).toBe('5433');
  });

  it("reads and writes quoted values with '' and backslash escapes", () => {
    const text = "application_name = 'it''s \\'x\\''  # c\n";
    expect(readConfSetting(text, 'application_name')).toBe("it's 'x'");
    expect(formatConfValue("it's")).toBe("'it''s'");
    expect(formatConfValue('a\\b')).toBe("'a\\\\b'");
    expect(formatConfValue('300')).toBe('300');
    expect(formatConfValue('128MB')).toBe('128MB');
    expect(formatConfValue('*')).toBe("'*'");
    const r = setConfSettings(text, { application_name: "o'k" });
    expect(r.text).toBe("application_name = 'o''k'  # c\n");
    expect(readConfSetting(r.text, 'application_name')).toBe("o'k");
    expect(setConfSettings(r.text, { application_name: "o'k" }).changed).toEqual([]);
  });

  it('appends a setting that is absent, also when the file lacks a final newline, and keeps CRLF', () => {
    expect(setConfSettings('port = 1', { max_connections: '200' }).text).toBe('port = 1\nmax_connections = 200\n');
    expect(setConfSettings('port = 1\r\n', { max_connections: '200' }).text).toBe('port = 1\r\nmax_connections = 200\r\n');
    expect(setConfSettings('', { port: '2' }).text).toBe('port = 2\n');
  });

  it('reports include directives (settings there may override ours)', () => {
    const text = "include 'a.conf'\ninclude_if_exists = 'b.conf'\ninclude_dir 'conf.d'  # dir\nport = 1\n";
    const r = setConfSettings(text, { port: '1' });
    expect(r.includes).toEqual(['include a.conf', 'include_if_exists b.conf', 'include_dir conf.d']);
    expect(r.text).toBe(text);
  });

  it('refuses a file it cannot read and a bad setting name, changing nothing', () => {
    const bad = "port = 'open\nmax_connections = 100\n";
    expect(() => setConfSettings(bad, { port: '1' })).toThrow(UserError);
    try {
      setConfSettings(bad, { port: '1' });
    } catch (err) {
      expect((err as UserError).code).toBe('config-invalid');
      expect((err as UserError).message).toContain('no closing quote');
    }
    expect(() => setConfSettings('port = 1\n', { 'port; drop': '1' })).toThrow(/not a PostgreSQL setting name/);
    expect(() => setConfSettings('port = 1\n', { include: 'x' })).toThrow(UserError);
    expect(() => setConfSettings('port = 1\n', { application_name: 'a\nb' })).toThrow(/line break/);
  });
});
