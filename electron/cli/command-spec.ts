/**
 * The grammar of `spsetup` as data: every command and sub-command, its operands and its options.
 * The parser (program.ts), the help and the shell completion (completion.ts) are all built from it,
 * so they cannot disagree. Each command still reads its values with the same option names.
 */

/** One option: `--name` (a flag) or `--name VALUE`. */
export interface OptionSpec {
  readonly name: string;
  /** The placeholder of its value; absent for a flag. */
  readonly value?: string;
  readonly description: string;
  readonly multiple?: boolean;
  /** Accepted (as before) but not shown in help: it does nothing for this command. */
  readonly hidden?: boolean;
  /** The value is a path: the shell completes file names. */
  readonly file?: boolean;
  /** Options of another form of the same command, refused together with this one. */
  readonly conflicts?: readonly string[];
}

/** A command: a leaf that runs, or a group of sub-commands. */
export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  /** Operands, commander style: `[dir]` optional (the command names a missing one itself). */
  readonly operands?: readonly string[];
  readonly options?: readonly OptionSpec[];
  readonly subcommands?: readonly CommandSpec[];
  /** Extra help text shown after the options. */
  readonly details?: string;
}

/** Shown under every command's help: what each exit code means and what to do (one mapping, shared/errors.ts). */
export const EXIT_CODES = `Exit codes: 0 done; 1 failed after changing something (resume or roll back); 2 invalid input
(nothing changed); 3 not ready: a preflight check, or a step that failed before any change (nothing
changed); 4 stale plan (make it again); 70 internal error (a bug: send the log).
Errors go to stderr with "What to do:"; with --json, stdout holds one JSON document only.`;

const file = (name: string, description: string, value = 'FILE'): OptionSpec => ({ name, value, description, file: true });
const text = (name: string, value: string, description: string): OptionSpec => ({ name, value, description });
const flag = (name: string, description: string): OptionSpec => ({ name, description });
const hidden = (o: OptionSpec): OptionSpec => ({ ...o, hidden: true });

const settings = file('settings', 'the settings file (JSON) of this node');
const json = flag('json', 'print the result as JSON');
const log = file('log', 'also write the log to this file');
const yes = flag('yes', 'apply without asking');
const planOnly = flag('plan', 'only show the plan; change nothing');
const planJson = flag('json', 'with --plan: print the plan as JSON');
const passphraseFile = file('passphrase-file', 'the passphrase in a file only you can read (mode 0600)');
const nodes = text('nodes', 'A,B', 'only these nodes (host names, comma separated)');
const timeout = text('timeout', 'SECONDS', 'how long each node may take (1..3600)');
const standbySettings = file('settings', 'the standby settings file (JSON)');
const autoFailoverSettings = file('settings', 'the auto-failover settings file (JSON)');
const backupJson = flag('json', 'print the plan (with --plan) or the result as JSON; the progress goes to stderr');

const installCommon = [settings, log, json, yes, flag('silent', 'no questions; fail instead (for unattended installs)')];

const db: CommandSpec = {
  name: 'db',
  summary: 'the repository database server: prepare it, standbys, failover',
  subcommands: [
    {
      name: 'prepare',
      summary: 'prepare a dedicated database server (run on it)',
      options: [settings, planOnly, planJson, flag('keep-plain', 'turn SSL on beside plain connections (switch the nodes first)'), log, hidden(yes)],
    },
    {
      name: 'standby',
      summary: 'streaming standbys of the repository database',
      subcommands: [{ name: 'add', summary: 'make this machine a streaming standby (run on the standby)', options: [standbySettings, planOnly, planJson, yes, log] }],
    },
    { name: 'status', summary: 'primary and standby: roles, timeline, lag, slots', options: [standbySettings, json] },
    {
      name: 'failover',
      summary: 'promote this standby (the primary is lost; refused while it takes writes)',
      options: [standbySettings, text('to', 'HOST', 'the standby to promote'), flag('fence', 'fence the old primary first'), planOnly, planJson, yes, log],
    },
    { name: 'switchover', summary: 'run on the primary: the standby takes over with no loss, this machine rejoins as its standby', options: [standbySettings, planOnly, planJson, yes, log] },
    { name: 'rejoin', summary: 'run on an old primary: it becomes the standby by pg_rewind', options: [standbySettings, planOnly, planJson, yes, log] },
    {
      name: 'auto-failover',
      summary: 'automatic failover with pg_auto_failover (Linux database hosts)',
      subcommands: [
        { name: 'monitor', summary: 'set up the pg_auto_failover monitor (run on the monitor machine)', options: [autoFailoverSettings, planOnly, planJson, yes, log] },
        { name: 'keeper', summary: "make this database machine a pg_auto_failover node (the primary's first)", options: [autoFailoverSettings, planOnly, planJson, yes, log] },
      ],
    },
  ],
};

