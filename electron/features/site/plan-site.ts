/**
 * The install steps that put a node into the site: the site key, spsetup's schema, the node agent's
 * configuration and service, started before the product's services (and so stopped after them).
 */
import type { StepDraft } from '../../engine/plan-builder.js';
import { directoryStep } from '../../engine/steps/directory.js';
import { fileContentStep } from '../../engine/steps/file-content.js';
import type { Settings } from '../../shared/settings.js';
import type { NodeLayout } from '../installer/layout.js';
import type { RepositoryConnection } from '../installer/steps/params.js';
import { serviceRunningStep, serviceStep } from '../installer/steps/service.js';
import { siteKeyStep, siteSchemaStep } from './site-steps.js';
import { agentPaths, agentServiceDefinition, buildAgentConfig, NODE_AGENT_DISPLAY_NAME, NODE_AGENT_READY_LINE, NODE_AGENT_SERVICE } from './agent-config.js';

export interface SitePlanInput {
  readonly settings: Settings;
  readonly layout: NodeLayout;
  readonly nodeExecutable: string;
  /** The spsetup launcher the agent service runs. */
  readonly spsetupEntry: string;
  readonly repositoryHost: string;
  readonly repository: Omit<RepositoryConnection, 'ssl'> & { readonly ssl: RepositoryConnection['ssl'] };
}

/** The ids of planSiteSteps' steps (a migration takes them from the install's plan). */
export const SITE_STEP_IDS: readonly string[] = ['site-state-folder', 'site-key', 'site-schema', 'node-agent-config', `service-${NODE_AGENT_SERVICE}`, 'node-agent-start'];

/** Starts the node agent (bounded by its ready line). */
export function nodeAgentStartDraft(layout: NodeLayout): StepDraft {
  return serviceRunningStep.draft('node-agent-start', `Start ${NODE_AGENT_DISPLAY_NAME}`, {
    services: [{ name: NODE_AGENT_SERVICE, readiness: { logLine: NODE_AGENT_READY_LINE, timeoutMs: 60_000, logFile: agentPaths(layout).logFile } }],
    host: '127.0.0.1',
  });
}

/** The site steps of an install, in order. */
export function planSiteSteps(input: SitePlanInput): StepDraft[] {
  const { settings, layout } = input;
  const paths = agentPaths(layout);
  const definition = agentServiceDefinition(layout, input.nodeExecutable, input.spsetupEntry);
  const config = buildAgentConfig(settings, layout, input.repositoryHost);
  return [
    // The state folder holds the site key and the agent's configuration: administrators only.
    directoryStep.draft('site-state-folder', `spsetup state folder ${layout.stateDir}`, { paths: [layout.stateDir], mode: 0o700 }),
    siteKeyStep.draft('site-key', layout.isCentral ? 'Site key (authenticates site operations)' : 'Site key from the cluster', {
      path: paths.siteKeyFile,
      ...(settings.cluster.siteKey !== undefined ? { given: { secret: 'cluster.siteKey' } } : {}),
    }),
    // In a local database, the schema goes when rollback removes the database cluster.
    siteSchemaStep.draft('site-schema', 'spsetup site schema in the repository database', { repository: input.repository }, { undoneWith: layout.localDb ? 'database-cluster' : undefined }),
    fileContentStep.draft('node-agent-config', `Node agent configuration ${paths.configFile}`, { path: paths.configFile, content: `${JSON.stringify(config, null, 2)}\n`, mode: 0o600 }),
    serviceStep.draft(`service-${NODE_AGENT_SERVICE}`, `Register service ${definition.displayName}`, { definition }),
    // Started with the services (not on the guide's path that leaves them for later; it starts at boot).
    ...(settings.startServices ? [nodeAgentStartDraft(layout)] : []),
  ];
}
