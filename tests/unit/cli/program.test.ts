import { describe, expect, it } from 'vitest';
import { runCli } from '../../../electron/cli/main.js';
import { leafCommands, SPSETUP, type CommandSpec } from '../../../electron/cli/command-spec.js';

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, interactive: false });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function groups(spec: CommandSpec = SPSETUP, path: readonly string[] = []): { path: readonly string[]; spec: CommandSpec }[] {
  if (!spec.subcommands) return [];
  return [{ path, spec }, ...spec.subcommands.flatMap((s) => groups(s, [...path, s.name]))];
}

const leaves = leafCommands();

describe('spsetup --help for every command (issue 19)', () => {
  it.each(leaves.map((l) => [l.path.join(' '), l] as const))('spsetup %s --help exits 0 with its usage and options', async (_name, { path, spec }) => {
    const r = await cli(...path, '--help');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toContain(`Usage: spsetup ${path.join(' ')} `);
    // commander wraps long lines at 80 columns.
    expect(r.out.replace(/\s+/g, ' ')).toContain(spec.summary);
    for (const o of spec.options ?? []) {
      if (o.hidden) expect(r.out).not.toContain(`--${o.name} `);
      else expect(r.out).toContain(`--${o.name}${o.value ? ` <${o.value}>` : ''}`);
    }
    // `help COMMAND` prints the same page.
    expect((await cli('help', ...path)).out).toBe(r.out);
    expect((await cli(...path, '-h')).out).toBe(r.out);
  });

  it.each(groups().map((g) => [g.path.join(' ') || '(top level)', g] as const))('spsetup %s --help lists its sub-commands and exits 0', async (_name, { path, spec }) => {
    const r = await cli(...path, '--help');
    expect(r.code).toBe(0);
    for (const s of spec.subcommands ?? []) expect(r.out).toMatch(new RegExp(`^  ${s.name}\\b`, 'm'));
    expect((await cli('help', ...path)).out).toBe(r.out);
  });

  it('the top-level help names every runnable command with its words, and the exit codes', async () => {
    const r = await cli('help');
    expect(r.code).toBe(0);
    for (const { path } of leaves) expect(r.out).toContain(`spsetup ${path.join(' ')}`);
    expect(r.out).toContain('Exit codes: 0 done');
  });
});

describe('bad command lines exit 2 and change nothing (issue 19)', () => {
  it.each(groups().map((g) => [g.path.join(' ') || '(top level)', g.path] as const))('an unknown sub-command of %s is named, with a suggestion', async (_name, path) => {
    const first = SPSETUP.subcommands!.find((s) => s.name === path[0]) ?? SPSETUP;
    const near = path.length ? `${(first.subcommands ?? [])[0]?.name ?? 'x'}x` : 'instal';
    const r = await cli(...path, near);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`unknown command '${near}'`);
  });

  it('a missing sub-command shows the group help on stderr and exits 2', async () => {
    const r = await cli('site', 'services');
    expect(r.code).toBe(2);
    expect(r.err).toContain('Usage: spsetup site services');
    expect(r.err).toMatch(/^ {2}restart\b/m);
  });

  it('an unknown or misplaced option is named, with the command help hint', async () => {
    const r = await cli('migrate', 'plan', '--settings', 'x.json', '--colour');
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown option '--colour'");
    expect(r.err).toContain('--help');
    // --root belongs to `site folders set`, not to `site status`.
    expect((await cli('site', 'status', '--root', '/x', '--settings', 'x.json')).err).toContain("unknown option '--root'");
  });

  it('the two forms of install are not mixed', async () => {
    const r = await cli('install', '--settings', 'a.json', '--bundle', 'b.spbundle');
    expect(r.code).toBe(2);
    expect(r.err).toContain("option '--bundle <B>' cannot be used with option '--settings <FILE>'");
  });

  it('an option without its value, and an extra operand, exit 2', async () => {
    expect(await cli('status', '--settings')).toMatchObject({ code: 2, err: expect.stringContaining("option '--settings <FILE>' argument missing") });
    expect(await cli('site', 'verify', 'a', 'b')).toMatchObject({ code: 2, err: expect.stringContaining('too many arguments') });
    expect(await cli('status', 'now')).toMatchObject({ code: 2, err: expect.stringContaining('too many arguments') });
  });

  it('no command at all prints the help on stderr and exits 2 (as before)', async () => {
    const r = await cli();
    expect(r.code).toBe(2);
    expect(r.err).toContain('Usage: spsetup');
  });
});

describe('the grammar and the commands agree on option names', () => {
  // Commands that would start a server or wait for a client are left out: they parse the same way.
  const runnable = leaves.filter(({ path }) => !['ui', 'agent', 'completion'].includes(path[0]!));
  // install has two forms: from a settings file, and the join from a bundle (options marked as conflicting with --settings).
  const forms = runnable.flatMap(({ path, spec }) => {
    const options = spec.options ?? [];
    if (!options.some((o) => o.conflicts)) return [{ name: path.join(' '), path, spec, options }];
    return [
      { name: `${path.join(' ')} (settings form)`, path, spec, options: options.filter((o) => !o.conflicts) },
      { name: `${path.join(' ')} (bundle form)`, path, spec, options: options.filter((o) => !o.conflicts?.length ? !options.some((c) => c.conflicts?.includes(o.name)) : true) },
    ];
  });
  it.each(forms.map((f) => [f.name, f] as const))('every option of spsetup %s is taken by the command itself', async (_name, { path, spec, options }) => {
    const argv = [...path, ...(spec.operands?.length ? ['/nonexistent/operand'] : [])];
    for (const o of options) argv.push(`--${o.name}`, ...(o.value ? [o.name === 'set' ? 'hostname=h' : '/nonexistent/value'] : []));
    const r = await cli(...argv);
    expect(r.err).not.toMatch(/Unknown option|unknown option/);
    expect(r.code).toBe(2);
  });
});
