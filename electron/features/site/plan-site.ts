/**
 * The install steps that put a node into the site: the site key, spsetup's schema, the node agent's
 * configuration and service, started before the product's services (and so stopped after them).
 */
import type { StepDraft } from '../../engine/plan-builder.js';
import type { Settings } from '../../shared/settings.js';
import type { NodeLayout } from '../installer/layout.js';
import type { RepositoryConnection } from '../installer/steps/params.js';
import { agentPaths, agentServiceDefinition, buildAgentConfig, NODE_AGENT_READY_LINE, NODE_AGENT_SERVICE } from './agent-config.js';

export interface SitePlanInput {
  readonly settings: Settings;
  readonly layout: NodeLayout;
  readonly nodeExecutable: string;
  /** The spsetup launcher the agent service runs. */
  readonly spsetupEntry: string;
  readonly repositoryHost: string;
  readonly repository: Omit<RepositoryConnection, 'ssl'> & { readonly ssl: RepositoryConnection['ssl'] };
}

/** The site steps of an install, in order. */
export function planSiteSteps(input: SitePlanInput): StepDraft[] {
  const { settings, layout } = input;
  const paths = agentPaths(layout);
  const definition = agentServiceDefinition(layout, input.nodeExecutable, input.spsetupEntry);
  const config = buildAgentConfig(settings, layout, input.repositoryHost);
  return [
    // The state folder holds the site key and the agent's configuration: administrators only.
    { id: 'site-state-folder', kind: 'directory', title: `spsetup state folder ${layout.stateDir}`, params: { paths: [layout.stateDir], mode: 0o700 } },
    {
      id: 'site-key',
      kind: 'site-key',
      title: layout.isCentral ? 'Site key (authenticates site operations)' : 'Site key from the cluster',
      params: { path: paths.siteKeyFile, ...(settings.cluster.siteKey !== undefined ? { given: { secret: 'cluster.siteKey' } } : {}) },
    },
    {
      id: 'site-schema',
      kind: 'site-schema',
      title: 'spsetup site schema in the repository database',
      params: { repository: input.repository },
      // In a local database, the schema goes when rollback removes the database cluster.
      ...(layout.localDb ? { undoneWith: 'database-cluster' } : {}),
    },
    {
      id: 'node-agent-config',
      kind: 'file-content',
      title: `Node agent configuration ${paths.configFile}`,
      params: { path: paths.configFile, content: `${JSON.stringify(config, null, 2)}\n`, mode: 0o600 },
    },
    { id: `service-${NODE_AGENT_SERVICE}`, kind: 'service', title: `Register service ${definition.displayName}`, params: { definition } },
    // Started with the services (not on the guide's path that leaves them for later; it starts at boot).
    ...(!settings.startServices ? [] : [{
      id: 'node-agent-start',
      kind: 'service-running',
      title: `Start ${definition.displayName}`,
      params: { services: [{ name: NODE_AGENT_SERVICE, readiness: { logLine: NODE_AGENT_READY_LINE, timeoutMs: 60_000, logFile: paths.logFile } }], host: '127.0.0.1' },
    }]),
  ];
}
