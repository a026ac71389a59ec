/**
 * `spsetup site ...`: the whole site from one node, through the node agents and the repository
 * database. status; services stop|start|restart; connection show|set; folders show|set.
 */
import { readFile } from 'node:fs/promises';
import { escapeIdentifier, escapeLiteral } from 'pg';
import { ExitCode, UserError } from '../../shared/errors.js';
import { formatDuration } from '../../shared/format.js';
import { parseConnectionString, SSL_MODES } from '../../shared/connection-string.js';
import { decodeXmlEscapes } from '../../shared/xml-text.js';
import { loadSettingsFile } from '../../features/installer/load-settings.js';
import { composeContext } from '../../app/compose.js';
import { layoutFor } from '../../features/installer/installer.js';
import { buildOperation, openSite, readSiteStatus, resolveTargets, sendOperation, type NodeOutcome, type SiteSession } from '../../features/site/site-client.js';
import { describeOperation, folderNames, type OperationBody } from '../../features/site/operations.js';
import { sealSecret } from '../../features/site/site-key.js';
import { scramVerifier } from '../../system/postgres/index.js';
import { readSslStatus } from '../../features/tls/ssl-status.js';
import { parseCommand, required } from '../args.js';
import type { CommandIo } from './io.js';

const USAGE = `spsetup site status --settings F [--json]
spsetup site ssl status --settings F [--json]
spsetup site services stop|start|restart --settings F [--nodes A,B] [--timeout SECONDS] [--json]
spsetup site connection show --settings F
spsetup site connection set --settings F [--host H] [--port N] [--ssl-mode M] [--password-file P] [--nodes A,B] [--no-restart] [--timeout SECONDS]
spsetup site folders show --settings F
spsetup site folders set --settings F [--root R] [--apps A] [--archived-logs L] [--custom-data C] [--static-content S] [--nodes A,B] [--timeout SECONDS]
spsetup site endpoints set --settings F --endpoints HOST:PORT,HOST:PORT [--nodes A,B] [--timeout SECONDS]   (the database primary and its standbys)`;

const OPTIONS = {
  settings: { type: 'string' },
  json: { type: 'boolean' },
  nodes: { type: 'string' },
  timeout: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'ssl-mode': { type: 'string' },
  'password-file': { type: 'string' },
  'no-restart': { type: 'boolean' },
  root: { type: 'string' },
  apps: { type: 'string' },
  'archived-logs': { type: 'string' },
  'custom-data': { type: 'string' },
  'static-content': { type: 'string' },
  endpoints: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseCommand<typeof OPTIONS>>['values'];

const invalid = (message: string) => new UserError('invalid-input', message, `Usage:\n${USAGE}`);

/** spsetup site <subcommand> ... */
export async function siteCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  if (argv[0] === 'backup' || argv[0] === 'verify' || argv[0] === 'restore') return (await import('./site-backup.js')).siteBackupCommand(argv, io);
  const { values, positionals } = parseCommand(argv, OPTIONS, USAGE);
  const [group, action, ...rest] = positionals;
  if (rest.length) throw invalid(`Unexpected argument "${rest[0]}".`);
  const settings = await loadSettingsFile(required(values.settings, 'settings', USAGE));
  const ctx = composeContext(settings, io.env);
  const timeoutMs = values.timeout === undefined ? 60_000 : seconds(values.timeout);
  // Check the whole command line before anything connects or changes.
  const body = group === 'status' || action === 'show' || (group === 'ssl' && action === 'status') ? undefined : await operationFor(group, action, values);
  const site = await openSite(settings, ctx);
  try {
    if (group === 'status') return await showStatus(site, values, io);
    if (group === 'ssl' && action === 'status') return await showSsl(ctx, site, values, io);
    if (group === 'connection' && action === 'show') return await showConnection(ctx, settings, io);
    if (group === 'folders' && action === 'show') return showFolders(layoutFor(settings, ctx).share, io);
    if (!body) throw invalid('Unknown site command.');
    const targets = await resolveTargets(site, values.nodes?.split(',').map((n) => n.trim()).filter(Boolean));
    if (body.kind === 'connection' && body.password !== undefined) await setRolePassword(site, body.password);
    const op = buildOperation(site, targets, timeoutMs, (id, key) => body.build(id, key));
    io.out(`Plan: ${describeOperation(op.payload.body)} on ${targets.join(', ')} (each node within ${formatDuration(timeoutMs)}).`);
    const outcomes = await sendOperation(site, op);
    return report(outcomes, values, io);
  } finally {
    await site.close();
  }
}

