/**
 * The central-ports preflight of a join (issue 18): before any change, this node opens a TCP
 * connection to every port the product needs on the other side (the central node's repository API
 * and certificate distribution, and the repository database), so a firewall between the nodes is
 * found here, with the port named, instead of as a failed certificate hand-over after the install.
 */
import { UserError } from '../../shared/errors.js';
import type { Settings } from '../../shared/settings.js';
import type { System } from '../../system/system.js';
import type { NodeLayout } from './layout.js';

const CONNECT_TIMEOUT_MS = 4_000;

/** One port this node must reach, and why. */
export interface NeededRemotePort {
  readonly host: string;
  readonly port: number;
  readonly what: string;
}

/** The ports a joining node needs: the database's, and the central node's API ports when the product registers nodes. */
export function centralPorts(settings: Settings, layout: NodeLayout, centralHost: string | undefined): NeededRemotePort[] {
  const ports: NeededRemotePort[] = [{ host: settings.database.host, port: settings.database.port, what: 'repository database' }];
  const spec = layout.manifest.registration;
  if (spec && centralHost !== undefined) {
    ports.push({ host: centralHost, port: spec.apiPort, what: 'repository API' }, { host: centralHost, port: spec.distributionPort, what: 'certificate distribution' });
  }
  return ports;
}

/** The central node's host name as the repository database records it (undefined when it cannot be read). */
async function findCentralHost(sys: System, settings: Settings, layout: NodeLayout, password: string | undefined, ca: { readonly caFile?: string; readonly ca?: string }): Promise<string | undefined> {
  const query = layout.manifest.nodesQuery;
  if (!query || !password) return undefined;
  const db = settings.database;
  const conn = await sys.postgres.connect({ host: db.host, port: db.port, user: db.user, password, database: db.name, ssl: db.ssl, ...ca, timeoutMs: 10_000 }).catch(() => undefined);
  if (!conn) return undefined;
  try {
    const rows = await conn.query<{ hostname: string; is_central: boolean }>(query).catch(() => []);
    return rows.find((r) => r.is_central)?.hostname;
  } finally {
    await conn.close();
  }
}

/** Checks every port of `centralPorts` from this node; a closed one fails with the port and the fix. */
export async function checkCentralPorts(sys: System, settings: Settings, layout: NodeLayout, password: string | undefined, ca: { readonly caFile?: string; readonly ca?: string }): Promise<string> {
  const central = await findCentralHost(sys, settings, layout, password, ca);
  const ports = centralPorts(settings, layout, central);
  const reached = await Promise.all(ports.map((p) => sys.network.canConnect(p.host, p.port, CONNECT_TIMEOUT_MS)));
  const closed = ports.filter((_, i) => !reached[i]);
  const name = (p: NeededRemotePort) => `${p.host}:${p.port} (${p.what})`;
  if (closed.length) {
    throw new UserError(
      'preflight-failed',
      `This node cannot reach ${closed.map(name).join(', ')} within ${CONNECT_TIMEOUT_MS / 1000} s.`,
      `Open TCP ${closed.map((p) => `port ${p.port} on ${p.host}`).join(', ')} for ${settings.hostname} (the firewall on that machine and between the nodes), and check that the service listens there; then run again.`,
    );
  }
  const missing = layout.manifest.registration && central === undefined ? ' (the central node\'s API ports are checked once the database names the central node)' : '';
  return `Reached ${ports.map(name).join(', ')}${missing}.`;
}
