import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../electron/cli/main.js';

const dir = mkdtempSync(join(tmpdir(), 'completion-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function script(): Promise<string> {
  const out: string[] = [];
  const code = await runCli(['completion', 'bash'], { out: (l) => out.push(l), err: () => undefined, env: {}, interactive: false });
  expect(code).toBe(0);
  return out.join('\n');
}

/** What bash offers after `words` (the last word is the one being completed), with the script loaded as a user would. */
async function complete(...words: string[]): Promise<string[]> {
  const file = join(dir, 'spsetup.bash');
  writeFileSync(file, await script());
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const reply = execFileSync('bash', ['-c', `source '${file}'; cd '${dir}'; COMP_WORDS=(spsetup ${quoted}); COMP_CWORD=${words.length}; _spsetup; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
  return reply.split('\n').filter(Boolean).sort();
}

describe('spsetup completion bash (issue 19)', () => {
  it('completes the commands, then sub-commands at every depth', async () => {
    expect(await complete('')).toEqual(expect.arrayContaining(['plan', 'install', 'db', 'site', 'migrate', 'help', 'completion']));
    expect(await complete('si')).toEqual(['site']);
    expect(await complete('site', 'ser')).toEqual(['services']);
    expect(await complete('site', 'services', '')).toEqual(['restart', 'start', 'stop']);
    expect(await complete('db', 'standby', '')).toEqual(['add']);
    expect(await complete('help', 'mi')).toEqual(['migrate']);
  });

  it("completes a command's own options, skipping option values on the way", async () => {
    expect(await complete('site', 'folders', 'set', '--settings', 'x.json', '--ar')).toEqual(['--archived-logs']);
    expect(await complete('migrate', 'plan', '--')).toEqual(['--help', '--json', '--settings']);
    // --root belongs to folders set only; hidden options are not offered.
    expect(await complete('site', 'status', '--r')).toEqual([]);
    expect(await complete('plan', '--')).toEqual(['--help', '--json', '--settings']);
  });

  it('completes file names after an option that takes a path, and nothing after one that takes a word', async () => {
    writeFileSync(join(dir, 'node-a.json'), '{}');
    expect(await complete('status', '--settings', 'node-')).toEqual(['node-a.json']);
    expect(await complete('site', 'services', 'stop', '--nodes', 'node-')).toEqual([]);
    expect(await complete('site', 'verify', 'node-')).toEqual(['node-a.json']);
  });

  it('refuses a shell it has no script for', async () => {
    const err: string[] = [];
    const code = await runCli(['completion', 'fish'], { out: () => undefined, err: (l) => err.push(l), env: {}, interactive: false });
    expect(code).toBe(2);
    expect(err.join('\n')).toContain('No completion for the shell "fish"');
  });
});
