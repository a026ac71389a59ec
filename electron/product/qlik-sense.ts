/**
 * The real product, with the names from reference/product-facts.md. Its files come from the
 * vendor's setup (no mediaDir); the installer drives that setup, the database, the shares and
 * the bootstrap commands. Items marked [unverified] had no primary source.
 */
import { escapeXmlText } from '../shared/xml-text.js';
import { REPOSITORY_DATABASE } from '../shared/repository-database.js';
import type { CommandTemplate, ProductConfigInput, ProductManifest, ServiceSpec } from './manifest.js';

const exe = (relative: string, args: readonly string[] = []): CommandTemplate => ({ file: `{installDir}\\${relative}`, args });

/** The tables the guide truncates when moving from synchronized to shared persistence. */
export const QLIK_SENSE_SYNC_TABLES = [
  'AppAvailabilities',
  'SyncSessions',
  'BinaryDownloadProperties',
  'BinaryDownloads',
  'BinaryDeleteProperties',
  'BinaryDeletes',
  'BinarySyncRuleEvaluations',
] as const;

const services: readonly ServiceSpec[] = [
  {
    id: 'dispatcher',
    name: 'QlikSenseServiceDispatcher',
    displayName: 'Qlik Sense Service Dispatcher',
    command: exe('ServiceDispatcher\\ServiceDispatcher.exe'),
    // No documented port of its own: ready when the service manager reports it running.
    readiness: { timeoutMs: 120_000 },
    phase: 1,
    dependsOn: [],
    // Hub, broker and data profiling run under the dispatcher [unverified].
    ports: [9028, 4900, 4949],
    logFile: 'Log\\ServiceDispatcher',
  },
  {
    id: 'repository',
    name: 'QlikSenseRepositoryService',
    displayName: 'Qlik Sense Repository Service',
    command: exe('Repository\\Repository.exe'),
    // First start takes 1-2 minutes; ready when the QRS REST port answers.
    readiness: { port: 4242, timeoutMs: 300_000 },
    phase: 2,
    dependsOn: ['dispatcher'],
    ports: [4242, 4239, 4444, 4570],
    // The QRS System log folder (product-facts.md): %ProgramData%\Qlik\Sense\Log\Repository\System.
    logFile: 'Log\\Repository\\System',
  },
  {
    id: 'proxy',
    name: 'QlikSenseProxyService',
    displayName: 'Qlik Sense Proxy Service',
    command: exe('Proxy\\Proxy.exe'),
    readiness: { port: 4244, timeoutMs: 120_000 },
    phase: 3,
    dependsOn: ['repository'],
    ports: [443, 4244],
    logFile: 'Log\\Proxy',
  },
  {
    id: 'engine',
    name: 'QlikSenseEngineService',
    displayName: 'Qlik Sense Engine Service',
    command: exe('Engine\\Engine.exe'),
    readiness: { port: 4747, timeoutMs: 120_000 },
    phase: 3,
    dependsOn: ['repository'],
    ports: [4747],
    logFile: 'Log\\Engine',
  },
  {
    id: 'scheduler',
    name: 'QlikSenseSchedulerService',
    displayName: 'Qlik Sense Scheduler Service',
    command: exe('Scheduler\\Scheduler.exe'),
    // Master (5050) only on the central node, so no single port tells readiness everywhere.
    readiness: { timeoutMs: 120_000 },
    phase: 3,
    dependsOn: ['repository'],
    ports: [5050, 5151],
    logFile: 'Log\\Scheduler',
  },
  {
    id: 'printing',
    name: 'QlikSensePrintingService',
    displayName: 'Qlik Sense Printing Service',
    command: exe('Printing\\Printing.exe'),
    readiness: { port: 4899, timeoutMs: 120_000 },
    phase: 3,
    dependsOn: ['repository'],
    ports: [4899],
    logFile: 'Log\\Printing',
  },
];

/**
 * The shared persistence settings of a node as Repository.exe.config app settings (no secret: the
 * vendor keeps the connection string DPAPI-encrypted in its own section).
 */
export function renderQlikSenseConfig(input: ProductConfigInput): string {
  const settings: [string, string][] = [
    ['SharedPersistence', 'true'],
    ['HostName', input.hostname],
    ['IsCentral', String(input.isCentral)],
    ['RootDir', input.share.root],
    ['AppsDir', input.share.apps],
    ['ArchivedLogsDir', input.share.archivedLogs],
    ['CustomDataRootDir', input.share.customData],
    ['StaticContentRootDir', input.share.staticContent],
  ];
  const lines = settings.map(([k, v]) => `    <add key="${escapeXmlText(k)}" value="${escapeXmlText(v)}" />`);
  return ['<?xml version="1.0" encoding="utf-8"?>', '<configuration>', '  <appSettings>', ...lines, '  </appSettings>', '</configuration>', ''].join('\n');
}

export const qlikSenseManifest: ProductManifest = {
  id: 'qlik-sense',
  displayName: 'Qlik Sense Enterprise',
  version: 'shared persistence (vendor setup)',
  folder: 'Qlik\\Sense',
  database: {
    name: REPOSITORY_DATABASE.name,
    ownerRole: REPOSITORY_DATABASE.ownerRole,
    localOwnerRole: 'postgres',
    defaultPort: REPOSITORY_DATABASE.port,
    connectionsPerNode: REPOSITORY_DATABASE.connectionsPerNode,
    // The guide: PostgreSQL 9.3.14 or later.
    minServerVersion: 90314,
    service: { name: 'QlikSenseRepositoryDatabase', displayName: 'Qlik Sense Repository Database' },
  },
  services,
  bootstrap: {
    central: [
      exe('Proxy\\Proxy.exe', ['-bootstrap=install']),
      exe('Scheduler\\Scheduler.exe', ['-bootstrap=install']),
      exe('Repository\\Repository.exe', ['-bootstrap=install', '-iscentral']),
    ],
    rim: [
      exe('Proxy\\Proxy.exe', ['-bootstrap=install']),
      exe('Scheduler\\Scheduler.exe', ['-bootstrap=install']),
      exe('Repository\\Repository.exe', ['-bootstrap']),
    ],
  },
  syncTables: QLIK_SENSE_SYNC_TABLES,
  // This node's shared persistence settings, as written by renderConfig.
  configFile: 'SharedPersistence.config',
  connectionStringFile: 'Repository\\ConnectionString.protected',
  serviceUsersGroup: 'Qlik Sense Service Users',
  extraGroups: ['Performance Monitor Users'],
  // QSR's node table [unverified]; it keeps no heartbeat column.
  nodesQuery: 'SELECT "HostName" AS hostname, "IsCentral" AS is_central, NULL::timestamptz AS last_seen FROM "ServerNodeConfigurations" ORDER BY "HostName"',
  registrationQuery: 'SELECT "IsCentral" AS is_central FROM "ServerNodeConfigurations" WHERE "HostName" = $1',
  repositoryConfigFile: 'Repository\\Repository.exe.config',
  // QRS REST 4242, certificate distribution 4444, certificate unlock 4570 (product-facts.md). The
  // exported client certificate of the central node authenticates the API calls; the rim node's
  // certificate set-up request is [unverified] (the vendor documents it as a page for a person).
  registration: {
    apiPort: 4242,
    distributionPort: 4444,
    certificateSetupPort: 4570,
    apiUser: 'UserDirectory=INTERNAL; UserId=sa_api',
    certificates: { dir: 'Repository\\Exported Certificates\\.Local Certificates', clientCert: 'client.pem', clientKey: 'client_key.pem', root: 'root.pem' },
  },
  renderConfig: renderQlikSenseConfig,
};