function seconds(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 3600) throw invalid('--timeout is a whole number of seconds from 1 to 3600.');
  return Number(text) * 1000;
}

interface PendingOperation {
  readonly kind: OperationBody['kind'];
  /** The new repository password (set on the role before the nodes get it). */
  readonly password?: string;
  build(id: string, key: Buffer): OperationBody;
}


async function operationFor(group: string | undefined, action: string | undefined, v: Values): Promise<PendingOperation> {
  if (group === 'services') {
    if (action !== 'stop' && action !== 'start' && action !== 'restart') throw invalid('site services takes stop, start or restart.');
    return { kind: 'services', build: () => ({ kind: 'services', action }) };
  }
  if (group === 'connection' && action === 'set') {
    const port = v.port === undefined ? undefined : Number(v.port);
    if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) throw invalid('--port is a whole number from 1 to 65535.');
    const sslMode = v['ssl-mode'] === undefined ? undefined : SSL_MODES.find((m) => m.toLowerCase() === v['ssl-mode']!.toLowerCase());
    if (v['ssl-mode'] !== undefined && !sslMode) throw invalid(`--ssl-mode is one of ${SSL_MODES.join(', ')}.`);
    if (v.host !== undefined && !v.host.trim()) throw invalid('--host must not be empty.');
    const password = v['password-file'] === undefined ? undefined : await readPassword(v['password-file']);
    if (v.host === undefined && port === undefined && !sslMode && password === undefined) throw invalid('site connection set needs at least one of --host, --port, --ssl-mode, --password-file.');
    return {
      kind: 'connection',
      ...(password !== undefined ? { password } : {}),
      build: (id, key) => ({
        kind: 'connection',
        fields: {
          ...(v.host !== undefined ? { host: v.host.trim() } : {}),
          ...(port !== undefined ? { port } : {}),
          ...(sslMode ? { sslMode } : {}),
          ...(password !== undefined ? { password: sealSecret(key, password, id) } : {}),
        },
        restart: !v['no-restart'],
      }),
    };
  }
  if (group === 'folders' && action === 'set') {
    const given: Record<string, string> = {};
    const flags: Record<(typeof folderNames)[number], string | undefined> = { root: v.root, apps: v.apps, archivedLogs: v['archived-logs'], customData: v['custom-data'], staticContent: v['static-content'] };
    for (const name of folderNames) {
      const value = flags[name];
      if (value === undefined) continue;
      if (!value.trim() || /[\u0000-\u001f]/.test(value)) throw invalid(`The ${name} folder must be a path without control characters.`);
      given[name] = value;
    }
    if (!Object.keys(given).length) throw invalid('site folders set needs at least one folder option.');
    return { kind: 'folders', build: () => ({ kind: 'folders', folders: given }) };
  }
  if (group === 'endpoints' && action === 'set') {
    const endpoints = parseEndpoints(v.endpoints);
    return { kind: 'endpoints', build: () => ({ kind: 'endpoints', endpoints }) };
  }
  throw invalid(`Unknown site command "${[group, action].filter(Boolean).join(' ')}".`);
}

/** --endpoints HOST:PORT,...: one to eight servers, each once. */
function parseEndpoints(text: string | undefined): { host: string; port: number }[] {
  if (text === undefined || !text.trim()) throw invalid('site endpoints set needs --endpoints HOST:PORT,HOST:PORT (the primary and its standbys).');
  const out = text.split(',').map((item) => {
    const m = /^\s*([A-Za-z0-9.-]+):(\d{1,5})\s*$/.exec(item);
    const port = Number(m?.[2]);
    if (!m || port < 1 || port > 65535) throw invalid(`"${item.trim()}" is not HOST:PORT (a host name or IPv4 address, a port 1..65535).`);
    return { host: m[1]!, port };
  });
  const keys = out.map((e) => `${e.host}:${e.port}`);
  if (new Set(keys).size !== keys.length) throw invalid('--endpoints names a server twice.');
  if (out.length > 8) throw invalid('--endpoints takes at most 8 servers.');
  return out;
}

async function readPassword(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw invalid(`Cannot read the password file ${path} (${err.code ?? 'error'}).`);
  });
  const password = text.replace(/\r?\n$/, '');
  if (!password) throw invalid(`The password file ${path} is empty.`);
  return password;
}

