/**
 * The `spsetup` command: the grammar (program.ts), dispatch to the command, and the one top-level
 * error handler that turns an expected failure into its message, its fix and its exit code, and a
 * bug into an internal error.
 */
import { readFileSync } from 'node:fs';
import { ExitCode, exitCodeFor, toErrorInfo, type ErrorInfo } from '../shared/errors.js';
import { continueCommand, installCommand, planCommand } from './commands/install.js';
import type { Command, CommandIo } from './commands/io.js';
import { dbCommand, statusCommand, uninstallCommand } from './commands/site.js';
import { bundleCommand, installFromBundle } from './commands/bundle.js';
import { spcCommand } from './commands/spc.js';
import { agentCommand, uiCommand } from './commands/ui.js';
import { refuseLocalSystem } from '../system/windows/elevation.js';
import { createWindowsRunner } from '../system/windows/exec-runner.js';
import { SPSETUP } from './command-spec.js';
import { parseCommandLine } from './program.js';
import { completionCommand } from './commands/completion.js';

const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  plan: async () => planCommand,
  install: async () => (argv, io) => (argv.includes('--bundle') ? installFromBundle(argv, io) : installCommand(argv, io)),
  resume: async () => continueCommand('resume'),
  rollback: async () => continueCommand('rollback'),
  status: async () => statusCommand,
  uninstall: async () => uninstallCommand,
  db: async () => (argv, io) =>
    argv[0] === 'prepare'
      ? dbCommand(argv, io)
      : argv[0] === 'auto-failover'
        ? import('./commands/db-auto-failover.js').then((m) => m.dbAutoFailoverCommand(argv, io))
        : import('./commands/db-replication.js').then((m) => m.dbReplicationCommand(argv, io)),
  bundle: async () => bundleCommand,
  spc: async () => spcCommand,
  ui: async () => uiCommand,
  agent: async () => agentCommand,
  migrate: async () => (await import('./commands/migrate.js')).migrateCommand,
  site: async () => (await import('./commands/site-ops.js')).siteCommand,
  'node-agent': async () => (await import('./commands/node-agent.js')).nodeAgentCommand,
  completion: async () => completionCommand,
};

/** Commands that change the machine. */
const CHANGING_COMMANDS = new Set(['install', 'resume', 'rollback', 'uninstall', 'db', 'migrate', 'agent']);

/** The package's version (dist/electron/cli when built, electron/cli under tsx). */
function version(): string {
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      // the other layout
    }
  }
  return '0.0.0';
}

/** Runs one command line and returns its exit code; never throws. */
export async function runCli(argv: readonly string[], io: CommandIo): Promise<number> {
  if (argv.length === 1 && argv[0] === '--version') {
    io.out(version());
    return ExitCode.ok;
  }
  try {
    // The grammar first: help, --version and bad command lines end here, before anything loads.
    const parsed = await parseCommandLine(SPSETUP, argv, io);
    if (parsed.kind === 'exit') {
      if (parsed.usageError !== undefined && wantsJson(argv)) io.out(JSON.stringify(usageErrorDocument(parsed.usageError), null, 2));
      return parsed.code;
    }
    const name = parsed.path[0]!;
    const load = COMMANDS[name];
    if (!load) throw new Error(`No handler for the command "${name}".`);
    // Like the vendor's setup (product-facts.md), no change is made as LOCAL SYSTEM.
    if (process.platform === 'win32' && CHANGING_COMMANDS.has(name)) await refuseLocalSystem(createWindowsRunner());
    // The command's words come from the grammar, never re-read from argv (an option's value may be any word).
    return await (await load())(parsed.rest, io, parsed.path.slice(1));
  } catch (err) {
    const info = toErrorInfo(err);
    const exitCode = exitCodeFor(err);
    io.err(`Error: ${info.message}`);
    if (info.fix) io.err(`What to do: ${info.fix}`);
    if (info.code === 'internal' && err instanceof Error && err.stack) io.err(err.stack);
    // A script asked for JSON: it reads the failure from stdout too, as one document.
    if (wantsJson(argv)) io.out(JSON.stringify(errorDocument(info, exitCode), null, 2));
    return exitCode;
  }
}

/** True when --json is among the options (not after a `--` that ends them). */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/** The JSON document a failure prints with --json: what failed, its exit code and what to do. */
export function errorDocument(info: ErrorInfo, exitCode: number): { error: { code: string; exitCode: number; message: string; fix: string | null } } {
  return { error: { code: info.code, exitCode, message: info.message, fix: info.fix ?? null } };
}

/** The JSON document of a command line that could not be parsed (commander already said why on stderr). */
export function usageErrorDocument(message: string): ReturnType<typeof errorDocument> {
  const sentence = /[.!?]$/.test(message) ? message : `${message}.`;
  return errorDocument({ code: 'invalid-input', message: sentence, fix: 'Run spsetup COMMAND --help for its words and options.' }, 2);
}

/** Entry point of bin/spsetup.js. */
export async function runFromProcess(): Promise<void> {
  const io: CommandIo = {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
    interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
  };
  process.exitCode = await runCli(process.argv.slice(2), io);
}
