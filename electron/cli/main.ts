/**
 * The `spsetup` command: dispatch, and the one top-level error handler that turns an expected
 * failure into its message, its fix and its exit code, and a bug into an internal error.
 */
import { readFileSync } from 'node:fs';
import { ExitCode, exitCodeFor, toErrorInfo } from '../shared/errors.js';
import { continueCommand, installCommand, planCommand } from './commands/install.js';
import type { Command, CommandIo } from './commands/io.js';
import { dbCommand, statusCommand, uninstallCommand } from './commands/site.js';

const HELP = `spsetup: Shared Persistence Setup

Usage: spsetup <command> [options]

Commands:
  plan       --settings F [--json]              show every step and file diff, and the preflight checks
  install    --settings F [--yes] [--silent]    preflight, then apply the plan
             [--log F]
  resume     --settings F                       continue a failed or interrupted install
  rollback   --settings F                       undo the last install's changes, newest first
  status     --settings F [--json]              registered nodes and this node's services
  uninstall  --settings F [--remove-data]       remove this node's services and files
  db prepare --settings F                       prepare a dedicated database server (run on it)
  ui         [--port N]                         the wizard in a browser (127.0.0.1 only)

Exit codes: 0 done; 1 apply failed (resume possible); 2 invalid input (nothing changed);
3 preflight failed (nothing changed); 4 stale plan (make it again).`;

const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  plan: async () => planCommand,
  install: async () => installCommand,
  resume: async () => continueCommand('resume'),
  rollback: async () => continueCommand('rollback'),
  status: async () => statusCommand,
  uninstall: async () => uninstallCommand,
  db: async () => dbCommand,
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Runs one command line and returns its exit code; never throws. */
export async function runCli(argv: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(HELP);
    return name ? ExitCode.ok : ExitCode.invalidInput;
  }
  if (name === '--version') {
    io.out(version());
    return ExitCode.ok;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.err(`Unknown command "${name}".\n\n${HELP}`);
    return ExitCode.invalidInput;
  }
  try {
    return await (await load())(rest, io);
  } catch (err) {
    const info = toErrorInfo(err);
    io.err(`Error: ${info.message}`);
    if (info.fix) io.err(`What to do: ${info.fix}`);
    if (info.code === 'internal' && err instanceof Error && err.stack) io.err(err.stack);
    return exitCodeFor(err);
  }
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