const siteShow = [settings, nodes, timeout, json];
const serverSettings = file('server-settings', 'the database server settings, as for db prepare (database.ssl "require")');

const site: CommandSpec = {
  name: 'site',
  summary: 'the whole site from one node: status, services, connection, folders, backup',
  subcommands: [
    { name: 'status', summary: 'every node of the site: services, heartbeat, versions, database', options: [settings, json] },
    {
      name: 'ssl',
      summary: 'encryption of the repository connections',
      subcommands: [
        { name: 'status', summary: 'per node: whether its repository connections are encrypted (exit 1 while one is not)', options: [settings, json] },
        {
          name: 'enable',
          summary: 'run on the database server: SSL for a running site, in an order that never cuts a node off',
          options: [file('settings', "the central node's settings file (its site key signs the switch)"), serverSettings, timeout, log],
        },
        { name: 'renew', summary: "run on the database server: a new server certificate, served after a reload (the CA stays)", options: [serverSettings, timeout, log] },
      ],
    },
    {
      name: 'password',
      summary: "the repository role's (or the superuser's) password",
      subcommands: [
        {
          name: 'rotate',
          summary: 'a new password on the server and on every node; the old one refused afterwards',
          options: [settings, file('password-file', 'the new password, in a file only you can read'), flag('superuser', "the PostgreSQL superuser's password instead (run where the database is; the settings hold the current one)"), timeout],
        },
      ],
    },
    {
      name: 'services',
      summary: "the product's services on every node, in the manifest's order",
      subcommands: (['stop', 'start', 'restart'] as const).map((action) => ({ name: action, summary: `${action} the services on every node`, options: [settings, nodes, timeout, json] })),
    },
    {
      name: 'connection',
      summary: "every node's repository connection string",
      subcommands: [
        { name: 'show', summary: "each node's connection string (the password never shown)", options: siteShow },
        {
          name: 'set',
          summary: 'change the connection string on every node (the services restart)',
          options: [
            settings,
            text('host', 'HOST', 'the database host'),
            text('port', 'PORT', 'the database port'),
            text('ssl-mode', 'MODE', 'Disable, Prefer, Require, VerifyCA or VerifyFull'),
            file('password-file', "the database user's new password, in a file"),
            flag('no-restart', 'do not restart the services'),
            nodes,
            timeout,
            json,
          ],
        },
      ],
    },
    {
      name: 'folders',
      summary: 'the service cluster folders of every node',
      subcommands: [
        { name: 'show', summary: "each node's service cluster folders", options: siteShow },
        {
          name: 'set',
          summary: 'change the service cluster folders on every node',
          options: [
            settings,
            text('root', 'PATH', 'the share root'),
            text('apps', 'PATH', 'the Apps folder'),
            text('archived-logs', 'PATH', 'the ArchivedLogs folder'),
            text('custom-data', 'PATH', 'the CustomData folder'),
            text('static-content', 'PATH', 'the StaticContent folder'),
            nodes,
            timeout,
            json,
          ],
        },
      ],
    },
    {
      name: 'endpoints',
      summary: 'the database servers every node connects to',
      subcommands: [{ name: 'set', summary: 'the database primary and its standbys, on every node', options: [settings, text('endpoints', 'HOST:PORT,...', 'the primary first, then its standbys'), nodes, timeout, json] }],
    },
    {
      name: 'backup',
      summary: 'back up the database and the share together (services stopped on every node)',
      options: [settings, text('out', 'DIR', 'the backup folder (an earlier backup there is updated)'), passphraseFile, planOnly, timeout, backupJson],
    },
    { name: 'verify', summary: 'check a backup (seal, checksums, pg_restore --list); changes nothing', operands: ['[dir]'], options: [passphraseFile, hidden(settings), json] },
    {
      name: 'restore',
      summary: 'put the database and the share back as in the backup, verified equal',
      operands: ['[dir]'],
      options: [settings, passphraseFile, planOnly, yes, text('save-current', 'DIR', 'first back up what the restore overwrites into this new folder'), timeout, backupJson],
    },
  ],
};

