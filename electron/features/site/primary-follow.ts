/**
 * How a node agent finds the repository database's current primary among its endpoints, and so
 * keeps its node off a server that is not it (no split brain): every endpoint is asked what it is
 * (pg_is_in_recovery, timeline); the primary on the highest timeline wins, and never one on a
 * timeline lower than the highest this node has seen (a promotion starts a higher timeline, so an
 * old primary that comes back after a failover is on a lower one). The highest timeline seen is
 * kept in the agent's state folder, so a restarted agent remembers it.
 */
import { formatConnectionString, parseConnectionString, toClientConfig } from '../../shared/connection-string.js';
import { toErrorInfo } from '../../shared/errors.js';
import type { System } from '../../system/system.js';
import type { PgConnectOptions } from '../../system/postgres/index.js';
import { readServerRole } from '../standby/server-role.js';
import type { AgentConfig } from './agent-config.js';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export interface EndpointProbe {
  readonly endpoint: Endpoint;
  readonly role?: 'primary' | 'standby';
  readonly timeline?: number;
  /** Why it could not be asked. */
  readonly error?: string;
}

export const endpointText = (e: Endpoint) => `${e.host}:${e.port}`;
const same = (a: Endpoint, b: Endpoint) => a.host === b.host && a.port === b.port;

/** The endpoints to ask: the connection string's first, then the configured ones, each once. */
export function candidateEndpoints(current: Endpoint, configured: readonly Endpoint[]): Endpoint[] {
  const out: Endpoint[] = [current];
  for (const e of configured) if (!out.some((o) => same(o, e))) out.push(e);
  return out;
}

/**
 * The endpoint to use: the primary on the highest timeline, not below `knownTimeline`; the
 * current one wins a tie. Undefined when no endpoint qualifies.
 */
export function choosePrimary(probes: readonly EndpointProbe[], current: Endpoint, knownTimeline: number): EndpointProbe | undefined {
  const primaries = probes.filter((p) => p.role === 'primary' && (p.timeline ?? 0) >= knownTimeline);
  if (!primaries.length) return undefined;
  const top = Math.max(...primaries.map((p) => p.timeline ?? 0));
  const best = primaries.filter((p) => (p.timeline ?? 0) === top);
  return best.find((p) => same(p.endpoint, current)) ?? best[0];
}

/** Asks each endpoint what it is, in parallel, each bounded. */
export async function probeEndpoints(sys: System, endpoints: readonly Endpoint[], credentials: Omit<PgConnectOptions, 'host' | 'port' | 'timeoutMs'>, timeoutMs: number): Promise<EndpointProbe[]> {
  return Promise.all(
    endpoints.map(async (endpoint): Promise<EndpointProbe> => {
      let conn;
      try {
        conn = await sys.postgres.connect({ ...credentials, ...endpoint, timeoutMs });
        return { endpoint, ...(await readServerRole(conn)) };
      } catch (err) {
        return { endpoint, error: toErrorInfo(err).message };
      } finally {
        await conn?.close().catch(() => undefined);
      }
    }),
  );
}

const stateFile = (config: AgentConfig) => `${config.stateDir}/site/primary.json`;

/** The highest timeline this node has seen a primary on (0 when none yet). */
export async function readKnownTimeline(sys: System, config: AgentConfig): Promise<number> {
  const text = await sys.files.readText(stateFile(config)).catch(() => undefined);
  if (!text) return 0;
  try {
    const t = (JSON.parse(text) as { timeline?: unknown }).timeline;
    return typeof t === 'number' && Number.isInteger(t) && t > 0 ? t : 0;
  } catch {
    return 0;
  }
}

async function saveKnownTimeline(sys: System, config: AgentConfig, timeline: number, endpoint: Endpoint): Promise<void> {
  await sys.files.ensureDir(`${config.stateDir}/site`, { mode: 0o700 });
  await sys.files.writeAtomic(stateFile(config), `${JSON.stringify({ timeline, endpoint: endpointText(endpoint), at: new Date().toISOString() })}\n`, { mode: 0o600 });
}

export type FollowOutcome =
  /** Use this endpoint; `moved` when the connection string was re-pointed to it. */
  | { readonly kind: 'use'; readonly endpoint: Endpoint; readonly timeline: number; readonly moved: boolean }
  /** No endpoint is the current primary; `fenced` when the connection string's server is an old primary. */
  | { readonly kind: 'none'; readonly fenced: boolean; readonly message: string };

export interface FollowHooks {
  /** Restarts the product services (after the connection string moved, or after a fence). */
  readonly restartServices: () => Promise<void>;
  /** Stops the product services (their server is an old primary). */
  readonly stopServices: () => Promise<void>;
  readonly log: (line: string) => void;
}

/**
 * Decides where the node's repository connection goes. With one endpoint there is nothing to
 * choose and nothing is asked. Otherwise the connection string is re-pointed to the current
 * primary (the product services restarted in the manifest's order), or, when its server is an
 * old primary and no current one is reachable, the product services are stopped so that nothing
 * writes to it.
 */
export async function followPrimary(sys: System, config: AgentConfig, state: { fenced: boolean }, hooks: FollowHooks): Promise<FollowOutcome> {
  const text = await sys.secretStore.get(config.connectionStringFile);
  if (text === undefined) throw new Error(`the connection string ${config.connectionStringFile} is missing`);
  const fields = parseConnectionString(text);
  const current = { host: fields.host, port: fields.port };
  const endpoints = candidateEndpoints(current, config.endpoints);
  if (endpoints.length === 1) return { kind: 'use', endpoint: current, timeline: 0, moved: false };
  const known = await readKnownTimeline(sys, config);
  const c = toClientConfig(fields);
  const probes = await probeEndpoints(sys, endpoints, { user: c.user, password: c.password, database: c.database, ssl: c.ssl === false ? 'disable' : 'require' }, 3_000);
  const best = choosePrimary(probes, current, known);
  if (!best) {
    const mine = probes[0]!;
    const old = mine.role === 'primary' && (mine.timeline ?? 0) < known;
    if (old && !state.fenced) {
      hooks.log(`${endpointText(current)} is an old primary (timeline ${mine.timeline} < ${known}) and no current primary answers: product services stopped so that nothing writes to it`);
      await hooks.stopServices();
      state.fenced = true;
    }
    const seen = probes.map((p) => `${endpointText(p.endpoint)} ${p.role ? `${p.role} timeline ${p.timeline}` : `unreachable (${p.error ?? '?'})`}`).join('; ');
    return { kind: 'none', fenced: state.fenced, message: `no current primary among the database endpoints: ${seen}` };
  }
  const timeline = best.timeline ?? 0;
  if (timeline > known) await saveKnownTimeline(sys, config, timeline, best.endpoint);
  if (same(best.endpoint, current)) {
    if (state.fenced) {
      hooks.log(`${endpointText(current)} is the primary again (timeline ${timeline}): product services started`);
      await hooks.restartServices();
      state.fenced = false;
    }
    return { kind: 'use', endpoint: current, timeline, moved: false };
  }
  const next = formatConnectionString({ ...fields, host: best.endpoint.host, port: best.endpoint.port });
  await sys.secretStore.put(config.connectionStringFile, next, config.account);
  hooks.log(`following the primary: ${endpointText(current)} -> ${endpointText(best.endpoint)} (timeline ${timeline}); restarting the product services`);
  // Until they are back up, a retry restarts them again.
  state.fenced = true;
  await hooks.restartServices();
  state.fenced = false;
  return { kind: 'use', endpoint: best.endpoint, timeline, moved: true };
}
