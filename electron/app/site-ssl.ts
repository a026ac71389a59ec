/**
 * `spsetup site ssl enable` (issue 15): SSL for a running site in the one order that never cuts a
 * node off. 1. the server takes SSL beside the plain rules (db prepare --keep-plain); 2. every node
 * is switched through its agent (Ssl Mode=Require, services restarted in order); 3. wait until the
 * server sees every node's sessions encrypted (pg_stat_ssl); 4. only then the plain rules go
 * (hostssl only, hostnossl reject). Every refusal that can happen before step 1 (bad certificate,
 * no site key, a node not reporting) happens before any change.
 */
import { UserError } from '../shared/errors.js';
import type { Settings } from '../shared/settings.js';
import type { Plan, ProgressEvent } from '../shared/plan.js';
import type { SiteOperationPlan, SiteOperationResult } from '../shared/site.js';
import type { InstallerContext } from '../features/installer/installer.js';
import { applyDatabasePreparation, prepareDatabaseServer, type PreparationResult } from '../features/installer/db-prepare.js';
import { openSite, readSiteStatus } from '../features/site/site-client.js';
import { readSslStatus, type NodeSsl } from '../features/tls/ssl-status.js';
import type { PresentedCertificate } from '../system/postgres/index.js';
import { runSiteOperation } from './site-operations.js';
import { serverCertNames, siteCaDir } from '../features/tls/plan-tls.js';
import { siteCaPaths } from '../features/tls/site-ca.js';
import { defaultPaths } from '../shared/settings.js';
import { getManifest } from '../product/index.js';

export interface SslEnableInput {
  /** A node's settings (the central node's): its site key signs the switch. */
  readonly node: Settings;
  readonly nodeCtx: InstallerContext;
  /** The database server's settings, as for db prepare (superuser password, listener, database.ssl, database.tls). */
  readonly server: Settings;
  readonly serverCtx: InstallerContext;
  readonly timeoutSeconds: number;
  readonly say: (line: string) => void;
  readonly showPlan: (plan: Plan) => void;
  /** The nodes' part (phase 2), shown before it is sent. */
  readonly showSitePlan?: (plan: SiteOperationPlan) => void;
  readonly onEvent?: (e: ProgressEvent) => void;
}

export type SslEnableResult =
  | { readonly outcome: 'done'; readonly status: readonly NodeSsl[] }
  | { readonly outcome: 'server-failed'; readonly phase: 'accept-both' | 'ssl-only'; readonly result: PreparationResult }
  | { readonly outcome: 'nodes-failed'; readonly switched: SiteOperationResult | undefined; readonly status: readonly NodeSsl[] };

/** Every node's SSL state now, read by the server (pg_stat_ssl). */
export async function siteSslStatus(settings: Settings, ctx: InstallerContext): Promise<NodeSsl[]> {
  const site = await openSite(settings, ctx);
  try {
    const nodes = (await readSiteStatus(site)).nodes.map((n) => n.hostname);
    return await readSslStatus(ctx.sys, site.conn, nodes);
  } finally {
    await site.close();
  }
}

const allEncrypted = (s: readonly NodeSsl[]) => s.length > 0 && s.every((n) => n.connections > 0 && n.encrypted === n.connections);

/** Checks what can be checked without changing anything: SSL asked for, site key, every node reporting. */
async function precheck(input: SslEnableInput): Promise<void> {
  if (input.server.database.ssl === 'disable') {
    throw new UserError('invalid-input', 'The database server settings have database.ssl "disable". Nothing was changed.', 'Set database.ssl to "require" in the server settings (database.tls for your own certificate).');
  }
  if (input.server.database.ssl === 'verify-full') await precheckVerifyFull(input);
  const site = await openSite(input.node, input.nodeCtx);
  try {
    if (!site.siteKey) throw new UserError('not-found', 'This node has no site key, so it cannot switch the nodes. Nothing was changed.', 'Give the central node\'s settings (its state folder holds the site key).');
    const nodes = (await readSiteStatus(site)).nodes;
    const silent = nodes.filter((n) => !n.reachable).map((n) => n.hostname);
    // A node that cannot be switched now would be cut off when the plain rules go.
    if (silent.length) throw new UserError('preflight-failed', `No recent heartbeat from ${silent.join(', ')}: it could not be switched and would be cut off. Nothing was changed.`, 'Start its node agent (or uninstall the node), then run again.');
    if (!nodes.length) throw new UserError('not-found', 'No node agent has reported to the site yet. Nothing was changed.', 'Install the nodes first.');
  } finally {
    await site.close();
  }
}

