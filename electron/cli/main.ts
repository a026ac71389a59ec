/**
 * The `spsetup` command: dispatch, and the one top-level error handler that turns an expected
 * failure into its message, its fix and its exit code, and a bug into an internal error.
 */
import { readFileSync } from 'node:fs';
import { ExitCode, exitCodeFor, toErrorInfo } from '../shared/errors.js';
import { continueCommand, installCommand, planCommand } from './commands/install.js';
import type { Command, CommandIo } from './commands/io.js';
import { dbCommand, statusCommand, uninstallCommand } from './commands/site.js';
import { bundleCommand, installFromBundle } from './commands/bundle.js';
import { spcCommand } from './commands/spc.js';
import { agentCommand, uiCommand } from './commands/ui.js';
import { refuseLocalSystem } from '../system/windows/elevation.js';
import { createWindowsRunner } from '../system/windows/exec-runner.js';

const HELP = `spsetup: Shared Persistence Setup

Usage: spsetup <command> [options]

Commands:
  plan       --settings F [--json]              show every step and file diff, and the preflight checks
  install    --settings F [--yes] [--silent]    preflight, then apply the plan
             [--log F]
  resume     --settings F                       continue a failed or interrupted install
  rollback   --settings F [--plan]              undo every change the installs recorded, newest first (--plan: show them)
  status     --settings F [--json]              registered nodes and this node's services
  uninstall  --settings F [--remove-data]       remove this node's services and files (its plan shown first;
             [--plan]                           --plan: only show it)
  db prepare --settings F [--plan] [--keep-plain]  prepare a dedicated database server (run on it); --plan: only show the plan;
                                                --keep-plain: SSL on beside plain connections
  db standby add --settings S [--plan] [--yes]  a streaming standby of the repository database (run on the standby)
  db status --settings S [--json]               primary and standby: roles, timeline, lag, slots
  db failover --settings S [--fence] [--yes]    promote this standby (the primary is lost; refused while it takes writes)
  db switchover --settings S [--yes]            run on the primary: the standby takes over with no loss, this machine rejoins
  db rejoin --settings S [--yes]                run on an old primary: it becomes the standby by pg_rewind
  bundle export --settings F --out B            encrypted settings bundle for rim nodes
             (--passphrase-file P | --generate-passphrase P) [--expires 24h|7d|none]
  bundle inspect B --passphrase-file P          show a bundle's contents (secrets masked)
  install    --bundle B --passphrase-file P     join this node from a bundle
             --set hostname=H --set serviceAccount.user=U [--set k=v]... --silent [--log F]
  spc export --settings F --out spc.cfg         the vendor's spc.cfg (holds the password in plain text)
  spc import spc.cfg [--base F] [--out F]       settings from an spc.cfg
  ui         [--port N] [--defaults F]          the wizard in a browser (127.0.0.1 only, one-time token)
  agent      --socket P --token-file F          the elevated half of the GUI (started by the GUI)
  migrate plan --settings M [--json]            detect the upgrade scenario; the whole migration as a plan
  migrate run  --settings M [--yes] [--log F]   apply it (continues an unfinished one); migrate resume too
  site status --settings F [--json]             every node of the site: services, heartbeat, versions, database
  site ssl status --settings F [--json]         per node: whether its repository connections are encrypted (pg_stat_ssl)
  site services stop|start|restart --settings F [--nodes A,B] [--timeout S]   in the manifest's order, on every node
  site connection show|set --settings F [--host H] [--port N] [--ssl-mode M] [--password-file P] [--nodes A,B]
  site folders show|set --settings F [--root R] [--apps A] [--archived-logs L] [--custom-data C] [--static-content S]
  site backup --settings F --out DIR --passphrase-file P [--plan]   services stopped on every node, database and share
  site verify DIR --passphrase-file P           check a backup (seal, checksums, pg_restore --list); changes nothing
  site restore DIR --settings F --passphrase-file P [--plan] [--yes] [--save-current D]   database and share back, verified equal
  node-agent --config F                         the node agent service (registered by the install)

Exit codes: 0 done; 1 failed after changing something (resume or roll back); 2 invalid input
(nothing changed); 3 not ready: a preflight check, or a step that failed before any change (nothing
changed); 4 stale plan (make it again); 70 internal error (a bug: send the log).`;

const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  plan: async () => planCommand,
  install: async () => (argv, io) => (argv.includes('--bundle') ? installFromBundle(argv, io) : installCommand(argv, io)),
  resume: async () => continueCommand('resume'),
  rollback: async () => continueCommand('rollback'),
  status: async () => statusCommand,
  uninstall: async () => uninstallCommand,
  db: async () => (argv, io) => (argv[0] === 'prepare' ? dbCommand(argv, io) : import('./commands/db-replication.js').then((m) => m.dbReplicationCommand(argv, io))),
  bundle: async () => bundleCommand,
  spc: async () => spcCommand,
  ui: async () => uiCommand,
  agent: async () => agentCommand,
  migrate: async () => (await import('./commands/migrate.js')).migrateCommand,
  site: async () => (await import('./commands/site-ops.js')).siteCommand,
  'node-agent': async () => (await import('./commands/node-agent.js')).nodeAgentCommand,
};

/** Commands that change the machine. */
const CHANGING_COMMANDS = new Set(['install', 'resume', 'rollback', 'uninstall', 'db', 'migrate', 'agent']);

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
    // Like the vendor's setup (product-facts.md), no change is made as LOCAL SYSTEM.
    if (process.platform === 'win32' && CHANGING_COMMANDS.has(name)) await refuseLocalSystem(createWindowsRunner());
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
