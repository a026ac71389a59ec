/**
 * The `spsetup` grammar on commander: sub-commands, `--help` at every level, `help COMMAND`,
 * unknown commands and options refused with a suggestion. Built from command-spec.ts.
 */
import { Command, CommanderError, Option } from 'commander';
import { EXIT_CODES, leafCommands, type CommandSpec, type OptionSpec } from './command-spec.js';

/** What the grammar decided: run a command (its path and the words after its top-level name), or stop with a code. */
export type Parsed = { readonly kind: 'run'; readonly path: readonly string[]; readonly rest: readonly string[] } | { readonly kind: 'exit'; readonly code: number; readonly usageError?: string };

export interface ProgramIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

function toOption(o: OptionSpec): Option {
  const option = new Option(o.value ? `--${o.name} <${o.value}>` : `--${o.name}`, o.description);
  // Repeatable values are collected, not overwritten (commander keeps only the last by default).
  if (o.multiple) option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
  if (o.hidden) option.hideHelp();
  // commander names the other options by their attribute names (camelCase).
  if (o.conflicts) option.conflicts(o.conflicts.map((name) => name.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase())));
  return option;
}

/** The usage line of every runnable command, for the top-level help. */
export function commandIndex(root: CommandSpec): string {
  const rows = leafCommands(root).map(({ path, spec }) => [`${root.name} ${path.join(' ')}${spec.operands?.length ? ` ${spec.operands.join(' ')}` : ''}`, spec.summary] as const);
  const width = Math.max(...rows.map(([usage]) => usage.length)) + 2;
  return rows.map(([usage, summary]) => `  ${usage.padEnd(width)}${summary}`).join('\n');
}

function build(spec: CommandSpec, cmd: Command, path: readonly string[], onRun: (path: readonly string[]) => void): void {
  cmd.description(spec.summary);
  for (const o of spec.options ?? []) cmd.addOption(toOption(o));
  for (const operand of spec.operands ?? []) cmd.argument(operand);
  if (spec.details) cmd.addHelpText('after', `\n${spec.details}`);
  if (spec.subcommands) {
    for (const sub of spec.subcommands) build(sub, cmd.command(sub.name), [...path, sub.name], onRun);
  } else {
    cmd.addHelpText('after', `\n${EXIT_CODES}`);
    cmd.action(() => onRun(path));
  }
}

/** A fresh commander program for one command line (commander keeps parse state in it). */
export function createProgram(root: CommandSpec, io: ProgramIo, onRun: (path: readonly string[]) => void): Command {
  const program = new Command(root.name);
  // Set before any sub-command is made: commander copies these settings into each one.
  program
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()), outputError: (s, write) => write(s) })
    .showHelpAfterError('(add --help for usage)')
    // Answered by main.ts before parsing (reading package.json only then); listed here for help and completion.
    .option('--version', 'print the version');
  build(root, program, [], onRun);
  program.addHelpText('after', `\nEvery command (spsetup COMMAND --help, or spsetup help COMMAND, for its options):\n${commandIndex(root)}`);
  return program;
}

/** Parses a command line; help and errors are written to io. Never throws. */
export async function parseCommandLine(root: CommandSpec, argv: readonly string[], io: ProgramIo): Promise<Parsed> {
  let path: readonly string[] | undefined;
  const program = createProgram(root, io, (p) => (path = p));
  // `spsetup help a b` is `spsetup a b --help` (commander's own help command takes one level only).
  const words = argv[0] === 'help' ? [...argv.slice(1), '--help'] : [...argv];
  try {
    await program.parseAsync(words, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and --version exit 0; anything else is a bad command line, whose message --json reports too.
      return err.exitCode === 0 ? { kind: 'exit', code: 0 } : { kind: 'exit', code: 2, usageError: err.message.replace(/^error: /, '') };
    }
    throw err;
  }
  if (!path) return { kind: 'exit', code: 2, usageError: 'No command given.' };
  return { kind: 'run', path, rest: argv.slice(1) };
}
