/**
 * `db status`: every database server of the pair as PostgreSQL reports it: role, timeline, the
 * standbys a primary streams to with their lag in bytes and seconds, its replication slots, and a
 * standby's WAL receiver and replay delay. An unreachable server is listed as such.
 */
import { toErrorInfo } from '../../shared/errors.js';
import type { System } from '../../system/system.js';
import { readServerRole, type ServerRole } from './server-role.js';
import type { StandbySettings } from './standby-settings.js';

export interface ReplicaRow {
  readonly name: string;
  readonly address: string | null;
  readonly state: string;
  readonly syncState: string;
  readonly lagBytes: number | null;
  readonly replayLagSeconds: number | null;
}

export interface SlotRow {
  readonly name: string;
  readonly active: boolean;
  readonly retainedBytes: number | null;
}

export interface ServerStatus {
  readonly endpoint: string;
  readonly reachable: boolean;
  readonly error?: string;
  readonly role?: ServerRole['role'];
  readonly timeline?: number;
  readonly replicas?: readonly ReplicaRow[];
  readonly slots?: readonly SlotRow[];
  readonly receiver?: { readonly status: string | null; readonly sender: string | null; readonly replayDelaySeconds: number | null; readonly lagBytes: number | null };
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** The database endpoints the settings name (primary first). */
export function databaseEndpoints(s: StandbySettings): { host: string; port: number }[] {
  return [
    { host: s.primary.host, port: s.primary.port },
    { host: s.standby.host, port: s.standby.port },
  ];
}

/** Reads one server. */
export async function readServerStatus(sys: System, endpoint: { host: string; port: number }, user: string, password: string): Promise<ServerStatus> {
  const name = `${endpoint.host}:${endpoint.port}`;
  let conn;
  try {
    conn = await sys.postgres.connect({ ...endpoint, user, password, database: 'postgres', timeoutMs: 5_000 });
  } catch (err) {
    return { endpoint: name, reachable: false, error: toErrorInfo(err).message };
  }
  try {
    const role = await readServerRole(conn);
    if (role.role === 'primary') {
      const replicas = await conn.query<Record<string, unknown>>(
        `SELECT application_name AS name, host(client_addr) AS address, state, sync_state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) AS lag, EXTRACT(EPOCH FROM replay_lag) AS replay_lag FROM pg_stat_replication ORDER BY application_name`,
      );
      const slots = await conn.query<Record<string, unknown>>(`SELECT slot_name AS name, active, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) AS retained FROM pg_replication_slots ORDER BY slot_name`);
      return {
        endpoint: name,
        reachable: true,
        ...role,
        replicas: replicas.map((r) => ({ name: String(r['name']), address: (r['address'] as string | null) ?? null, state: String(r['state']), syncState: String(r['sync_state']), lagBytes: num(r['lag']), replayLagSeconds: num(r['replay_lag']) })),
        slots: slots.map((r) => ({ name: String(r['name']), active: Boolean(r['active']), retainedBytes: num(r['retained']) })),
      };
    }
    const rec = (await conn.query<Record<string, unknown>>(
      `SELECT (SELECT status FROM pg_stat_wal_receiver) AS status, (SELECT sender_host || ':' || sender_port FROM pg_stat_wal_receiver) AS sender,
              CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END AS delay,
              pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()) AS lag`,
    ))[0]!;
    return { endpoint: name, reachable: true, ...role, receiver: { status: (rec['status'] as string | null) ?? null, sender: (rec['sender'] as string | null) ?? null, replayDelaySeconds: num(rec['delay']), lagBytes: num(rec['lag']) } };
  } catch (err) {
    return { endpoint: name, reachable: true, error: toErrorInfo(err).message };
  } finally {
    await conn.close();
  }
}

/** Every server of the settings. */
export async function readDbStatus(sys: System, s: StandbySettings, superuserPassword: string): Promise<ServerStatus[]> {
  return Promise.all(databaseEndpoints(s).map((e) => readServerStatus(sys, e, s.primary.superuser, superuserPassword)));
}