/**
 * verify-full: the nodes will check the server's name against its certificate, so the name they
 * connect to must be one it carries, and there must be a CA to give them. Refused before any change.
 */
async function precheckVerifyFull(input: SslEnableInput): Promise<void> {
  const names = serverCertNames(input.server);
  const host = input.node.database.host;
  if (!names.some((n) => n.toLowerCase() === host.toLowerCase())) {
    throw new UserError('invalid-input', `The nodes connect to the database as ${host}, which the server certificate would not name (it names ${names.join(', ')}); under verify-full every node would refuse the server. Nothing was changed.`, `Add ${host} to database.tls.names in the server settings (or give a certificate that names it).`);
  }
  const tls = input.server.database.tls;
  if (tls?.certFile !== undefined && tls.caFile === undefined) {
    throw new UserError('invalid-input', 'Under verify-full the nodes need the CA that signed the given server certificate, and database.tls.caFile is not set. Nothing was changed.', 'Set database.tls.caFile in the server settings to the CA certificate (PEM).');
  }
}

/** The CA the nodes trust under verify-full: the given database.tls.caFile, else the site CA the server's certificate comes from. */
async function nodeTrust(input: SslEnableInput): Promise<string> {
  const given = input.server.database.tls?.caFile;
  const stateDir = input.server.stateDir ?? defaultPaths(input.serverCtx.sys.platform, getManifest(input.server.product).folder).stateDir;
  const path = given ?? siteCaPaths(siteCaDir(stateDir)).cert;
  const pem = await input.serverCtx.sys.files.readText(path).catch(() => undefined);
  if (pem === undefined) throw new UserError('not-found', `The CA certificate ${path} cannot be read, so the nodes cannot be given it.`, 'Check database.tls.caFile (or the site CA in the state folder), then run again.');
  return pem;
}

async function serverPhase(input: SslEnableInput, keepPlain: boolean): Promise<PreparationResult> {
  const prepared = await prepareDatabaseServer(input.server, input.serverCtx, { keepPlain });
  input.showPlan(prepared.plan);
  return applyDatabasePreparation(prepared, input.serverCtx, input.onEvent ? { onEvent: input.onEvent } : {});
}