/** Every command of `spsetup`, in the order the help lists them. */
export const SPSETUP: CommandSpec = {
  name: 'spsetup',
  summary: 'Shared Persistence Setup',
  subcommands: [
    { name: 'plan', summary: 'show every step and file diff, and the preflight checks', options: [settings, json, hidden(log), hidden(yes), hidden(installCommon[4]!)] },
    {
      name: 'install',
      summary: 'preflight, then apply the plan; or join this node from a settings bundle',
      options: [
        ...installCommon.filter((o) => o.name !== 'json'),
        flag('plan', 'only show the plan and the preflight, as `spsetup plan` does; change nothing'),
        planJson,
        // The join from a bundle is another form: its options and --settings exclude each other.
        ...[
          file('bundle', 'join from this settings bundle (with --passphrase-file and --set)', 'B'),
          passphraseFile,
          { ...text('set', 'PATH=VALUE', 'a setting for this node, e.g. hostname=node2 (never a secret; repeatable)'), multiple: true },
          file('service-password-file', "the service account's password, in a file"),
        ].map((o) => ({ ...o, conflicts: ['settings', 'json', 'plan'] })),
      ],
      details: 'Forms:\n  spsetup install --settings F [--plan [--json]] [--yes] [--silent] [--log F]\n  spsetup install --bundle B --passphrase-file P --set hostname=H --set serviceAccount.user=U [--set k=v]... [--service-password-file F] --silent [--log F]',
    },
    { name: 'resume', summary: 'continue a failed or interrupted install', options: [settings, log, hidden(json), hidden(yes), hidden(installCommon[4]!)] },
    { name: 'rollback', summary: 'undo every change the installs recorded, newest first', options: [settings, flag('plan', 'only show what would be undone'), flag('json', 'with --plan: print it as JSON'), log, hidden(yes), hidden(installCommon[4]!)] },
    { name: 'status', summary: "registered nodes and this node's services", options: [settings, json] },
    { name: 'uninstall', summary: "remove this node's services and files (its plan shown first)", options: [settings, flag('remove-data', 'also remove the local database and data folder'), planOnly, flag('json', 'print the plan (with --plan) or what was removed as JSON')] },
    db,
    {
      name: 'bundle',
      summary: 'encrypted settings bundles for rim nodes',
      subcommands: [
        {
          name: 'export',
          summary: 'write an encrypted settings bundle for the rim nodes',
          options: [settings, file('out', 'the bundle to write', 'B'), passphraseFile, file('generate-passphrase', 'make a new passphrase and write it to this file (mode 0600)', 'P'), text('expires', '24h|7d|none', 'when the bundle stops opening (default 24h)')],
        },
        { name: 'inspect', summary: "show a bundle's contents (secrets masked)", operands: ['[bundle]'], options: [passphraseFile] },
      ],
    },
    {
      name: 'spc',
      summary: "the vendor's spc.cfg format",
      subcommands: [
        { name: 'export', summary: 'write an spc.cfg (it holds the password in plain text)', options: [settings, file('out', 'the spc.cfg to write')] },
        { name: 'import', summary: 'settings from an spc.cfg', operands: ['[spc.cfg]'], options: [file('base', 'settings to merge the spc.cfg into'), file('out', 'write the settings here (mode 0600) instead of printing them')] },
      ],
    },
    { name: 'ui', summary: 'the wizard in a browser (127.0.0.1 only, one-time token)', options: [text('port', 'N', 'the port to listen on (default: any free port)'), file('defaults', "the wizard's defaults (JSON)")] },
    { name: 'agent', summary: 'the elevated half of the GUI (started by the GUI)', options: [file('socket', 'the socket or pipe to serve', 'PATH'), file('token-file', "the GUI's one-time token")] },
    {
      name: 'migrate',
      summary: "the guide's upgrade to shared persistence",
      subcommands: [
        { name: 'plan', summary: 'detect the upgrade scenario; the whole migration as a plan', options: [file('settings', 'the migration settings file (JSON)'), json, hidden(log), hidden(yes)] },
        {
          name: 'run',
          summary: 'apply it (continues an unfinished one)',
          options: [file('settings', 'the migration settings file (JSON)'), flag('plan', 'only show the plan, as `migrate plan` does; change nothing'), planJson, yes, log],
        },
        { name: 'resume', summary: 'continue an unfinished migration', options: [file('settings', 'the migration settings file (JSON)'), log, hidden(yes), hidden(json)] },
      ],
    },
    site,
    { name: 'node-agent', summary: 'the node agent service (registered by the install)', options: [file('config', "the agent's configuration")] },
    { name: 'completion', summary: 'print a shell completion script', operands: ['[shell]'], details: 'Bash: eval "$(spsetup completion bash)" (or save it in /etc/bash_completion.d/spsetup).\nZsh: autoload -U bashcompinit && bashcompinit, then the same.' },
  ],
  details: EXIT_CODES,
};

/** Every runnable command with its path, depth first. */
export function leafCommands(spec: CommandSpec = SPSETUP, path: readonly string[] = []): { path: readonly string[]; spec: CommandSpec }[] {
  if (!spec.subcommands) return [{ path, spec }];
  return spec.subcommands.flatMap((s) => leafCommands(s, [...path, s.name]));
}
