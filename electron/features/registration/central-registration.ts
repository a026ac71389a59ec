/**
 * The central node's side of a registration (the QMC's Nodes > Create, or Redistribute for a node
 * that has one): find or create the node's configuration, start its registration, and answer the
 * one-time password the rim node's certificate set-up takes.
 */
import { UserError } from '../../shared/errors.js';
import { asObjects, type QrsClient } from './qrs-client.js';

export interface StartedRegistration {
  readonly nodeId: string;
  /** True when the node configuration was made now (else it existed: a Redistribute). */
  readonly created: boolean;
  readonly password: string;
}

/** Creates or reuses the node's configuration and starts its registration. */
export async function startNodeRegistration(client: QrsClient, hostname: string): Promise<StartedRegistration> {
  const { requests: r } = client;
  let [node] = asObjects(await client.call((x) => r.findNode(x, hostname)), 'the node search');
  const created = node === undefined;
  if (!node) node = (await client.call<{ id: string }>((x) => r.createNode(x, hostname))) as { id: string } & Record<string, unknown>;
  if (node['isCentral'] === true) throw new UserError('invalid-input', `${hostname} is the central node; it is registered by its own bootstrap.`, 'Register only rim nodes.');
  const password = await client.call<unknown>((x) => r.startRegistration(x, node.id));
  if (typeof password !== 'string' || password === '') throw new UserError('apply-failed', `The repository API started the registration of ${hostname} but answered no password.`, 'Check the repository service log on the central node.');
  return { nodeId: node.id, created, password };
}
