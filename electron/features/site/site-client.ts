/**
 * The administrator's side of site operations (`spsetup site ...`, the Site screen): the site's
 * status, and an operation signed with this node's site key, sent to nodes and followed until each
 * answered or its bound passed (then that node is reported unreachable; the others go on).
 */
import { randomUUID } from 'node:crypto';
import { parseConnectionString } from '../../shared/connection-string.js';
import { UserError } from '../../shared/errors.js';
import type { Settings } from '../../shared/settings.js';
import type { PgConnection } from '../../system/postgres/index.js';
import type { InstallerContext } from '../installer/installer.js';
import { layoutFor } from '../installer/installer.js';
import { resolveSecrets } from '../installer/load-settings.js';
import { agentPaths } from './agent-config.js';
import type { OperationBody, OperationPayload, ResultState } from './operations.js';
import { siteSchemaVersion } from './schema.js';
import { parseSiteKey, signPayload } from './site-key.js';
import { insertOperation, readResults, readSiteNodes, type SiteNode } from './site-store.js';
import { repositoryCa } from '../tls/plan-tls.js';

export interface SiteSession {
  readonly conn: PgConnection;
  readonly database: string;
  /** This node's site key, when it has one (reading status needs none). */
  readonly siteKey: Buffer | undefined;
  readonly hostname: string;
  close(): Promise<void>;
}

/** Connects to the site's repository database with the settings' credentials. */
export async function openSite(settings: Settings, ctx: InstallerContext): Promise<SiteSession> {
  const layout = layoutFor(settings, ctx);
  const secrets = await resolveSecrets(settings, ctx.env ?? process.env);
  const db = settings.database;
  const keyText = await ctx.sys.secretStore.get(agentPaths(layout).siteKeyFile).catch(() => undefined);
  // Where this node's agent keeps its connection string pointed: the current primary, after a failover too.
  const current = await ctx.sys.secretStore.get(layout.connectionStringFile).then((t) => (t === undefined ? undefined : parseConnectionString(t))).catch(() => undefined);
  const endpoint = current ? { host: current.host, port: current.port } : { host: db.host, port: db.port };
  const conn = await ctx.sys.postgres.connect({ ...endpoint, user: db.user, password: secrets.get('database.password') ?? '', database: db.name, ssl: db.ssl, ...repositoryCa(settings, layout.dataDir), timeoutMs: 10_000 });
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

/** Builds the signed payload of an operation; `seal` turns secrets into sealed ones for this id. */
export function buildOperation(site: SiteSession, targets: readonly string[], boundMs: number, body: (id: string, key: Buffer) => OperationBody): { payload: OperationPayload; text: string; signature: string } {
  if (!site.siteKey) throw new UserError('not-found', 'This node has no site key, so it cannot send site operations.', 'Run the command on the central node, or join this node with a settings bundle.');
  const id = randomUUID();
  const now = Date.now();
  const payload: OperationPayload = {
    id,
    targets: [...targets],
    requestedAt: new Date(now).toISOString(),
    requestedBy: `spsetup on ${site.hostname}`,
    deadline: new Date(now + boundMs).toISOString(),
    body: body(id, site.siteKey),
  };
  const text = JSON.stringify(payload);
  return { payload, text, signature: signPayload(site.siteKey, text) };
}

/** A node's answer, or why there is none. */
export interface NodeOutcome {
  readonly hostname: string;
  readonly state: ResultState | 'pending' | 'unreachable' | 'timed-out';
  readonly message: string;
  readonly details?: unknown;
}

const FINAL: readonly string[] = ['done', 'failed', 'refused', 'expired'];

/** Sends the operation and waits until every target answered or the deadline passed. */
export async function sendOperation(site: SiteSession, op: ReturnType<typeof buildOperation>, onProgress?: (outcomes: readonly NodeOutcome[]) => void): Promise<NodeOutcome[]> {
  await insertOperation(site.conn, op.payload, op.text, op.signature);
  const deadline = Date.parse(op.payload.deadline);
  for (;;) {
    const results = await readResults(site.conn, op.payload.id);
    const byHost = new Map(results.map((r) => [r.hostname, r]));
    const over = Date.now() >= deadline;
    const outcomes = op.payload.targets.map((hostname): NodeOutcome => {
      const r = byHost.get(hostname);
      if (r && FINAL.includes(r.state)) return { hostname, state: r.state, message: r.message, details: r.details };
      if (!over) return { hostname, state: r ? 'running' : 'pending', message: '' };
      return r
        ? { hostname, state: 'timed-out', message: 'started but did not finish within the bound; the node finishes it and reports later' }
        : { hostname, state: 'unreachable', message: 'did not answer within the bound (is its node agent running?)' };
    });
    onProgress?.(outcomes);
    if (over || outcomes.every((o) => FINAL.includes(o.state))) return outcomes;
    await new Promise((r) => setTimeout(r, 100));
  }
}
