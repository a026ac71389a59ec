/**
 * The `node-registration` step of a rim node (the guide's "open the QMC on the central node and
 * add the rim node"): a signed `register-node` operation makes the central node's agent create or
 * reuse the node in its repository API and start its registration; the one-time password comes
 * back sealed with the site key and goes to this node's certificate set-up on 127.0.0.1, which
 * fetches the certificates from the central node. Done when they are installed and signed by the
 * site's root. Running it again on a registered node changes nothing; resume redoes it (the
 * central node then redistributes). No undo of its own: the certificates live in the data folder,
 * whose undo removes them (the planner marks the step undone with it); the central node keeps the
 * node's configuration.
 */
import { z } from 'zod';
import { UserError } from '../../shared/errors.js';
import { defineStepKind } from '../../engine/step-kind.js';
import type { System } from '../../system/system.js';
import { repositoryConnection } from '../installer/steps/params.js';
import { buildOperation, sendOperation, type SiteSession } from '../site/send-operation.js';
import { openSecret, parseSiteKey } from '../site/site-key.js';
import { certificateSetupRequest } from './qrs-requests.js';
import { readNodeCertificates } from './node-certificates.js';

const registrationSpec = z.object({
  apiPort: z.number().int(),
  distributionPort: z.number().int(),
  certificateSetupPort: z.number().int(),
  apiUser: z.string(),
  certificates: z.object({ dir: z.string(), clientCert: z.string(), clientKey: z.string(), root: z.string() }),
});

const params = z.object({
  hostname: z.string(),
  dataDir: z.string(),
  registration: registrationSpec,
  repository: repositoryConnection,
  siteKeyFile: z.string(),
  /** How long the central node's agent has to answer, and the certificates to arrive. */
  timeoutMs: z.number().int().positive().default(120_000),
});
type Params = z.infer<typeof params>;

async function state(sys: System, p: Params) {
  return readNodeCertificates(sys.files, sys.platform, p.dataDir, p.registration);
}

/** The central node as its agent reports it in the site schema. */
async function centralOf(conn: SiteSession['conn']): Promise<string> {
  const rows = await conn.query<{ hostname: string }>('SELECT hostname FROM spsetup.nodes WHERE is_central');
  const central = rows[0]?.hostname;
  if (!central) throw new UserError('not-found', 'No central node agent is part of the site, so nothing can register this node.', 'Install (or run the install again on) the central node with its services started, then resume here.');
  return central;
}

/** The sealed password of a finished operation's details. */
function sealedPassword(details: unknown): { sealed: string } {
  const password = (details as { password?: unknown } | undefined)?.password;
  if (typeof password !== 'object' || password === null || typeof (password as { sealed?: unknown }).sealed !== 'string') {
    throw new UserError('apply-failed', 'The central node started the registration but sent no password back.', 'Check the node agent log on the central node, then resume.');
  }
  return password as { sealed: string };
}

export const nodeRegistrationStep = defineStepKind<typeof params, System>({
  kind: 'node-registration',
  params,
  async check(p, { sys }) {
    const s = await state(sys, p);
    if (s.installed) return { action: 'noop', summary: `${p.hostname} is registered: its certificates from the central node are installed` };
    return {
      action: 'create',
      summary:
        `Register ${p.hostname} with the central node through the repository API (port ${p.registration.apiPort} there): the central node's agent starts the registration, ` +
        `the one-time password goes to this node's certificate set-up (127.0.0.1:${p.registration.certificateSetupPort}), which fetches the certificates from the central node's port ${p.registration.distributionPort}`,
    };
  },
  async apply(p, { sys, secret, log }) {
    if ((await state(sys, p)).installed) return { registered: 'already' };
    const keyText = await sys.secretStore.get(p.siteKeyFile);
    if (keyText === undefined) throw new UserError('not-found', `This node has no site key (${p.siteKeyFile}), so it cannot ask the central node to register it.`, 'Give the central node\'s site key as cluster.siteKey and run again.');
    const siteKey = parseSiteKey(keyText);
    const conn = await sys.postgres.connect({ ...p.repository, password: secret(p.repository.password.secret), timeoutMs: 10_000 });
    let password: string;
    let nodeId: unknown;
    try {
      const central = await centralOf(conn);
      const site: SiteSession = { conn, database: p.repository.database, siteKey, hostname: p.hostname, close: () => conn.close() };
      const op = buildOperation(site, [central], p.timeoutMs, () => ({ kind: 'register-node', hostname: p.hostname }));
      log(`asking the central node ${central} to start the registration of ${p.hostname} (operation ${op.payload.id})`);
      const [outcome] = await sendOperation(site, op);
      if (outcome?.state !== 'done') {
        throw new UserError('apply-failed', `The central node ${central} did not start the registration: ${outcome?.state ?? 'no answer'}${outcome?.message ? ` (${outcome.message})` : ''}.`, `Check that the node agent and the repository service run on ${central}, then resume.`);
      }
      password = openSecret(siteKey, sealedPassword(outcome.details), op.payload.id);
      nodeId = (outcome.details as { nodeId?: unknown }).nodeId;
    } finally {
      await conn.close();
    }
    const req = certificateSetupRequest(p.registration, password);
    let res;
    try {
      res = await sys.network.request({ ...req, timeoutMs: p.timeoutMs });
    } catch (err) {
      throw new UserError('network', `This node's certificate set-up (127.0.0.1:${p.registration.certificateSetupPort}) did not answer: ${(err as Error).message}.`, 'Check that the repository service runs on this node, then resume.');
    }
    if (res.status !== 200) {
      const why = res.body.slice(0, 300);
      throw new UserError('apply-failed', `The certificate set-up refused the registration (${res.status}): ${why}.`, `Check that this node reaches the central node's port ${p.registration.distributionPort} (certificate distribution), then resume.`);
    }
    const deadline = Date.now() + p.timeoutMs;
    while (!(await state(sys, p)).installed) {
      if (Date.now() > deadline) throw new UserError('timeout', `The certificates did not arrive within ${Math.round(p.timeoutMs / 1000)} s.`, 'Check the repository service log on this node, then resume.');
      await new Promise((r) => setTimeout(r, 250));
    }
    log(`${p.hostname} registered: certificates from the central node installed`);
    return { registered: 'now', ...(typeof nodeId === 'string' ? { nodeId } : {}) };
  },
  async verify(p, { sys }) {
    const s = await state(sys, p);
    if (!s.installed) throw new UserError('verify-failed', `${p.hostname} is not registered: ${s.why}.`, 'Resume to register it again.');
  },
});
