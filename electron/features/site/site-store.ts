/** The queries on spsetup's site schema, shared by the agent and the `site` commands. */
import type { PgConnection } from '../../system/postgres/index.js';
import type { ServiceState } from '../../system/types.js';
import type { OperationPayload, ResultState } from './operations.js';
import type { SiteNodeInfo } from '../../shared/site.js';

/** What a node says of itself: stored by its heartbeat, shown by `site status`. */
type NodeIdentity = Pick<SiteNodeInfo, 'hostname' | 'isCentral' | 'spsetupVersion' | 'product' | 'productVersion' | 'endpoint'> & {
  readonly services: readonly { readonly name: string; readonly state: ServiceState }[];
};

export interface NodeHeartbeat extends NodeIdentity {
  readonly endpoints: readonly string[];
  readonly heartbeatMs: number;
  readonly agentStartedAt: Date;
  /** Whether the node's certificates from the central node are installed; undefined when the product has no registration. */
  readonly registered?: boolean;
}

/** Records this node's heartbeat (and everything it reports) as of the database's clock. */
export async function writeHeartbeat(conn: PgConnection, h: NodeHeartbeat): Promise<void> {
  await conn.query(
    `INSERT INTO spsetup.nodes (hostname, is_central, spsetup_version, product, product_version, endpoint, endpoints, services, heartbeat_ms, agent_started_at, last_heartbeat, registered)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10, now(), $11)
     ON CONFLICT (hostname) DO UPDATE SET is_central = EXCLUDED.is_central, spsetup_version = EXCLUDED.spsetup_version, product = EXCLUDED.product,
       product_version = EXCLUDED.product_version, endpoint = EXCLUDED.endpoint, endpoints = EXCLUDED.endpoints, services = EXCLUDED.services,
       heartbeat_ms = EXCLUDED.heartbeat_ms, agent_started_at = EXCLUDED.agent_started_at, last_heartbeat = now(), registered = EXCLUDED.registered`,
    [h.hostname, h.isCentral, h.spsetupVersion, h.product, h.productVersion, h.endpoint, JSON.stringify(h.endpoints), JSON.stringify(h.services), h.heartbeatMs, h.agentStartedAt, h.registered ?? null],
  );
}

/** A node as `site status` shows it (the IPC contract's SiteNodeInfo, with typed service states). */
export type SiteNode = Omit<SiteNodeInfo, 'services'> & NodeIdentity;

/** Every node of the site, central first. */
export async function readSiteNodes(conn: PgConnection): Promise<SiteNode[]> {
  const rows = await conn.query<{
    hostname: string; is_central: boolean; spsetup_version: string; product: string; product_version: string; endpoint: string;
    services: { name: string; state: ServiceState }[]; heartbeat_ms: number; age_ms: string; registered: boolean | null;
  }>(
    `SELECT hostname, is_central, spsetup_version, product, product_version, endpoint, services, heartbeat_ms, registered,
            (extract(epoch FROM (now() - last_heartbeat)) * 1000)::bigint AS age_ms
       FROM spsetup.nodes ORDER BY is_central DESC, hostname`,
  );
  return rows.map((r) => ({
    hostname: r.hostname,
    isCentral: r.is_central,
    spsetupVersion: r.spsetup_version,
    product: r.product,
    productVersion: r.product_version,
    endpoint: r.endpoint,
    services: r.services,
    heartbeatAgeMs: Math.max(0, Number(r.age_ms)),
    reachable: Number(r.age_ms) <= 3 * r.heartbeat_ms,
    registered: r.registered,
  }));
}

/** An operation row as an agent reads it: the signed payload, its signature, and this node's result so far. */
export interface OperationRow {
  readonly id: string;
  readonly payload: string;
  readonly signature: string;
  readonly state: ResultState | null;
}

/** Operations addressed to `hostname` that have no final result from it (oldest first). */
export async function pendingOperations(conn: PgConnection, hostname: string): Promise<OperationRow[]> {
  return conn.query<{ id: string; payload: string; signature: string; state: ResultState | null }>(
    `SELECT o.id::text AS id, o.payload, o.signature, r.state
       FROM spsetup.operations o LEFT JOIN spsetup.results r ON r.operation_id = o.id AND r.hostname = $1
      WHERE $1 = ANY (o.target_nodes) AND (r.state IS NULL OR r.state = 'running')
      ORDER BY o.requested_at, o.id`,
    [hostname],
  );
}

/** Writes this node's result of an operation (one row per node, the latest state wins). */
export async function writeResult(conn: PgConnection, id: string, hostname: string, state: ResultState, message: string, details?: unknown): Promise<void> {
  await conn.query(
    `INSERT INTO spsetup.results (operation_id, hostname, state, message, details, at) VALUES ($1, $2, $3, $4, $5::jsonb, now())
     ON CONFLICT (operation_id, hostname) DO UPDATE SET state = EXCLUDED.state, message = EXCLUDED.message, details = EXCLUDED.details, at = now()`,
    [id, hostname, state, message, details === undefined ? null : JSON.stringify(details)],
  );
}

/** Inserts a signed operation and wakes the agents. */
export async function insertOperation(conn: PgConnection, payload: OperationPayload, text: string, signature: string): Promise<void> {
  await conn.query(
    `INSERT INTO spsetup.operations (id, kind, target_nodes, payload, signature, requested_at, requested_by, deadline) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [payload.id, payload.body.kind, payload.targets, text, signature, payload.requestedAt, payload.requestedBy, payload.deadline],
  );
  await conn.query(`SELECT pg_notify('spsetup_site', $1)`, [payload.id]);
}

/** Each target's result of an operation. */
export async function readResults(conn: PgConnection, id: string): Promise<{ hostname: string; state: ResultState; message: string; details: unknown }[]> {
  return conn.query(`SELECT hostname, state, message, details FROM spsetup.results WHERE operation_id = $1 ORDER BY hostname`, [id]);
}
