/**
 * Whether each node's current repository connections are encrypted: pg_stat_ssl for the
 * repository role's sessions (the server's own view), matched to the site's nodes by address.
 */
import type { System } from '../../system/system.js';
import type { PgConnection } from '../../system/postgres/index.js';

export interface NodeSsl {
  readonly hostname: string;
  /** The node's repository sessions now: how many, how many over SSL, the TLS versions. */
  readonly connections: number;
  readonly encrypted: number;
  readonly versions: readonly string[];
}

/** Per node (by its host name's addresses), the repository role's sessions other than this one. */
export async function readSslStatus(sys: System, conn: PgConnection, hostnames: readonly string[]): Promise<NodeSsl[]> {
  const rows = await conn.query<{ addr: string; ssl: boolean; version: string | null }>(
    `SELECT host(a.client_addr) AS addr, s.ssl, s.version FROM pg_stat_activity a JOIN pg_stat_ssl s ON s.pid = a.pid
      WHERE a.usename = current_user AND a.client_addr IS NOT NULL AND a.pid <> pg_backend_pid()`,
  );
  return Promise.all(
    hostnames.map(async (hostname) => {
      const addresses = new Set([hostname, ...(await sys.network.resolve(hostname).catch(() => [] as string[]))]);
      const mine = rows.filter((r) => addresses.has(r.addr));
      return {
        hostname,
        connections: mine.length,
        encrypted: mine.filter((r) => r.ssl).length,
        versions: [...new Set(mine.flatMap((r) => (r.version ? [r.version] : [])))].sort(),
      };
    }),
  );
}
