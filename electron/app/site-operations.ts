/**
 * Site operations as use cases, the same for `spsetup site ...` and the wizard's Site screen: the
 * site's status, the plan of an operation (shown before anything is sent), and the run, which
 * sends the signed operation and follows each node until it answered or its bound passed.
 */
import { passwordStorage } from '../features/installer/steps/pg-role-database.js';
import { createHash } from 'node:crypto';
import { UserError } from '../shared/errors.js';
import { formatDuration } from '../shared/format.js';
import type { Settings } from '../shared/settings.js';
import {
  isFinalOutcome,
  SITE_TIMEOUT_SECONDS,
  siteOperationInputSchema,
  type NodeOutcome,
  type SiteAction,
  type SiteNodeInfo,
  type SiteOperationInput,
  type SiteOperationPlan,
  type SiteOperationResult,
  type SiteStatus,
  type DatabaseCertificate,
  type MaskedConnection,
  type SiteFolder,
  type SiteNodeSettings,
  type SiteSettingsReport,
} from '../shared/site.js';
import { getManifest } from '../product/index.js';
import type { InstallerContext } from '../features/installer/installer.js';
import type { OperationBody } from '../features/site/operations.js';
import { buildOperation, openSite, readSiteStatus, sendOperation, type SiteSession } from '../features/site/site-client.js';
import { sealSecret } from '../features/site/site-key.js';
import { inspectCert } from '../system/tls/index.js';

/** Checks a request from any front end; a bad one is an invalid-input error naming the field. */
export function parseSiteOperationInput(raw: unknown): SiteOperationInput {
  const parsed = siteOperationInputSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const list = parsed.error.issues.map((i) => `${i.path.join('.') || 'operation'}: ${i.message}`).join('; ');
  throw new UserError('invalid-input', `The site operation is not valid: ${list}.`, 'Correct it and try again; nothing was sent.');
}

async function withSite<T>(settings: Settings, ctx: InstallerContext, fn: (site: SiteSession) => Promise<T>): Promise<T> {
  const site = await openSite(settings, ctx);
  try {
    return await fn(site);
  } finally {
    await site.close();
  }
}

/** Every node with its services, heartbeat age, versions, central marked, database endpoint. */
export async function readSite(settings: Settings, ctx: InstallerContext): Promise<SiteStatus> {
  return withSite(settings, ctx, async (site) => ({ ...(await readSiteStatus(site)), ...(await databaseCertificate(ctx, site)) }));
}

/** When the database's certificate ends, as any client sees it (nothing when it has no SSL or does not answer). */
async function databaseCertificate(ctx: InstallerContext, site: SiteSession): Promise<{ databaseCertificate?: DatabaseCertificate }> {
  const { host, port } = site.conn.options;
  const cert = await ctx.sys.postgres.serverCertificate(host, port, 5000).catch(() => undefined);
  if (!cert) return {};
  return { databaseCertificate: { subject: cert.subject, notAfter: cert.notAfter.toISOString(), daysLeft: Math.floor((cert.notAfter.getTime() - Date.now()) / 86_400_000) } };
}

/** The manifest's services of a node's product, in start order. */
function productServices(product: string, fallback: Settings['product']): string[] {
  const id = product === 'reference' || product === 'qlik-sense' ? product : fallback;
  return getManifest(id).services.map((s) => s.name);
}

function titleOf(action: SiteAction): string {
  switch (action.kind) {
    case 'services':
      return `${action.action[0]!.toUpperCase()}${action.action.slice(1)} the services`;
    case 'connection':
      return `Set the connection string's ${connectionFields(action).join(', ')}`;
    case 'folders':
      return `Set the service cluster folders (${Object.keys(action.folders).join(', ')})`;
    case 'endpoints':
      return `Set the database endpoints (${action.endpoints.map((e) => `${e.host}:${e.port}`).join(', ')})`;
  }
}

function connectionFields(a: Extract<SiteAction, { kind: 'connection' }>): string[] {
  return [...(a.host !== undefined ? ['Host'] : []), ...(a.port !== undefined ? ['Port'] : []), ...(a.sslMode !== undefined ? ['Ssl Mode'] : []), ...(a.password !== undefined ? ['Password'] : []), ...(a.rootCertificate !== undefined ? ['Root Certificate'] : [])];
}

/** The CA's subject for the plan ("a certificate" when it cannot be read: the agent refuses it then). */
function caSubject(pem: string): string {
  return inspectCert(pem)?.subject ?? 'a certificate';
}

