/**
 * spsetup's own schema in the repository database (never the product's tables): the nodes and
 * their agents' heartbeats, the operations addressed to nodes, and each node's result. Versioned:
 * each migration runs once, in order, under an advisory lock so that nodes starting together
 * do not race.
 */
import type { PgConnection } from '../../system/postgres/index.js';

export const SITE_SCHEMA = 'spsetup';
/** The channel agents LISTEN on; the payload is an operation id. */
export const SITE_CHANNEL = 'spsetup_site';
// An arbitrary constant: pg_advisory_xact_lock's key for our migrations.
const MIGRATION_LOCK = 730_514_014;

/** Migrations in order; index + 1 is the version. Never edit a released one: add another. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE spsetup.nodes (
     hostname text PRIMARY KEY,
     is_central boolean NOT NULL,
     spsetup_version text NOT NULL,
     product text NOT NULL,
     product_version text NOT NULL,
     endpoint text NOT NULL,
     endpoints jsonb NOT NULL DEFAULT '[]',
     services jsonb NOT NULL DEFAULT '[]',
     heartbeat_ms integer NOT NULL,
     agent_started_at timestamptz NOT NULL,
     last_heartbeat timestamptz NOT NULL);
   CREATE TABLE spsetup.operations (
     id uuid PRIMARY KEY,
     kind text NOT NULL,
     target_nodes text[] NOT NULL,
     payload text NOT NULL,
     signature text NOT NULL,
     requested_at timestamptz NOT NULL DEFAULT now(),
     requested_by text NOT NULL,
     deadline timestamptz NOT NULL);
   CREATE TABLE spsetup.results (
     operation_id uuid NOT NULL REFERENCES spsetup.operations(id) ON DELETE CASCADE,
     hostname text NOT NULL,
     state text NOT NULL CHECK (state IN ('running', 'done', 'failed', 'refused', 'expired')),
     message text NOT NULL DEFAULT '',
     details jsonb,
     at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (operation_id, hostname));
   CREATE INDEX operations_requested_at ON spsetup.operations (requested_at);`,
  // 2 (issue 18): whether the node's certificates from the central node are installed (null: the product has no registration).
  `ALTER TABLE spsetup.nodes ADD COLUMN registered boolean;`,
];

/** The schema version this spsetup writes and reads. */
export const SITE_SCHEMA_VERSION = MIGRATIONS.length;

/** Creates or migrates the site schema; returns the versions it applied (empty when up to date). */
export async function migrateSiteSchema(conn: PgConnection): Promise<number[]> {
  const applied: number[] = [];
  await conn.query('BEGIN');
  try {
    await conn.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await conn.query(`CREATE SCHEMA IF NOT EXISTS ${SITE_SCHEMA}`);
    await conn.query(`CREATE TABLE IF NOT EXISTS ${SITE_SCHEMA}.schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const current = Number((await conn.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${SITE_SCHEMA}.schema_version`))[0]?.v ?? 0);
    for (let v = current + 1; v <= MIGRATIONS.length; v++) {
      await conn.query(MIGRATIONS[v - 1]!);
      await conn.query(`INSERT INTO ${SITE_SCHEMA}.schema_version (version) VALUES ($1)`, [v]);
      applied.push(v);
    }
    await conn.query('COMMIT');
  } catch (err) {
    await conn.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return applied;
}

/** The schema version in the database (0 when there is none). */
export async function siteSchemaVersion(conn: PgConnection): Promise<number> {
  const exists = await conn.query<{ t: string | null }>(`SELECT to_regclass('${SITE_SCHEMA}.schema_version')::text AS t`);
  if (!exists[0]?.t) return 0;
  return Number((await conn.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${SITE_SCHEMA}.schema_version`))[0]?.v ?? 0);
}