/** The repository role's new password, stored by the server as a SCRAM verifier (never the text). */
async function setRolePassword(site: SiteSession, password: string): Promise<void> {
  const role = (await site.conn.query<{ u: string }>('SELECT current_user AS u'))[0]!.u;
  await site.conn.query(`ALTER ROLE ${escapeIdentifier(role)} PASSWORD ${escapeLiteral(scramVerifier(password))}`);
}

async function showStatus(site: SiteSession, values: Values, io: CommandIo): Promise<number> {
  const status = await readSiteStatus(site);
  if (values.json) {
    io.out(JSON.stringify(status, null, 2));
    return ExitCode.ok;
  }
  io.out(`Site in ${status.database}:`);
  for (const n of status.nodes) {
    const seen = n.reachable ? `heartbeat ${formatDuration(n.heartbeatAgeMs)} ago` : `UNREACHABLE (last heartbeat ${formatDuration(n.heartbeatAgeMs)} ago)`;
    const registered = n.registered === null ? '' : n.registered ? '  registered' : '  NOT REGISTERED';
    io.out(`  ${n.hostname}${n.isCentral ? ' (central)' : ''}${registered}  ${seen}  spsetup ${n.spsetupVersion}, ${n.product} ${n.productVersion}, database ${n.endpoint}`);
    for (const s of n.services) io.out(`    ${s.name.padEnd(36)} ${s.state}`);
  }
  if (!status.nodes.length) io.out('  (no node agent has reported yet)');
  return ExitCode.ok;
}

/** Per node: whether its repository connections are encrypted now (exit 1 when one is not). */
async function showSsl(ctx: ReturnType<typeof composeContext>, site: SiteSession, values: Values, io: CommandIo): Promise<number> {
  const nodes = (await readSiteStatus(site)).nodes.map((n) => n.hostname);
  const status = await readSslStatus(ctx.sys, site.conn, nodes);
  const allEncrypted = status.every((n) => n.connections > 0 && n.encrypted === n.connections);
  if (values.json) io.out(JSON.stringify(status, null, 2));
  else {
    io.out(`Repository connections in ${site.database}:`);
    for (const n of status) {
      const state = n.connections === 0 ? 'no connection now' : n.encrypted === n.connections ? `encrypted (${n.versions.join(', ')})` : `${n.connections - n.encrypted} of ${n.connections} NOT encrypted`;
      io.out(`  ${n.hostname.padEnd(30)} ${state}`);
    }
  }
  return allEncrypted ? ExitCode.ok : ExitCode.applyFailed;
}

async function showConnection(ctx: ReturnType<typeof composeContext>, settings: Awaited<ReturnType<typeof loadSettingsFile>>, io: CommandIo): Promise<number> {
  const layout = layoutFor(settings, ctx);
  const text = await ctx.sys.secretStore.get(layout.connectionStringFile);
  if (text === undefined) throw new UserError('not-found', `This node has no connection string (${layout.connectionStringFile}).`, 'Install the node first.');
  const f = parseConnectionString(text);
  // A password read back from an XML configuration may hold escapes (the guide's warning): shown decoded, masked.
  const decoded = decodeXmlEscapes(f.password);
  io.out(`Connection string on ${settings.hostname} (${layout.connectionStringFile}):`);
  io.out(`  User ID=${f.userId}; Host=${f.host}; Port=${f.port}; Database=${f.database}; Ssl Mode=${f.sslMode ?? '(none)'}; Password=${decoded ? '********' : '(empty)'}${decoded !== f.password ? ' (held with XML escapes)' : ''}`);
  return ExitCode.ok;
}

function showFolders(share: ReturnType<typeof layoutFor>['share'], io: CommandIo): number {
  io.out('Service cluster folders:');
  for (const name of folderNames) io.out(`  ${name.padEnd(14)} ${share[name]}`);
  return ExitCode.ok;
}

function report(outcomes: readonly NodeOutcome[], values: Values, io: CommandIo): number {
  if (values.json) io.out(JSON.stringify(outcomes, null, 2));
  else for (const o of outcomes) io.out(`  ${o.hostname.padEnd(30)} ${o.state.padEnd(11)} ${o.message}`);
  return outcomes.every((o) => o.state === 'done') ? ExitCode.ok : ExitCode.applyFailed;
}
