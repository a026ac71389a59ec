/**
 * Facts: what the machine looks like before planning. A plan records their fingerprint, and is
 * refused as stale when they change between planning and applying.
 */
import type { System } from '../../system/system.js';
import type { NodeLayout } from './layout.js';

export type PortState = 'free' | 'ours' | 'used';

export interface NodeFacts {
  readonly serviceManager: string;
  readonly accountExists: boolean;
  readonly paths: Readonly<Record<string, boolean>>;
  readonly ports: Readonly<Record<string, PortState>>;
  readonly services: Readonly<Record<string, string>>;
}

/** Ports this node's services need, with the service that owns each. */
export function neededPorts(layout: NodeLayout): { port: number; service: string }[] {
  const ports = layout.services.flatMap((s) => (s.spec ? s.spec.ports.map((port) => ({ port, service: s.def.name })) : []));
  if (layout.localDb) ports.unshift({ port: layout.localDb.port, service: layout.manifest.database.service.name });
  return ports;
}

/** Gathers the facts the install plan depends on (read only). */
export async function gatherFacts(sys: System, layout: NodeLayout): Promise<NodeFacts> {
  const services: Record<string, string> = {};
  await Promise.all(layout.services.map(async (s) => (services[s.def.name] = await sys.services.status(s.def.name).catch(() => 'unknown'))));
  const ports: Record<string, PortState> = {};
  await Promise.all(
    neededPorts(layout).map(async ({ port, service }) => {
      ports[String(port)] = (await sys.network.isPortFree(port)) ? 'free' : services[service] === 'running' ? 'ours' : 'used';
    }),
  );
  const paths: Record<string, boolean> = {};
  const watched = [layout.installDir, layout.dataDir, layout.share.root, ...(layout.localDb ? [layout.localDb.dataDir] : [])];
  await Promise.all(watched.map(async (p) => (paths[p] = (await sys.files.stat(p)) !== undefined)));
  return {
    serviceManager: sys.services.kind,
    accountExists: (await sys.processes.lookupUser(layout.serviceAccount)) !== undefined,
    paths,
    ports,
    services,
  };
}
