import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../electron/cli/main.js';
import { leafCommands } from '../../../electron/cli/command-spec.js';
import { ExitCode } from '../../../electron/shared/errors.js';

async function help(path: readonly string[]): Promise<string> {
  const out: string[] = [];
  const code = await runCli([...path, '--help'], { out: (l) => out.push(l), err: () => undefined, env: {}, interactive: false });
  expect(code).toBe(0);
  return out.join('\n').replace(/\s+/g, ' ');
}

describe('exit codes are documented where an administrator looks (issue 19)', () => {
  it.each(leafCommands().map((l) => [l.path.join(' '), l.path] as const))('spsetup %s --help says what each exit code means', async (_name, path) => {
    const text = await help(path);
    for (const code of Object.values(ExitCode)) expect(text).toMatch(new RegExp(`[:;] ${code} \\w`));
    expect(text).toContain('(nothing changed)');
    expect(text).toContain('What to do:');
  });

  it('the README names every exit code the CLI uses, and no other', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const paragraph = /Exit codes \(one mapping[^]*?\n\n|Exit codes \(one mapping[^]*?(?=\nEvery run)/.exec(readme)?.[0] ?? '';
    const named = [...paragraph.matchAll(/[:;] (\d+) /g)].map((m) => Number(m[1]));
    expect(named.sort((a, b) => a - b)).toEqual(Object.values(ExitCode).sort((a, b) => a - b));
  });
});
