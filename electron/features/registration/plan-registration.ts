/**
 * The registration steps of an install: on a rim node, `node-registration` after its services
 * started (it needs its own certificate set-up and the central node's agent); without the site key
 * (cluster.siteKey) a warning says how to register the node instead. On the central node,
 * `monitoring-apps` (the guide's monitoring apps configuration) after its services started.
 */
import type { StepDraft } from '../../engine/plan-builder.js';
import type { Settings } from '../../shared/settings.js';
import type { NodeLayout } from '../installer/layout.js';
import type { RepositoryConnection } from '../installer/steps/params.js';
import { agentPaths } from '../site/agent-config.js';
import { nodeRegistrationStep } from './registration-steps.js';
import { monitoringAppsStep } from './monitoring-step.js';
import { licenceStep } from './licence-step.js';

export interface RegistrationPlanInput {
  readonly settings: Settings;
  readonly layout: NodeLayout;
  readonly repository: Omit<RepositoryConnection, 'ssl'> & { readonly ssl: RepositoryConnection['ssl'] };
}

/** The registration steps (after the services started) and the warnings of a plan. */
export function planRegistrationSteps(input: RegistrationPlanInput): { steps: StepDraft[]; warnings: string[] } {
  const { settings, layout } = input;
  const spec = layout.manifest.registration;
  if (!spec) return { steps: [], warnings: [] };
  if (layout.isCentral) {
    // The guide's monitoring apps section, once the central node's repository API runs.
    if (!settings.startServices) {
      const licence = settings.licence ? [' The site licence is applied once they run too.'] : [];
      return { steps: [], warnings: [`The monitoring apps are not configured for shared persistence until the services run: start them and run the install again.${licence.join('')}`] };
    }
    const registration = { ...spec, certificates: { ...spec.certificates } };
    const api = { hostname: settings.hostname, dataDir: layout.dataDir, registration };
    return {
      steps: [
        monitoringAppsStep.draft('monitoring-apps', 'Monitoring apps: data connections and load balancing rules (repository API)', { ...api, archivedLogs: layout.share.archivedLogs }),
        // The guide's "apply the site licence", only where a licence is given.
        ...(settings.licence ? [licenceStep.draft('licence', 'Site licence (repository API)', { ...api, keySecret: 'licence.key' })] : []),
      ],
      warnings: [],
    };
  }
  const byHand = `add it on the central node's console (Nodes), then give the one-time password to this node's certificate set-up on http://localhost:${spec.certificateSetupPort}`;
  if (settings.cluster.siteKey === undefined) {
    return { steps: [], warnings: [`${settings.hostname} will not be registered with the central node: give the central node's site key as cluster.siteKey (the bundle's way) and run again, or ${byHand}.`] };
  }
  if (!settings.startServices) {
    return { steps: [], warnings: [`${settings.hostname} will be registered with the central node once its services run: start them and run the install again, or ${byHand}.`] };
  }
  return {
    steps: [
      nodeRegistrationStep.draft(
        'node-registration',
        'Register this node with the central node (certificates through the repository API)',
        { hostname: settings.hostname, dataDir: layout.dataDir, registration: { ...spec, certificates: { ...spec.certificates } }, repository: input.repository, siteKeyFile: agentPaths(layout).siteKeyFile },
        // The certificates live in the data folder: its undo removes them.
        { undoneWith: 'data-folder' },
      ),
    ],
    warnings: [],
  };
}