/** What the operation does on a node running `services` (in start order). */
function nodeSteps(action: SiteAction, services: readonly string[]): string[] {
  const stop = [...services].reverse().map((s) => `stop ${s}`);
  const start = services.map((s) => `start ${s} and wait until it is ready`);
  switch (action.kind) {
    case 'services':
      return action.action === 'stop' ? stop : action.action === 'start' ? start : [...stop, ...start];
    case 'connection': {
      const set = [
        ...(action.host !== undefined ? [`Host=${action.host}`] : []),
        ...(action.port !== undefined ? [`Port=${action.port}`] : []),
        ...(action.sslMode !== undefined ? [`Ssl Mode=${action.sslMode}`] : []),
        ...(action.password !== undefined ? ['Password=******** (sealed with the site key)'] : []),
        ...(action.rootCertificate !== undefined ? ['Root Certificate=<the node\'s data folder>/database-ca.pem'] : []),
      ];
      return [...(action.rootCertificate !== undefined ? [`write the CA the node verifies the server with (${caSubject(action.rootCertificate)}) to database-ca.pem in its data folder`] : []), `set ${set.join(', ')} in the node's connection string (XML escapes written as the product reads them)`, ...(action.restart === false ? [] : [...stop, ...start]), 'the node agent reconnects with the new string'];
    }
    case 'folders':
      return [
        ...Object.entries(action.folders).map(([name, value]) => `set ${name} to ${value} in the product configuration (backed up first)`),
        'the services read the folders when they start: restart them afterwards',
      ];
    case 'endpoints':
      return [`hold the database endpoints ${action.endpoints.map((e) => `${e.host}:${e.port}`).join(', ')} in the node agent's configuration (the first is the primary)`];
  }
}

/** The operation's body for the agents, with any secret sealed for this operation id. */
function bodyFor(action: SiteAction): (id: string, key: Buffer) => OperationBody {
  switch (action.kind) {
    case 'services':
      return () => ({ kind: 'services', action: action.action });
    case 'connection':
      return (id, key) => ({
        kind: 'connection',
        fields: {
          ...(action.host !== undefined ? { host: action.host } : {}),
          ...(action.port !== undefined ? { port: action.port } : {}),
          ...(action.sslMode !== undefined ? { sslMode: action.sslMode } : {}),
          ...(action.password !== undefined ? { password: sealSecret(key, action.password, id) } : {}),
          ...(action.rootCertificate !== undefined ? { rootCertificate: action.rootCertificate } : {}),
        },
        restart: action.restart !== false,
      });
    case 'folders':
      return () => ({ kind: 'folders', folders: { ...action.folders } });
    case 'endpoints':
      return () => ({ kind: 'endpoints', endpoints: action.endpoints.map((e) => ({ host: e.host, port: e.port })) });
  }
}

function targetsOf(nodes: readonly SiteNodeInfo[], names: readonly string[] | undefined): SiteNodeInfo[] {
  if (!nodes.length) throw new UserError('not-found', 'No node agent has reported to the site yet, so there is no node to send the operation to.', 'Install (or run the install again on) the nodes: it starts their node agents.');
  if (!names?.length) return [...nodes];
  const unknown = names.filter((n) => !nodes.some((x) => x.hostname === n));
  if (unknown.length) throw new UserError('invalid-input', `Unknown node${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}.`, `The site's nodes are: ${nodes.map((n) => n.hostname).join(', ')}.`);
  return nodes.filter((n) => names.includes(n.hostname));
}

/** The plan of an operation from the site's status (pure; exported for its unit test). */
export function planOf(settings: Settings, status: SiteStatus, input: SiteOperationInput): SiteOperationPlan {
  const targets = targetsOf(status.nodes, input.nodes);
  const timeoutMs = (input.timeoutSeconds ?? SITE_TIMEOUT_SECONDS.default) * 1000;
  const { action } = input;
  const before = action.kind === 'connection' && action.password !== undefined ? [`change the password of the database role ${settings.database.user} (stored by the server as a verifier, never as text)`] : [];
  const nodes = targets.map((n) => ({ hostname: n.hostname, isCentral: n.isCentral, reachable: n.reachable, steps: nodeSteps(action, productServices(n.product, settings.product)) }));
  const warnings = targets
    .filter((n) => !n.reachable)
    .map((n) => `${n.hostname} has sent no heartbeat for ${formatDuration(n.heartbeatAgeMs)}: unless its node agent runs again within the bound, it is reported unreachable (the others go on).`);
  const title = titleOf(action);
  // What the plan shows, hashed: a run whose plan differs (another node, another value) is stale.
  const shown = { title, before, nodes: nodes.map(({ hostname, steps }) => ({ hostname, steps })), timeoutMs };
  const id = createHash('sha256').update(JSON.stringify(shown)).digest('hex').slice(0, 16);
  return { id, title, database: status.database, before, nodes, timeoutMs, warnings };
}

