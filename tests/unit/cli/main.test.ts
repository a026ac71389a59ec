import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../electron/cli/main.js';
import { applyOverrides } from '../../../electron/cli/overrides.js';
import type { SettingsInput } from '../../../electron/shared/settings.js';

const dir = mkdtempSync(join(tmpdir(), 'cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, interactive: false });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('spsetup command line', () => {
  it('prints help listing every command', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    for (const c of ['plan', 'install', 'resume', 'rollback', 'status', 'uninstall', 'db prepare', 'bundle export', 'spc import', 'ui']) expect(r.out).toContain(c);
  });

  it('exits 2 on an unknown command or option', async () => {
    expect((await cli('instal')).code).toBe(2);
    const r = await cli('plan', '--settings', 'x.json', '--colour');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--colour/);
  });

  it('exits 2 naming the bad field of a settings file', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ product: 'reference', cluster: { mode: 'create' }, database: { install: 'existing', host: 'db', password: 'p', port: 'x' }, share: { root: '/s' }, serviceAccount: { user: 'u' }, hostname: 'h', plannedNodes: 12 }));
    const r = await cli('plan', '--settings', file);
    expect(r.code).toBe(2);
    expect(r.err).toContain('database.port');
    expect(r.err).toContain('plannedNodes');
  });

  it('exits 2 for a settings file that is not JSON, or missing', async () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ "product": ');
    expect((await cli('plan', '--settings', file)).err).toMatch(/not valid JSON/);
    expect((await cli('plan', '--settings', join(dir, 'nope.json'))).code).toBe(2);
  });

  it('with --json a failure prints one JSON error document on stdout, the message still on stderr', async () => {
    const missing = join(dir, 'nope.json');
    const r = await cli('plan', '--settings', missing, '--json');
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.out) as { error: { code: string; exitCode: number; message: string; fix: string | null } };
    expect(doc.error.exitCode).toBe(2);
    expect(doc.error.code).not.toBe('internal');
    expect(doc.error.message).toContain(missing);
    expect(r.err).toContain(doc.error.message);
    // Without --json stdout stays empty on failure.
    expect((await cli('plan', '--settings', missing)).out).toBe('');
  });

  it('with --json a command line that cannot be parsed prints the JSON error document too', async () => {
    for (const argv of [['plan', '--settings', 'x.json', '--colour', '--json'], ['instal', '--json'], ['plan', '--json', '--settings']]) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      const doc = JSON.parse(r.out) as { error: { code: string; exitCode: number; message: string; fix: string | null } };
      expect(doc.error).toMatchObject({ code: 'invalid-input', exitCode: 2 });
      expect(doc.error.fix).toMatch(/--help/);
      // The same words commander wrote on stderr.
      expect(r.err).toContain(doc.error.message.replace(/\.$/, ''));
    }
    expect(JSON.parse((await cli('plan', '--settings', 'x.json', '--colour', '--json')).out).error.message).toMatch(/--colour/);
    // Help is not a failure: no error document.
    expect((await cli('plan', '--help', '--json')).out).not.toContain('"error"');
  });

  it('takes --set overrides but never a secret on the command line', () => {
    const base = { hostname: 'a', serviceAccount: { user: 'u' } } as unknown as SettingsInput;
    expect(applyOverrides(base, ['hostname=node2', 'plannedNodes=3', 'startServices=false'])).toMatchObject({ hostname: 'node2', plannedNodes: 3, startServices: false });
    expect(() => applyOverrides(base, ['database.password=x'])).toThrow(/never taken from the command line/);
    expect(() => applyOverrides(base, ['serviceAccount.password=x'])).toThrow(/never taken from the command line/);
    expect(() => applyOverrides(base, ['novalue'])).toThrow(/path=value/);
  });
});

describe('spsetup exit codes for input that changed nothing (issue 13)', () => {
  const files = () => new Set(readdirSync(dir));

  it('a missing bundle exits 2', async () => {
    const before = files();
    const pass = join(dir, 'pass-ok');
    writeFileSync(pass, 'correct horse battery staple 42\n', { mode: 0o600 });
    const r = await cli('bundle', 'inspect', join(dir, 'missing.spbundle'), '--passphrase-file', pass);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`Cannot read the settings bundle ${join(dir, 'missing.spbundle')}: no such file or folder.`);
    expect(files()).toEqual(new Set([...before, 'pass-ok']));
  });

  it('a missing spc.cfg exits 2', async () => {
    const r = await cli('spc', 'import', join(dir, 'missing.cfg'), '--out', join(dir, 'from-spc.json'));
    expect(r.code).toBe(2);
    expect(r.err).toContain(`Cannot read ${join(dir, 'missing.cfg')}: no such file.`);
    expect(files().has('from-spc.json')).toBe(false);
  });

  it('a passphrase file others may read exits 2', async () => {
    const pass = join(dir, 'pass-open');
    writeFileSync(pass, 'correct horse battery staple 42\n', { mode: 0o644 });
    const bundle = join(dir, 'some.spbundle');
    writeFileSync(bundle, 'not opened: the passphrase file is refused first');
    const r = await cli('bundle', 'inspect', bundle, '--passphrase-file', pass);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`The passphrase file ${pass} may be read or changed by other users (mode 644).`);
  });
});
