/**
 * The reference product's configuration file: what the installer writes to
 * {dataDir}/reference.json and what every reference program reads at start. `buildReferenceConfig`
 * is the installer's way to produce it; `parseReferenceConfig` is the programs' strict reader.
 * Imported at run time by the installed programs, so it depends on node built-ins only.
 */
import { isAbsolute, join } from 'node:path';

export const REFERENCE_SERVICE_IDS = ['dispatcher', 'repository', 'proxy', 'engine', 'scheduler', 'printing'] as const;
export type ReferenceServiceId = (typeof REFERENCE_SERVICE_IDS)[number];

/** Paths relative to dataDir (the manifest's configFile, connectionStringFile and log files). */
export const REFERENCE_CONFIG_FILE = 'reference.json';
export const REFERENCE_CONNECTION_STRING_FILE = 'secrets/repository.connection';
export const REFERENCE_LOG_DIR = 'log';

/** Default ports, away from the real product's so both can be tried on one machine. */
export const DEFAULT_REFERENCE_PORTS: Readonly<Record<ReferenceServiceId, number>> = {
  dispatcher: 24240,
  repository: 24242,
  proxy: 24243,
  engine: 24747,
  scheduler: 25050,
  printing: 24899,
};

/** The line each program logs once it listens: the manifest's readiness log lines. */
export const REFERENCE_READY_LINES: Readonly<Record<ReferenceServiceId, string>> = {
  dispatcher: 'Dispatcher service started',
  repository: 'Repository service started',
  proxy: 'Proxy service started',
  engine: 'Engine service started',
  scheduler: 'Scheduler service started',
  printing: 'Printing service started',
};

/** The repository's API ports (the real product: QRS 4242, distribution 4444, certificate set-up 4570). */
export interface ReferenceApiPorts {
  /** HTTPS repository API with client certificates (central node). */
  readonly qrs: number;
  /** Certificate distribution (central node): rim nodes fetch their sealed certificate set here. */
  readonly distribution: number;
  /** Certificate set-up, 127.0.0.1 only (rim node): takes the one-time password. */
  readonly certificateSetup: number;
}

export const DEFAULT_REFERENCE_API_PORTS: ReferenceApiPorts = { qrs: 24342, distribution: 24444, certificateSetup: 24570 };

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5_000;
export const DEFAULT_DATABASE_UNREACHABLE_TIMEOUT_MS = 60_000;

export interface ReferenceShareFolders {
  readonly root: string;
  readonly apps: string;
  readonly archivedLogs: string;
  readonly customData: string;
  readonly staticContent: string;
}

/** The exact JSON the installer writes; unknown keys are refused by the programs. */
export interface ReferenceProductConfig {
  /** This node's host name, as registered in the repository database. */
  readonly hostname: string;
  readonly sharedPersistence: true;
  readonly share: ReferenceShareFolders;
  /** Absolute: where bootstrap markers live. */
  readonly dataDir: string;
  /** Absolute: each program appends to `<logDir>/<service id>.log`. */
  readonly logDir: string;
  /** Absolute path of a 0600 file holding the vendor-format repository connection string. */
  readonly connectionStringFile: string;
  readonly ports: Readonly<Record<ReferenceServiceId, number>>;
  /** The repository's API ports; the defaults when absent. Every node of a site uses the same. */
  readonly apiPorts?: ReferenceApiPorts;
  /** Address the programs listen on; default 0.0.0.0. */
  readonly listenAddress?: string;
  readonly repository?: {
    /** How often the repository service updates its node's last_seen. */
    readonly heartbeatIntervalMs?: number;
    /** How long the database may stay unreachable before the repository service exits (the guide's known issue). */
    readonly databaseUnreachableTimeoutMs?: number;
    /**
     * Off unless set: every so many ms the repository service writes an app file to the share's
     * Apps folder and then its row (apps.name = the file's SHA-256), the way the real product keeps
     * content in both; what a site backup must capture consistently.
     */
    readonly contentWriterMs?: number;
  };
}

/** The configuration file cannot be used; the message names the field. */
export class ReferenceConfigError extends Error {
  override readonly name = 'ReferenceConfigError';
}

export interface ReferenceConfigInput {
  readonly hostname: string;
  readonly dataDir: string;
  readonly share: ReferenceShareFolders;
  readonly ports?: Partial<Record<ReferenceServiceId, number>>;
  readonly apiPorts?: Partial<ReferenceApiPorts>;
  readonly listenAddress?: string;
  readonly repository?: ReferenceProductConfig['repository'];
}

