/**
 * What the node agent knows about its node, written by the install plan to
 * `<stateDir>/node-agent.json` (no secret: the connection string and the site key stay in their
 * protected files). Built from the settings and the node layout, so the agent needs no settings.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Settings } from '../../shared/settings.js';
import { joinPath } from '../../shared/settings.js';
import type { NodeLayout } from '../installer/layout.js';
import type { ServiceDefinition } from '../../system/types.js';

/** The agent's service name (runit directory, systemd unit, Windows service). */
export const NODE_AGENT_SERVICE = 'spsetup-node-agent';
export const NODE_AGENT_DISPLAY_NAME = 'spsetup node agent';
/** The line the agent logs once it is connected and heartbeating (its readiness). */
export const NODE_AGENT_READY_LINE = 'node agent ready';

const readiness = z.object({ logLine: z.string().optional(), port: z.number().int().optional(), needs: z.enum(['any', 'all']).optional(), timeoutMs: z.number().int().positive() }).strict();

export const agentConfigSchema = z
  .object({
    version: z.literal(1),
    hostname: z.string().min(1),
    isCentral: z.boolean(),
    product: z.enum(['reference', 'qlik-sense']),
    productVersion: z.string(),
    stateDir: z.string().min(1),
    connectionStringFile: z.string().min(1),
    siteKeyFile: z.string().min(1),
    /** Service account that owns the connection string and product configuration. */
    account: z.string().min(1),
    serviceManager: z.object({ manager: z.enum(['auto', 'runit', 'systemd', 'windows']), runitDir: z.string().optional(), definitionsDir: z.string().optional() }).strict(),
    /** Product services in the manifest's start order, with their readiness. */
    services: z.array(z.object({ name: z.string(), readiness, readinessLog: z.string().optional() }).strict()),
    /** Every service reported in status (database and agent included). */
    reportedServices: z.array(z.string()),
    productConfig: z
      .object({
        file: z.string(),
        installDir: z.string(),
        dataDir: z.string(),
        share: z.object({ root: z.string(), apps: z.string(), archivedLogs: z.string(), customData: z.string(), staticContent: z.string() }).strict(),
      })
      .strict(),
    /** Repository database endpoints, primary first then its standbys (`site endpoints set`): the agent follows the current primary among them. */
    endpoints: z.array(z.object({ host: z.string(), port: z.number().int() }).strict()).min(1),
    heartbeatMs: z.number().int().min(100).max(600_000),
    pollMs: z.number().int().min(100).max(600_000),
  })
  .strict();
export type AgentConfig = z.infer<typeof agentConfigSchema>;

/** Where the plan writes the agent's configuration and the site key. */
export function agentPaths(layout: NodeLayout): { configFile: string; siteKeyFile: string; logFile: string } {
  const join = (...p: string[]) => joinPath(layout.platform, ...p);
  return { configFile: join(layout.stateDir, 'node-agent.json'), siteKeyFile: join(layout.stateDir, 'site.key'), logFile: join(layout.stateDir, 'logs', 'node-agent.log') };
}

/** The agent configuration for a node. */
export function buildAgentConfig(settings: Settings, layout: NodeLayout, repositoryHost: string): AgentConfig {
  const paths = agentPaths(layout);
  return {
    version: 1,
    hostname: settings.hostname,
    isCentral: layout.isCentral,
    product: layout.manifest.id,
    productVersion: layout.manifest.version,
    stateDir: layout.stateDir,
    connectionStringFile: layout.connectionStringFile,
    siteKeyFile: paths.siteKeyFile,
    account: layout.serviceAccount,
    serviceManager: {
      manager: settings.services.manager,
      ...(settings.services.runitDir ? { runitDir: settings.services.runitDir } : {}),
      ...(settings.stateDir ? { definitionsDir: `${settings.stateDir}/sv` } : {}),
    },
    services: layout.services
      .filter((s) => s.spec)
      .map(({ spec, def, readinessLog }) => ({ name: def.name, readiness: { ...spec!.readiness }, readinessLog })),
    reportedServices: [...layout.services.map((s) => s.def.name), NODE_AGENT_SERVICE],
    productConfig: { file: layout.configFile, installDir: layout.installDir, dataDir: layout.dataDir, share: { ...layout.share } },
    endpoints: [{ host: repositoryHost, port: settings.database.port }],
    heartbeatMs: 2_000,
    pollMs: 2_000,
  };
}

/** The spsetup launcher (bin/spsetup.js) next to this build, from source or from dist. */
export function spsetupEntry(moduleUrl: string = import.meta.url): string {
  return fileURLToPath(new URL(moduleUrl.endsWith('.ts') ? '../../../bin/spsetup.js' : '../../../../bin/spsetup.js', moduleUrl));
}

/** The agent's service registration: runs as the administrator account, no port, its own log. */
export function agentServiceDefinition(layout: NodeLayout, nodeExecutable: string, entry: string): ServiceDefinition {
  const paths = agentPaths(layout);
  return {
    name: NODE_AGENT_SERVICE,
    displayName: NODE_AGENT_DISPLAY_NAME,
    description: 'Carries out site operations addressed to this node through the repository database.',
    command: nodeExecutable,
    args: [entry, 'node-agent', '--config', paths.configFile],
    logFile: paths.logFile,
    autoStart: true,
  };
}
