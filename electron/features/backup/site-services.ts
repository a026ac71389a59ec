/**
 * Stopping and starting the product's services on every node of the site through the node agents
 * (a signed `services` operation: each node stops in the manifest's reverse order and starts in
 * its order, with readiness), for the backup and the restore.
 */
import { UserError } from '../../shared/errors.js';
import { buildOperation, sendOperation, type NodeOutcome, type SiteSession } from '../site/site-client.js';

/** Sends `services <action>` to the nodes and returns each node's outcome. */
export async function siteServices(site: SiteSession, hosts: readonly string[], action: 'stop' | 'start', timeoutMs: number): Promise<NodeOutcome[]> {
  if (!hosts.length) return [];
  return sendOperation(site, buildOperation(site, hosts, timeoutMs, () => ({ kind: 'services', action })));
}

/**
 * Stops the services on every node; when a node did not stop them, starts them again on the
 * nodes that did and refuses: a copy taken while one node still writes would not be consistent.
 */
export async function stopEverywhere(site: SiteSession, hosts: readonly string[], timeoutMs: number, log: (line: string) => void): Promise<string[]> {
  log(`Stopping the services on ${hosts.join(', ')} (through their node agents)...`);
  const outcomes = await siteServices(site, hosts, 'stop', timeoutMs);
  const failed = outcomes.filter((o) => o.state !== 'done');
  const stopped = outcomes.filter((o) => o.state === 'done').map((o) => o.hostname);
  if (!failed.length) return stopped;
  const again = await siteServices(site, stopped, 'start', timeoutMs);
  const restarted = again.filter((o) => o.state === 'done').map((o) => o.hostname);
  throw new UserError(
    'service',
    `The services could not be stopped on ${failed.map((o) => `${o.hostname} (${o.state}${o.message ? `: ${o.message}` : ''})`).join(', ')}; nothing was backed up or restored.${restarted.length ? ` Started again on ${restarted.join(', ')}.` : ''}`,
    'Check the node agents with spsetup site status (each node must be reachable), then run the command again.',
  );
}

/** Starts the services on the nodes again; the nodes where that failed (empty when all started). */
export async function startEverywhere(site: SiteSession, hosts: readonly string[], timeoutMs: number, log: (line: string) => void): Promise<NodeOutcome[]> {
  log(`Starting the services on ${hosts.join(', ')} in the manifest's order...`);
  const outcomes = await siteServices(site, hosts, 'start', timeoutMs);
  return outcomes.filter((o) => o.state !== 'done');
}

/** The nodes that did not start, as a message names them. */
export const describeNotStarted = (nodes: readonly NodeOutcome[]) => nodes.map((o) => `${o.hostname} (${o.state}: ${o.message})`).join(', ');

/**
 * Runs `work` with the services stopped on every node and starts them again whatever happens. A
 * failure of `work` is thrown after the restart; on success, what it made, the downtime (stop to
 * start) and the nodes that did not start again.
 */
export async function withServicesStopped<T>(site: SiteSession, hosts: readonly string[], timeoutMs: number, log: (line: string) => void, work: () => Promise<T>): Promise<{ value: T; downtimeMs: number; notStarted: NodeOutcome[] }> {
  const stopped = await stopEverywhere(site, hosts, timeoutMs, log);
  const stoppedAt = Date.now();
  let value: T;
  try {
    value = await work();
  } catch (err) {
    const notStarted = await startEverywhere(site, stopped, timeoutMs, log);
    if (notStarted.length) log(`The services did not start again on ${describeNotStarted(notStarted)}.`);
    throw err;
  }
  const notStarted = await startEverywhere(site, stopped, timeoutMs, log);
  return { value, downtimeMs: Date.now() - stoppedAt, notStarted };
}
