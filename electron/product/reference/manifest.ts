/**
 * The reference product: a small stand-in for the real one whose services are the Node programs in
 * ./programs, staged with their runtime into dist/media/reference by build/stage-reference-media.mjs.
 * Same shape as the real manifest: dispatcher -> repository -> the rest, and the guide's bootstrap
 * commands.
 */
import { fileURLToPath } from 'node:url';
import type { CommandTemplate, ProductManifest, ServiceSpec } from '../manifest.js';
import { REPOSITORY_DATABASE } from '../../shared/repository-database.js';
import {
  DEFAULT_REFERENCE_API_PORTS,
  DEFAULT_REFERENCE_PORTS,
  REFERENCE_CONFIG_FILE,
  REFERENCE_CONNECTION_STRING_FILE,
  REFERENCE_LOG_DIR,
  REFERENCE_READY_LINES,
  REFERENCE_SERVICE_IDS,
  renderReferenceConfig,
  type ReferenceServiceId,
} from './config.js';
import { NODES_QUERY, REGISTRATION_QUERY, RESTORE_NODES, SYNC_TABLES } from './runtime/schema.js';
import { CERTIFICATE_FILES, CERTIFICATES_DIR } from './runtime/certificates.js';

/**
 * The staged media folder. Compiled, this file is dist/electron/product/reference/manifest.js and
 * the media is dist/media/reference; run from source (tsx, vitest) it is the same dist folder.
 */
export function referenceMediaDir(moduleUrl: string = import.meta.url): string {
  const fromSource = moduleUrl.endsWith('.ts');
  return fileURLToPath(new URL(fromSource ? '../../../dist/media/reference' : '../../../media/reference', moduleUrl));
}

/** The reference services' entries of a port map keyed by service id. */
function pickReferencePorts(ports: Readonly<Record<string, number>>): Partial<Record<ReferenceServiceId, number>> {
  const picked: Partial<Record<ReferenceServiceId, number>> = {};
  for (const id of REFERENCE_SERVICE_IDS) {
    const port = ports[id];
    if (port !== undefined) picked[id] = port;
  }
  return picked;
}

/** `{node} {installDir}/<id>.js --config {dataDir}/reference.json ...extra` */
function programCommand(id: ReferenceServiceId, extra: readonly string[] = []): CommandTemplate {
  return { file: '{node}', args: [`{installDir}/${id}.js`, '--config', `{dataDir}/${REFERENCE_CONFIG_FILE}`, ...extra] };
}

function service(id: ReferenceServiceId, displayName: string, phase: number, dependsOn: readonly string[], timeoutMs: number): ServiceSpec {
  const port = DEFAULT_REFERENCE_PORTS[id];
  return {
    id,
    name: `reference-${id}`,
    displayName,
    command: programCommand(id),
    readiness: { logLine: REFERENCE_READY_LINES[id], port, timeoutMs },
    phase,
    dependsOn,
    ports: [port],
    logFile: `${REFERENCE_LOG_DIR}/${id}.log`,
  };
}

export const referenceManifest: ProductManifest = {
  id: 'reference',
  displayName: 'Reference product',
  version: '1.0.0',
  folder: 'spsetup-reference',
  database: {
    name: REPOSITORY_DATABASE.name,
    ownerRole: REPOSITORY_DATABASE.ownerRole,
    localOwnerRole: 'postgres',
    defaultPort: REPOSITORY_DATABASE.port,
    connectionsPerNode: REPOSITORY_DATABASE.connectionsPerNode,
    minServerVersion: 120000,
    service: { name: 'reference-repository-database', displayName: 'Reference Repository Database' },
  },
  services: [
    service('dispatcher', 'Reference Service Dispatcher', 1, [], 30_000),
    // With the repository API, certificate distribution (central) and certificate set-up (rim, 127.0.0.1) ports.
    { ...service('repository', 'Reference Repository Service', 2, ['dispatcher'], 90_000), ports: [DEFAULT_REFERENCE_PORTS.repository, ...Object.values(DEFAULT_REFERENCE_API_PORTS)] },
    service('proxy', 'Reference Proxy Service', 3, ['repository'], 30_000),
    service('engine', 'Reference Engine Service', 3, ['repository'], 30_000),
    service('scheduler', 'Reference Scheduler Service', 3, ['repository'], 30_000),
    service('printing', 'Reference Printing Service', 3, ['repository'], 30_000),
  ],
  bootstrap: {
    central: [
      programCommand('proxy', ['-bootstrap=install']),
      programCommand('scheduler', ['-bootstrap=install']),
      programCommand('repository', ['-bootstrap=install', '-iscentral']),
    ],
    rim: [
      programCommand('proxy', ['-bootstrap=install']),
      programCommand('scheduler', ['-bootstrap=install']),
      programCommand('repository', ['-bootstrap']),
    ],
  },
  syncTables: SYNC_TABLES,
  mediaDir: referenceMediaDir(),
  configFile: REFERENCE_CONFIG_FILE,
  connectionStringFile: REFERENCE_CONNECTION_STRING_FILE,
  serviceUsersGroup: 'reference-service-users',
  extraGroups: [],
  nodesQuery: NODES_QUERY,
  registrationQuery: REGISTRATION_QUERY,
  restoreNodes: RESTORE_NODES,
  registration: {
    apiPort: DEFAULT_REFERENCE_API_PORTS.qrs,
    distributionPort: DEFAULT_REFERENCE_API_PORTS.distribution,
    certificateSetupPort: DEFAULT_REFERENCE_API_PORTS.certificateSetup,
    apiUser: 'UserDirectory=INTERNAL; UserId=sa_repository',
    // The node certificate serves as the client certificate too (server and client use).
    certificates: { dir: CERTIFICATES_DIR, clientCert: CERTIFICATE_FILES.server, clientKey: CERTIFICATE_FILES.serverKey, root: CERTIFICATE_FILES.root },
  },
  // Central or rim is decided by the bootstrap (-iscentral) and kept in the database, not the file.
  renderConfig: ({ hostname, dataDir, share, ports }) => renderReferenceConfig({ hostname, dataDir, share, ...(ports ? { ports: pickReferencePorts(ports) } : {}) }),
};
