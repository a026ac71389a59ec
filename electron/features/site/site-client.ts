/**
 * The administrator's side of site operations (`spsetup site ...`, the Site screen): the site's
 * status, and an operation signed with this node's site key, sent to nodes and followed until each
 * answered or its bound passed (then that node is reported unreachable; the others go on).
 */
import { parseConnectionString } from '../../shared/connection-string.js';
import { UserError } from '../../shared/errors.js';
import type { Settings } from '../../shared/settings.js';
import type { InstallerContext } from '../installer/installer.js';
import { layoutFor } from '../installer/installer.js';
import { resolveSecrets } from '../installer/load-settings.js';
import { agentPaths } from './agent-config.js';
import { siteSchemaVersion } from './schema.js';
import { parseSiteKey } from './site-key.js';
import { readSiteNodes, type SiteNode } from './site-store.js';
import type { SiteSession } from './send-operation.js';
import { repositoryCa } from '../tls/plan-tls.js';

export type { SiteSession } from './send-operation.js';

/** This node's stored site key (text), or undefined when it has none or this account may not read it. */
export async function readStoredSiteKey(settings: Settings, ctx: InstallerContext): Promise<string | undefined> {
  const text = await ctx.sys.secretStore.get(agentPaths(layoutFor(settings, ctx)).siteKeyFile).catch(() => undefined);
  return text === undefined ? undefined : text.trim();
}

/** Connects to the site's repository database with the settings' credentials. */
export async function openSite(settings: Settings, ctx: InstallerContext): Promise<SiteSession> {
  const layout = layoutFor(settings, ctx);
  const secrets = await resolveSecrets(settings, ctx.env ?? process.env);
  const db = settings.database;
  const keyText = await readStoredSiteKey(settings, ctx);
  // Where this node's agent keeps its connection string pointed: the current primary, after a failover too.
  const current = await ctx.sys.secretStore.get(layout.connectionStringFile).then((t) => (t === undefined ? undefined : parseConnectionString(t))).catch(() => undefined);
  const endpoint = current ? { host: current.host, port: current.port } : { host: db.host, port: db.port };
  // The node's connection string is what works now: after site ssl enable or site password rotate
  // the settings file may still say plain, or hold the old password.
  const mode = current?.sslMode;
  const verify = mode === 'VerifyFull' || mode === 'VerifyCA';
  const tls = mode === undefined ? { ssl: db.ssl, ...repositoryCa(settings, layout.dataDir) } : verify ? { ssl: 'verify-full' as const, ...(current?.rootCertificate ? { caFile: current.rootCertificate } : repositoryCa(settings, layout.dataDir)) } : { ssl: mode === 'Require' ? ('require' as const) : db.ssl };
  const password = current?.password || (secrets.get('database.password') ?? '');
  const conn = await ctx.sys.postgres.connect({ ...endpoint, user: db.user, password, database: db.name, ...tls, timeoutMs: 10_000 });
  if ((await siteSchemaVersion(conn)) === 0) {
    await conn.close();
    throw new UserError('not-found', `The repository database ${db.name} on ${endpoint.host}:${endpoint.port} has no spsetup site schema yet.`, 'Run the install (or run it again) on the central node: it creates the schema and starts the node agent.');
  }
  return { conn, database: `${db.name} on ${endpoint.host}:${endpoint.port}`, siteKey: keyText === undefined ? undefined : parseSiteKey(keyText), hostname: settings.hostname, close: () => conn.close() };
}

/** Every node with its services, heartbeat age, versions and database endpoint. */
export async function readSiteStatus(site: SiteSession): Promise<{ database: string; nodes: SiteNode[] }> {
  return { database: site.database, nodes: await readSiteNodes(site.conn) };
}

/** The nodes an operation goes to: the named ones (each must be known), or every node. */
export async function resolveTargets(site: SiteSession, names: readonly string[] | undefined): Promise<string[]> {
  const known = (await readSiteNodes(site.conn)).map((n) => n.hostname);
  if (!names?.length) return known;
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length) throw new UserError('invalid-input', `Unknown node${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}.`, `The site's nodes are: ${known.join(', ')}.`);
  return [...names];
}

// Building and sending operations lives in send-operation.ts (the install's steps use it without
// the session code, which imports the installer).
export { buildOperation, sendOperation, type NodeOutcome } from './send-operation.js';
