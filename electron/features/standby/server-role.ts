/**
 * What a database server is right now, as PostgreSQL itself says: primary or standby
 * (pg_is_in_recovery) and its timeline. A promotion starts a new, higher timeline, so of two
 * servers that both claim to be primary, the one on the lower timeline is the old one (split brain).
 */
import type { PgConnection } from '../../system/postgres/index.js';

export interface ServerRole {
  readonly role: 'primary' | 'standby';
  readonly timeline: number;
}

/** The server's role and timeline (a primary: the timeline it writes WAL on; a standby: the one it replays). */
export async function readServerRole(conn: PgConnection): Promise<ServerRole> {
  const row = (await conn.query<{ rec: boolean; tli: string | null }>(
    `SELECT pg_is_in_recovery() AS rec,
            CASE WHEN pg_is_in_recovery() THEN (SELECT COALESCE((SELECT received_tli FROM pg_stat_wal_receiver), (SELECT timeline_id FROM pg_control_checkpoint())))::text
                 ELSE substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) END AS tli`,
  ))[0]!;
  const timeline = row.rec ? Number(row.tli ?? 0) : parseInt(row.tli ?? '0', 16);
  return { role: row.rec ? 'standby' : 'primary', timeline };
}
