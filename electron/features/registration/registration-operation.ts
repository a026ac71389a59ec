/**
 * The `register-node` site operation, run by the central node's agent: it calls its own repository
 * API with the node's client certificate and answers the one-time password sealed with the site
 * key for this operation, so only a holder of the site key (the rim node that asked) can use it.
 */
import { UserError } from '../../shared/errors.js';
import { getManifest } from '../../product/index.js';
import type { OperationContext, OperationOutcome } from '../site/run-operation.js';
import { sealSecret } from '../site/site-key.js';
import { startNodeRegistration } from './central-registration.js';
import { openQrsClient } from './qrs-client.js';

/** Starts the registration of `hostname` through this central node's repository API. */
export async function registerNodeOnCentral(hostname: string, ctx: OperationContext): Promise<OperationOutcome> {
  const { config, sys } = ctx;
  if (!config.isCentral) throw new UserError('invalid-input', `${config.hostname} is not the central node; only the central node registers nodes.`, 'Send the operation to the central node.');
  if (hostname === config.hostname) throw new UserError('invalid-input', `${hostname} is the central node itself.`, 'Register only rim nodes.');
  const spec = getManifest(config.product).registration;
  if (!spec) throw new UserError('invalid-input', `The product ${config.product} has no registration through its repository API.`, 'Register the node by hand in the product\'s console.');
  const client = await openQrsClient(sys, spec, config.hostname, config.productConfig.dataDir);
  const started = await startNodeRegistration(client, hostname);
  ctx.log(`registration of ${hostname} started (node ${started.created ? 'created' : 'existed'}: ${started.nodeId})`);
  return {
    message: `registration of ${hostname} started (${started.created ? 'node created' : 'existing node, certificates redistributed'})`,
    details: { nodeId: started.nodeId, created: started.created, password: sealSecret(ctx.siteKey, started.password, ctx.operationId) },
  };
}
