/**
 * `spsetup site ...`: the whole site from one node, through the node agents and the repository
 * database. status; services stop|start|restart; connection show|set; folders show|set.
 */
import { readFile } from 'node:fs/promises';
import { ExitCode, UserError } from '../../shared/errors.js';
import { formatDuration } from '../../shared/format.js';
import { SSL_MODES } from '../../shared/connection-string.js';
import { loadSettingsFile } from '../../features/installer/load-settings.js';
import { composeContext } from '../../app/compose.js';
import { folderNames } from '../../features/site/operations.js';
import { openSite, readSiteStatus, type SiteSession } from '../../features/site/site-client.js';
import { parseSiteOperationInput, readSite, readSiteSettings, runSiteOperation } from '../../app/site-operations.js';
import type { NodeOutcome, SiteSettingsReport, SiteStatus } from '../../shared/site.js';
import { renderSitePlan } from '../render.js';
import { readSslStatus } from '../../features/tls/ssl-status.js';
import { parseCommand, required } from '../args.js';
import type { CommandIo } from './io.js';

const USAGE = `spsetup site status --settings F [--json]
spsetup site ssl status --settings F [--json]
spsetup site ssl enable --settings NODE_SETTINGS --server-settings DB_SETTINGS [--timeout SECONDS]
spsetup site ssl renew --server-settings DB_SETTINGS [--timeout SECONDS]
spsetup site password rotate --settings F --password-file P [--timeout SECONDS]
spsetup site services stop|start|restart --settings F [--nodes A,B] [--timeout SECONDS] [--json]
spsetup site connection show --settings F [--nodes A,B] [--timeout SECONDS] [--json]
spsetup site connection set --settings F [--host H] [--port N] [--ssl-mode M] [--password-file P] [--nodes A,B] [--no-restart] [--timeout SECONDS]
spsetup site folders show --settings F [--nodes A,B] [--timeout SECONDS] [--json]
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
export async function siteCommand(argv: readonly string[], io: CommandIo, path: readonly string[]): Promise<number> {
  const [group, action] = path;
  if (group === 'backup' || group === 'verify' || group === 'restore') return (await import('./site-backup.js')).siteBackupCommand(argv, io);
  const words = `${group} ${action}`;
  if (words === 'ssl enable' || words === 'ssl renew' || words === 'password rotate') return (await import('./site-ssl.js')).siteSslCommand(argv, io, path);
  const { values } = parseCommand(argv, OPTIONS, USAGE);
  const settings = await loadSettingsFile(required(values.settings, 'settings', USAGE));
  const ctx = composeContext(settings, io.env);
  if (group === 'status') return showStatus(await readSite(settings, ctx), values, io);
  if (group === 'ssl' && action === 'status') {
    const site = await openSite(settings, ctx);
    try {
      return await showSsl(ctx, site, values, io);
    } finally {
      await site.close();
    }
  }
  if ((group === 'connection' || group === 'folders') && action === 'show') {
    const report = await readSiteSettings(settings, ctx, {
      ...(values.nodes !== undefined ? { nodes: values.nodes.split(',').map((n) => n.trim()).filter(Boolean) } : {}),
      ...(values.timeout !== undefined ? { timeoutSeconds: seconds(values.timeout) } : {}),
    });
    return group === 'connection' ? showConnection(report, values, io) : showFolders(report, values, io);
  }
  // The whole command line is checked before anything connects or changes.
  const input = parseSiteOperationInput({
    action: await actionFor(group, action, values),
    ...(values.nodes !== undefined ? { nodes: values.nodes.split(',').map((n) => n.trim()).filter(Boolean) } : {}),
    ...(values.timeout !== undefined ? { timeoutSeconds: seconds(values.timeout) } : {}),
  });
  // With --json stdout holds the outcomes alone; the plan shown first goes to stderr.
  const result = await runSiteOperation(settings, ctx, input, { onPlan: (plan) => (values.json ? io.err : io.out)(renderSitePlan(plan)) });
  return report(result.outcomes, values, io);
}

function seconds(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 3600) throw invalid('--timeout is a whole number of seconds from 1 to 3600.');
  return Number(text);
}

/** The operation the command line asks for, in the form every front end sends. */
async function actionFor(group: string | undefined, action: string | undefined, v: Values): Promise<unknown> {
  if (group === 'services') {
    if (action !== 'stop' && action !== 'start' && action !== 'restart') throw invalid('site services takes stop, start or restart.');
    return { kind: 'services', action };
  }
  if (group === 'connection' && action === 'set') {
    if (v.port !== undefined && !/^\d+$/.test(v.port)) throw invalid('--port is a whole number from 1 to 65535.');
    const sslMode = v['ssl-mode'] === undefined ? undefined : (SSL_MODES.find((m) => m.toLowerCase() === v['ssl-mode']!.toLowerCase()) ?? v['ssl-mode']);
    const password = v['password-file'] === undefined ? undefined : await readPassword(v['password-file']);
    return {
      kind: 'connection',
      ...(v.host !== undefined ? { host: v.host } : {}),
      ...(v.port !== undefined ? { port: Number(v.port) } : {}),
      ...(sslMode !== undefined ? { sslMode } : {}),
      ...(password !== undefined ? { password } : {}),
      restart: !v['no-restart'],
    };
  }
  if (group === 'folders' && action === 'set') {
    const flags: Record<(typeof folderNames)[number], string | undefined> = { root: v.root, apps: v.apps, archivedLogs: v['archived-logs'], customData: v['custom-data'], staticContent: v['static-content'] };
    return { kind: 'folders', folders: Object.fromEntries(folderNames.filter((n) => flags[n] !== undefined).map((n) => [n, flags[n]])) };
  }
  if (group === 'endpoints' && action === 'set') {
    const endpoints = parseEndpoints(v.endpoints);
    return { kind: 'endpoints', endpoints };
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

/** A password from a file (one trailing newline dropped); an unreadable or empty file is refused. */
export async function readPassword(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw invalid(`Cannot read the password file ${path} (${err.code ?? 'error'}).`);
  });
  const password = text.replace(/\r?\n$/, '');
  if (!password) throw invalid(`The password file ${path} is empty.`);
  return password;
}

function showStatus(status: SiteStatus, values: Values, io: CommandIo): number {
  if (values.json) {
    io.out(JSON.stringify(status, null, 2));
    return ExitCode.ok;
  }
  io.out(`Site in ${status.database}:`);
  const cert = status.databaseCertificate;
  if (cert) io.out(`  Database certificate ${cert.subject}: valid until ${cert.notAfter.slice(0, 10)} (${cert.daysLeft < 0 ? 'EXPIRED' : `${cert.daysLeft} days left`})${cert.daysLeft < 30 ? '; renew it: spsetup site ssl renew' : ''}`);
  else io.out('  Database certificate: none (the server does not use SSL)');
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

/** Each node's connection string as its agent read it (the guide's XML escapes decoded; the password never shown). */
function showConnection(report: SiteSettingsReport, values: Values, io: CommandIo): number {
  if (values.json) io.out(JSON.stringify(report, null, 2));
  else {
    io.out(`Connection string on every node of the site in ${report.database} (read by each node agent; the password never leaves its node):`);
    for (const n of report.nodes) {
      const c = n.connection;
      const shown = c
        ? `User ID=${c.userId}; Host=${c.host}; Port=${c.port}; Database=${c.database}; Ssl Mode=${c.sslMode ?? '(none)'}; Password=${c.passwordSet ? '********' : '(empty)'}${c.xmlEscaped ? ' (held with XML escapes)' : ''}`
        : `${n.outcome}: ${n.message}`;
      io.out(`  ${`${n.hostname}${n.isCentral ? ' (central)' : ''}`.padEnd(32)} ${shown}`);
    }
  }
  return report.nodes.every((n) => n.connection) ? ExitCode.ok : ExitCode.applyFailed;
}

/** Each node's service cluster folders as its agent holds them. */
function showFolders(report: SiteSettingsReport, values: Values, io: CommandIo): number {
  if (values.json) io.out(JSON.stringify(report, null, 2));
  else {
    io.out(`Service cluster folders on every node of the site in ${report.database}:`);
    for (const n of report.nodes) {
      io.out(`  ${n.hostname}${n.isCentral ? ' (central)' : ''}${n.folders ? '' : `: ${n.outcome}: ${n.message}`}`);
      if (n.folders) for (const name of folderNames) io.out(`    ${name.padEnd(14)} ${n.folders[name]}`);
    }
  }
  return report.nodes.every((n) => n.folders) ? ExitCode.ok : ExitCode.applyFailed;
}

function report(outcomes: readonly NodeOutcome[], values: Values, io: CommandIo): number {
  if (values.json) io.out(JSON.stringify(outcomes, null, 2));
  else for (const o of outcomes) io.out(`  ${o.hostname.padEnd(30)} ${o.state.padEnd(11)} ${o.message}`);
  return outcomes.every((o) => o.state === 'done') ? ExitCode.ok : ExitCode.applyFailed;
}
