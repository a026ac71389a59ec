/**
 * The reference repository's schema and node registration. The synchronization tables carry the
 * exact quoted mixed-case names the guide truncates, so the migration's TRUNCATE runs for real.
 */
import type pg from 'pg';
import { QRS_SCHEMA_SQL } from './qrs-store.js';

/** The tables the guide truncates when moving from synchronized to shared persistence. */
export const SYNC_TABLES = [
  'AppAvailabilities',
  'SyncSessions',
  'BinaryDownloadProperties',
  'BinaryDownloads',
  'BinaryDeleteProperties',
  'BinaryDeletes',
  'BinarySyncRuleEvaluations',
] as const;

/** Rows (hostname, is_central, last_seen) of the registered nodes: the manifest's nodesQuery. */
export const NODES_QUERY = 'SELECT hostname, is_central, last_seen FROM nodes ORDER BY registered_at, hostname';

/** One row (is_central) when the host ($1) is registered: the manifest's registrationQuery. */
export const REGISTRATION_QUERY = 'SELECT is_central FROM nodes WHERE hostname = $1';

/**
 * Restore onto a new site (the manifest's restoreNodes): the old central released, then each node of
 * this site registered. The old nodes' rows stay (apps name them as owners), as a removed node's do.
 */
export const RESTORE_NODES = {
  release: 'UPDATE nodes SET is_central = false WHERE is_central',
  register: 'INSERT INTO nodes (hostname, is_central, last_seen) VALUES ($1, $2, NULL) ON CONFLICT (hostname) DO UPDATE SET is_central = EXCLUDED.is_central',
} as const;

// A fixed advisory lock key, so concurrent bootstraps of several nodes serialise.
const SCHEMA_LOCK_KEY = 724_242_001;

const SCHEMA_SQL = [
  `CREATE TABLE IF NOT EXISTS nodes (
     hostname text PRIMARY KEY,
     is_central boolean NOT NULL DEFAULT false,
     last_seen timestamptz,
     registered_at timestamptz NOT NULL DEFAULT now()
   )`,
  // At most one central node, even when two bootstraps race.
  `CREATE UNIQUE INDEX IF NOT EXISTS nodes_single_central ON nodes (is_central) WHERE is_central`,
  `CREATE TABLE IF NOT EXISTS apps (
     id bigserial PRIMARY KEY,
     name text NOT NULL,
     owner_node text REFERENCES nodes (hostname) ON DELETE SET NULL,
     file_name text,
     created_at timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE TABLE IF NOT EXISTS "AppAvailabilities" (
     "ID" bigserial PRIMARY KEY, "AppID" bigint REFERENCES apps (id) ON DELETE CASCADE, "HostName" text, "Available" boolean NOT NULL DEFAULT false)`,
  `CREATE TABLE IF NOT EXISTS "SyncSessions" (
     "ID" bigserial PRIMARY KEY, "HostName" text, "StartedAt" timestamptz NOT NULL DEFAULT now(), "State" text)`,
  `CREATE TABLE IF NOT EXISTS "BinaryDownloads" (
     "ID" bigserial PRIMARY KEY, "AppID" bigint REFERENCES apps (id) ON DELETE CASCADE, "HostName" text, "CreatedAt" timestamptz NOT NULL DEFAULT now())`,
  `CREATE TABLE IF NOT EXISTS "BinaryDownloadProperties" (
     "ID" bigserial PRIMARY KEY, "BinaryDownloadID" bigint REFERENCES "BinaryDownloads" ("ID"), "Name" text, "Value" text)`,
  `CREATE TABLE IF NOT EXISTS "BinaryDeletes" (
     "ID" bigserial PRIMARY KEY, "AppID" bigint, "HostName" text, "CreatedAt" timestamptz NOT NULL DEFAULT now())`,
  `CREATE TABLE IF NOT EXISTS "BinaryDeleteProperties" (
     "ID" bigserial PRIMARY KEY, "BinaryDeleteID" bigint REFERENCES "BinaryDeletes" ("ID"), "Name" text, "Value" text)`,
  `CREATE TABLE IF NOT EXISTS "BinarySyncRuleEvaluations" (
     "ID" bigserial PRIMARY KEY, "AppID" bigint REFERENCES apps (id) ON DELETE CASCADE, "HostName" text, "Result" boolean)`,
  // The repository API's objects (node configurations and registrations, data connections, rules).
  ...QRS_SCHEMA_SQL,
];

/** Another node is already central; the bootstrap changes nothing. */
export class CentralConflictError extends Error {
  override readonly name = 'CentralConflictError';
  constructor(readonly centralHost: string, hostname: string) {
    super(
      `Node ${centralHost} is already the central node of this cluster, so ${hostname} cannot be registered as central. ` +
        'Run the bootstrap without -iscentral to join this node as a rim node.',
    );
  }
}

export interface RegisterResult {
  /** What changed: a new node, a rim promoted to central, or nothing. */
  readonly action: 'registered' | 'promoted' | 'unchanged';
  readonly isCentral: boolean;
  readonly schemaCreated: boolean;
}

export interface NodeRow {
  readonly hostname: string;
  readonly is_central: boolean;
  readonly last_seen: Date | null;
  readonly registered_at: Date;
}

/**
 * Creates the schema if missing and registers the node, in one transaction under a lock, so it is
 * idempotent and safe when several nodes bootstrap at once. A rim bootstrap (no -iscentral) on an
 * already-registered node keeps its role.
 */
export async function bootstrapRepository(client: pg.Client, hostname: string, central: boolean): Promise<RegisterResult> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
    const existed = await client.query<{ present: boolean }>("SELECT to_regclass('nodes') IS NOT NULL AS present");
    const schemaCreated = existed.rows[0]?.present !== true;
    for (const sql of SCHEMA_SQL) await client.query(sql);
    const centralRow = await client.query<{ hostname: string }>('SELECT hostname FROM nodes WHERE is_central');
    const currentCentral = centralRow.rows[0]?.hostname;
    if (central && currentCentral !== undefined && currentCentral !== hostname) {
      throw new CentralConflictError(currentCentral, hostname);
    }
    const mine = await client.query<NodeRow>('SELECT * FROM nodes WHERE hostname = $1', [hostname]);
    const row = mine.rows[0];
    let result: RegisterResult;
    if (row === undefined) {
      await client.query('INSERT INTO nodes (hostname, is_central, last_seen) VALUES ($1, $2, now())', [hostname, central]);
      result = { action: 'registered', isCentral: central, schemaCreated };
    } else if (central && !row.is_central) {
      await client.query('UPDATE nodes SET is_central = true WHERE hostname = $1', [hostname]);
      result = { action: 'promoted', isCentral: true, schemaCreated };
    } else {
      result = { action: 'unchanged', isCentral: row.is_central, schemaCreated };
    }
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** This node's row, or undefined when the schema or the node is missing. */
export async function readNode(client: pg.Client, hostname: string): Promise<NodeRow | undefined> {
  const present = await client.query<{ present: boolean }>("SELECT to_regclass('nodes') IS NOT NULL AS present");
  if (present.rows[0]?.present !== true) return undefined;
  const res = await client.query<NodeRow>('SELECT * FROM nodes WHERE hostname = $1', [hostname]);
  return res.rows[0];
}

/** Records a heartbeat; false when the node is no longer registered. */
export async function touchNode(client: pg.Client, hostname: string): Promise<boolean> {
  const res = await client.query('UPDATE nodes SET last_seen = now() WHERE hostname = $1', [hostname]);
  return (res.rowCount ?? 0) > 0;
}