/** The config the installer writes for a node (paths derived from dataDir as the manifest expects). */
export function buildReferenceConfig(input: ReferenceConfigInput): ReferenceProductConfig {
  const config: ReferenceProductConfig = {
    hostname: input.hostname,
    sharedPersistence: true,
    share: { ...input.share },
    dataDir: input.dataDir,
    logDir: join(input.dataDir, REFERENCE_LOG_DIR),
    connectionStringFile: join(input.dataDir, REFERENCE_CONNECTION_STRING_FILE),
    ports: { ...DEFAULT_REFERENCE_PORTS, ...input.ports },
    ...(input.apiPorts === undefined ? {} : { apiPorts: { ...DEFAULT_REFERENCE_API_PORTS, ...input.apiPorts } }),
    ...(input.listenAddress === undefined ? {} : { listenAddress: input.listenAddress }),
    ...(input.repository === undefined ? {} : { repository: { ...input.repository } }),
  };
  return validateReferenceConfig(config);
}

/** The configuration file's text for a node: the manifest's renderConfig. */
export function renderReferenceConfig(input: ReferenceConfigInput): string {
  return `${JSON.stringify(buildReferenceConfig(input), null, 2)}\n`;
}

/** The API ports a node uses (the defaults where the file names none). */
export function referenceApiPorts(config: Pick<ReferenceProductConfig, 'apiPorts'>): ReferenceApiPorts {
  return config.apiPorts ?? DEFAULT_REFERENCE_API_PORTS;
}

/** The log file of one program. */
export function referenceLogFile(config: Pick<ReferenceProductConfig, 'logDir'>, id: ReferenceServiceId): string {
  return join(config.logDir, `${id}.log`);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(path: string, problem: string): never {
  throw new ReferenceConfigError(`Invalid reference configuration: ${path} ${problem}`);
}

function onlyKeys(o: Obj, path: string, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(path === '' ? k : `${path}.${k}`, 'is not a known field');
}

function text(o: Obj, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v.trim() === '') fail(path + key, 'must be a non-empty string');
  return v;
}

function absolute(o: Obj, key: string, path: string): string {
  const v = text(o, key, path);
  if (!isAbsolute(v)) fail(path + key, 'must be an absolute path');
  return v;
}

function positive(o: Obj, key: string, path: string, max: number): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) fail(path + key, `must be a whole number from 1 to ${max}`);
  return v;
}

/** Checks a value against ReferenceProductConfig and returns it typed. */
export function validateReferenceConfig(value: unknown): ReferenceProductConfig {
  if (!isObj(value)) fail('the file', 'must hold a JSON object');
  onlyKeys(value, '', ['hostname', 'sharedPersistence', 'share', 'dataDir', 'logDir', 'connectionStringFile', 'ports', 'apiPorts', 'listenAddress', 'repository']);
  text(value, 'hostname', '');
  if (value['sharedPersistence'] !== true) fail('sharedPersistence', 'must be true');
  const share = value['share'];
  if (!isObj(share)) fail('share', 'must be an object');
  onlyKeys(share, 'share', ['root', 'apps', 'archivedLogs', 'customData', 'staticContent']);
  for (const k of ['root', 'apps', 'archivedLogs', 'customData', 'staticContent']) text(share, k, 'share.');
  absolute(value, 'dataDir', '');
  absolute(value, 'logDir', '');
  absolute(value, 'connectionStringFile', '');
  const ports = value['ports'];
  if (!isObj(ports)) fail('ports', 'must be an object');
  onlyKeys(ports, 'ports', REFERENCE_SERVICE_IDS);
  for (const id of REFERENCE_SERVICE_IDS) {
    if (positive(ports, id, 'ports.', 65535) === undefined) fail(`ports.${id}`, 'is required');
  }
  const apiPorts = value['apiPorts'];
  if (apiPorts !== undefined) {
    if (!isObj(apiPorts)) fail('apiPorts', 'must be an object');
    onlyKeys(apiPorts, 'apiPorts', ['qrs', 'distribution', 'certificateSetup']);
    for (const k of ['qrs', 'distribution', 'certificateSetup']) if (positive(apiPorts, k, 'apiPorts.', 65535) === undefined) fail(`apiPorts.${k}`, 'is required');
  }
  if (value['listenAddress'] !== undefined) text(value, 'listenAddress', '');
  const repo = value['repository'];
  if (repo !== undefined) {
    if (!isObj(repo)) fail('repository', 'must be an object');
    onlyKeys(repo, 'repository', ['heartbeatIntervalMs', 'databaseUnreachableTimeoutMs', 'contentWriterMs']);
    positive(repo, 'heartbeatIntervalMs', 'repository.', 3_600_000);
    positive(repo, 'databaseUnreachableTimeoutMs', 'repository.', 86_400_000);
    positive(repo, 'contentWriterMs', 'repository.', 3_600_000);
  }
  return value as unknown as ReferenceProductConfig;
}

/** Parses the configuration file's text. */
export function parseReferenceConfig(json: string): ReferenceProductConfig {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new ReferenceConfigError('Invalid reference configuration: the file is not valid JSON');
  }
  return validateReferenceConfig(value);
}
