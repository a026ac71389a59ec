/**
 * A site operation signed with the site key, sent to nodes through the repository database and
 * followed until each answered or its bound passed (then that node is reported unreachable).
 */
import { randomUUID } from 'node:crypto';
import { UserError } from '../../shared/errors.js';
import type { PgConnection } from '../../system/postgres/index.js';
import type { OperationBody, OperationPayload, ResultState } from './operations.js';
import { signPayload } from './site-key.js';
import { insertOperation, readResults } from './site-store.js';

export interface SiteSession {
  readonly conn: PgConnection;
  readonly database: string;
  /** This node's site key, when it has one (reading status needs none). */
  readonly siteKey: Buffer | undefined;
  readonly hostname: string;
  close(): Promise<void>;
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