/** The plan of an operation: which nodes, what each does, in what order, within what bound. Changes nothing. */
export async function planSiteOperation(settings: Settings, ctx: InstallerContext, input: SiteOperationInput): Promise<SiteOperationPlan> {
  return withSite(settings, ctx, async (site) => planOf(settings, await readSiteStatus(site), input));
}

export interface RunSiteOptions {
  /** The plan the user reviewed: refused as stale when the site no longer gives the same plan. */
  readonly planId?: string;
  /** Shown before the operation is sent (the CLI prints it). */
  readonly onPlan?: (plan: SiteOperationPlan) => void;
  readonly onProgress?: (operationId: string, outcomes: readonly NodeOutcome[]) => void;
}

/** Plans, checks the plan is the reviewed one, then sends the operation and follows every node. */
export async function runSiteOperation(settings: Settings, ctx: InstallerContext, input: SiteOperationInput, options: RunSiteOptions = {}): Promise<SiteOperationResult> {
  return withSite(settings, ctx, async (site) => {
    const plan = planOf(settings, await readSiteStatus(site), input);
    if (options.planId !== undefined && options.planId !== plan.id) {
      throw new UserError('stale-plan', 'The site changed since the plan was shown (a node came or went, or a value changed), so this plan is no longer current.', 'Show the plan again and review it.');
    }
    options.onPlan?.(plan);
    if (!site.siteKey) throw new UserError('not-found', 'This node has no site key, so it cannot send site operations.', 'Run this on the central node (as an administrator), or join this node with a settings bundle.');
    const { action } = input;
    if (action.kind === 'connection' && action.password !== undefined) await site.conn.ensureRole(settings.database.user, action.password, passwordStorage(settings.database));
    const op = buildOperation(site, plan.nodes.map((n) => n.hostname), plan.timeoutMs, bodyFor(action));
    const outcomes = await sendOperation(site, op, (o) => options.onProgress?.(op.payload.id, o));
    return { operationId: op.payload.id, outcomes, ok: outcomes.every((o) => o.state === 'done' && isFinalOutcome(o)) };
  });
}

/** How long a node has to report its settings when asked (a read: shorter than an operation's default). */
export const SITE_SHOW_TIMEOUT_SECONDS = 15;

/**
 * Every node's connection string (password masked on the node) and service cluster folders, asked
 * of its agent with a signed `status` operation; a node that does not answer in time says so.
 */
export async function readSiteSettings(settings: Settings, ctx: InstallerContext, request: { readonly nodes?: readonly string[]; readonly timeoutSeconds?: number } = {}): Promise<SiteSettingsReport> {
  return withSite(settings, ctx, async (site) => {
    const status = await readSiteStatus(site);
    const targets = targetsOf(status.nodes, request.nodes);
    if (!site.siteKey) throw new UserError('not-found', 'This node has no site key, so it cannot ask the nodes for their settings.', 'Run this on the central node (as an administrator), or join this node with a settings bundle.');
    const op = buildOperation(site, targets.map((n) => n.hostname), (request.timeoutSeconds ?? SITE_SHOW_TIMEOUT_SECONDS) * 1000, () => ({ kind: 'status' }));
    const outcomes = await sendOperation(site, op);
    return {
      database: status.database,
      nodes: targets.map((n): SiteNodeSettings => {
        const o = outcomes.find((x) => x.hostname === n.hostname);
        const details = (o?.details ?? {}) as { connection?: MaskedConnection | string; folders?: Record<SiteFolder, string> };
        return {
          hostname: n.hostname,
          isCentral: n.isCentral,
          outcome: o?.state ?? 'unreachable',
          message: typeof details.connection === 'string' ? `its connection string is ${details.connection}` : (o?.message ?? ''),
          ...(typeof details.connection === 'object' ? { connection: details.connection } : {}),
          ...(details.folders ? { folders: details.folders } : {}),
        };
      }),
    };
  });
}
