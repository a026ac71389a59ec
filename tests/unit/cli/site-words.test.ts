/**
 * The site commands take their words from the grammar (commander), not from the first plain words
 * of argv (issue 15): options in any order after the words, values that are command words, the
 * --opt=value form; options before the words are refused with exit 2 and nothing read.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../electron/cli/main.js';

const dir = mkdtempSync(join(tmpdir(), 'site-words-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A valid node settings file; nothing in these tests gets as far as connecting.
const node = join(dir, 'node.json');
writeFileSync(node, JSON.stringify({ product: 'reference', cluster: { mode: 'create' }, database: { install: 'existing', host: '192.0.2.1', password: 'Pw-for-a-test-9', superuserPassword: 'Pw-for-a-test-9' }, share: { root: '/s' }, serviceAccount: { user: 'u' }, hostname: 'h', plannedNodes: 2 }));
// Files named like the command words, so a parser that looks at plain words would pick them.
for (const name of ['ssl', 'enable', 'password', 'rotate', 'renew']) writeFileSync(join(dir, name), 'not settings');

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, interactive: false });
  return { code, text: `${out.join('\n')}\n${err.join('\n')}` };
}

describe('site ssl enable / renew and site password rotate: the words come from the grammar', () => {
  it('ssl enable with its options in any order reaches ssl enable (it asks for --server-settings)', async () => {
    for (const argv of [
      ['site', 'ssl', 'enable', '--settings', node],
      ['site', 'ssl', 'enable', '--timeout', '5', '--settings', node],
      ['site', 'ssl', 'enable', `--settings=${node}`, '--log', join(dir, 'password')],
    ]) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.text, argv.join(' ')).toMatch(/--server-settings is required/);
    }
  });

  it('an option value that is a command word does not change the command', async () => {
    // password rotate whose password file is named "enable" and whose log would be "ssl": still rotate, reading that file.
    const r = await cli('site', 'password', 'rotate', '--password-file', join(dir, 'missing-enable'), '--settings', node);
    expect(r.code).toBe(2);
    expect(r.text).toMatch(/Cannot read the password file .*missing-enable/);
    // ssl enable whose server settings are the file "rotate": ssl enable reads it as settings and refuses it.
    const e = await cli('site', 'ssl', 'enable', '--server-settings', join(dir, 'rotate'), '--settings', node);
    expect(e.code).toBe(2);
    expect(e.text).toMatch(/rotate/);
    expect(e.text).not.toMatch(/password-file/);
    // ssl renew takes --server-settings only; a --settings value named "enable" does not make it enable.
    const n = await cli('site', 'ssl', 'renew', '--server-settings', join(dir, 'enable'));
    expect(n.code).toBe(2);
    expect(n.text).toMatch(/enable/);
    expect(n.text).not.toMatch(/--settings is required/);
  });

  it('options before the command words, an extra word, or a missing word exit 2 with the reason', async () => {
    expect(await cli('site', '--settings', node, 'ssl', 'enable')).toMatchObject({ code: 2, text: expect.stringContaining("unknown option '--settings'") });
    expect(await cli('site', 'ssl', '--settings', node, 'enable')).toMatchObject({ code: 2, text: expect.stringContaining("unknown option '--settings'") });
    expect(await cli('site', 'ssl', 'enable', 'now', '--settings', node)).toMatchObject({ code: 2, text: expect.stringContaining('too many arguments') });
    expect(await cli('site', 'password', '--settings', node)).toMatchObject({ code: 2 });
    expect(await cli('site', 'enable', 'ssl', '--settings', node)).toMatchObject({ code: 2, text: expect.stringContaining("unknown command 'enable'") });
  });
});