/** Waits (bounded) until the server sees every node's repository sessions encrypted. */
async function waitEncrypted(input: SslEnableInput): Promise<NodeSsl[]> {
  const deadline = Date.now() + input.timeoutSeconds * 1000;
  for (;;) {
    const status = await siteSslStatus(input.node, input.nodeCtx);
    if (allEncrypted(status) || Date.now() > deadline) return status;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Runs the four phases; stops (plain still accepted, nobody cut off) when a node does not switch. */
export async function enableSiteSsl(input: SslEnableInput): Promise<SslEnableResult> {
  await precheck(input);
  // The first plan's checks (certificate and key, hba, settings) refuse before any change.
  input.say('1/4 The server accepts SSL beside plain connections.');
  const both = await serverPhase(input, true);
  if (both.outcome !== 'done') return { outcome: 'server-failed', phase: 'accept-both', result: both };
  const verify = input.server.database.ssl === 'verify-full';
  input.say(`2/4 Every node switches to Ssl Mode=${verify ? 'VerifyFull (with the CA it checks the server against)' : 'Require'} through its agent and restarts its services.`);
  let switched: SiteOperationResult | undefined;
  try {
    const action = verify ? ({ kind: 'connection', sslMode: 'VerifyFull', rootCertificate: await nodeTrust(input), restart: true } as const) : ({ kind: 'connection', sslMode: 'Require', restart: true } as const);
    switched = await runSiteOperation(input.node, input.nodeCtx, { action, timeoutSeconds: input.timeoutSeconds }, input.showSitePlan ? { onPlan: input.showSitePlan } : {});
    for (const o of switched.outcomes) input.say(`  ${o.hostname.padEnd(30)} ${o.state.padEnd(11)} ${o.message}`);
  } catch (err) {
    input.say(`  switching the nodes failed: ${(err as Error).message}`);
  }
  input.say('3/4 Waiting until the server sees every node encrypted (pg_stat_ssl).');
  const status = await waitEncrypted(input);
  for (const n of status) input.say(`  ${n.hostname.padEnd(30)} ${n.encrypted} of ${n.connections} session(s) encrypted${n.versions.length ? ` (${n.versions.join(', ')})` : ''}`);
  if (!switched?.ok || !allEncrypted(status)) return { outcome: 'nodes-failed', switched, status };
  input.say('4/4 Plain connections of the repository role are refused from now on.');
  const only = await serverPhase(input, false);
  if (only.outcome !== 'done') return { outcome: 'server-failed', phase: 'ssl-only', result: only };
  return { outcome: 'done', status: await siteSslStatus(input.node, input.nodeCtx) };
}

export type SslRenewResult =
  | { readonly outcome: 'done'; readonly before?: PresentedCertificate; readonly after: PresentedCertificate }
  | { readonly outcome: 'server-failed'; readonly result: PreparationResult };

/**
 * `spsetup site ssl renew`, on the database server: a new server certificate from the site CA (or
 * the pair now given in database.tls), then a reload, confirmed by the certificate the server
 * presents. The CA stays the same, so the nodes (Require, or verify-full with the CA) need nothing
 * pushed and keep their sessions.
 */
export async function renewSiteSsl(input: Pick<SslEnableInput, 'server' | 'serverCtx' | 'say' | 'showPlan' | 'onEvent' | 'timeoutSeconds'>): Promise<SslRenewResult> {
  const { server, serverCtx } = input;
  if (server.database.ssl === 'disable') throw new UserError('invalid-input', 'The database server settings have database.ssl "disable": there is no certificate to renew. Nothing was changed.', 'Turn SSL on first: spsetup site ssl enable.');
  const port = server.database.port;
  const before = await serverCtx.sys.postgres.serverCertificate('127.0.0.1', port, 5000).catch(() => undefined);
  if (!before) throw new UserError('preflight-failed', `The server on 127.0.0.1:${port} presents no certificate (SSL is off). Nothing was changed.`, 'Turn SSL on first: spsetup site ssl enable.');
  const prepared = await prepareDatabaseServer(server, serverCtx, { renewCertificate: true });
  input.showPlan(prepared.plan);
  if (prepared.plan.steps.find((s) => s.id === 'database-certificate')?.action === 'noop') {
    throw new UserError('invalid-input', 'The certificate given in database.tls is the one installed already. Nothing was changed.', 'Give the new certificate and key in database.tls.certFile and keyFile (or remove them to use the site CA).');
  }
  const result = await applyDatabasePreparation(prepared, serverCtx, input.onEvent ? { onEvent: input.onEvent } : {});
  if (result.outcome !== 'done') return { outcome: 'server-failed', result };
  // The certificate step reloaded the server and waited for the new certificate; confirmed here as a client sees it.
  const deadline = Date.now() + input.timeoutSeconds * 1000;
  for (;;) {
    const after = await serverCtx.sys.postgres.serverCertificate('127.0.0.1', port, 5000).catch(() => undefined);
    if (after && after.fingerprint256 !== before.fingerprint256) {
      input.say(`The server presents the new certificate: valid until ${after.notAfter.toISOString().slice(0, 10)} (was ${before.notAfter.toISOString().slice(0, 10)}). The CA is unchanged: nothing to push to the nodes.`);
      return { outcome: 'done', before, after };
    }
    if (Date.now() > deadline) throw new UserError('verify-failed', 'The new certificate is written but the server still presents the old one after the reload.', 'Check the server log, then run spsetup site ssl renew again.');
    await new Promise((r) => setTimeout(r, 300));
  }
}
