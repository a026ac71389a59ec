/**
 * The effective layout of a node: every path, name and port the plan uses, derived from the
 * settings, the product manifest and the platform. Pure.
 */
import type { ProductManifest, ServiceSpec } from '../../product/manifest.js';
import { expandTemplate } from '../../product/manifest.js';
import { defaultPaths, joinPath, shareFolders, type Platform, type Settings, type ShareFolders } from '../../shared/settings.js';
import type { ServiceDefinition } from '../../system/types.js';

/** A service of this node: its registration and the log its readiness line appears in. */
export interface NodeService {
  readonly spec: ServiceSpec | undefined;
  readonly def: ServiceDefinition;
  readonly readinessLog: string;
}

export interface NodeLayout {
  readonly platform: Platform;
  readonly manifest: ProductManifest;
  readonly isCentral: boolean;
  readonly installDir: string;
  readonly dataDir: string;
  readonly stateDir: string;
  readonly share: ShareFolders;
  readonly configFile: string;
  readonly connectionStringFile: string;
  readonly serviceAccount: string;
  /** The local database, when this node runs it. */
  readonly localDb?: { readonly binDir: string; readonly dataDir: string; readonly port: number };
  /** Service definitions in start order (the database first when local). */
  readonly services: readonly NodeService[];
}

/** The node layout for these settings. */
export function resolveLayout(settings: Settings, manifest: ProductManifest, platform: Platform, nodeExecutable: string): NodeLayout {
  const defaults = defaultPaths(platform, manifest.folder);
  const installDir = settings.installDir ?? defaults.installDir;
  const dataDir = settings.dataDir ?? defaults.dataDir;
  const join = (...parts: string[]) => joinPath(platform, ...parts);
  const vars = {
    installDir,
    dataDir,
    node: nodeExecutable,
    configFile: join(dataDir, manifest.configFile),
  };
  const account = settings.serviceAccount.user;
  const localDb =
    settings.database.install === 'local'
      ? { binDir: join(installDir, 'PostgreSQL', 'bin'), dataDir: join(dataDir, 'Repository', 'PostgreSQL', 'data'), port: settings.database.port }
      : undefined;
  const idToName = new Map(manifest.services.map((s) => [s.id, s.name]));
  const services: NodeService[] = [];
  // The service manager keeps each service's console output apart from the product's own log.
  const consoleLog = (name: string) => join(dataDir, 'Log', 'Services', `${name}.log`);
  if (localDb) {
    services.push({
      spec: undefined,
      def: {
        name: manifest.database.service.name,
        displayName: manifest.database.service.displayName,
        command: join(localDb.binDir, platform === 'win32' ? 'postgres.exe' : 'postgres'),
        args: ['-D', localDb.dataDir],
        account,
        logFile: consoleLog(manifest.database.service.name),
        autoStart: true,
        // A fast shutdown (SIGINT): on SIGTERM PostgreSQL waits for every client, the node agents' too.
        stopSignal: 'INT',
      },
      readinessLog: consoleLog(manifest.database.service.name),
    });
  }
  for (const spec of manifest.services) {
    const cmd = expandTemplate(spec.command, vars);
    services.push({
      spec,
      def: {
        name: spec.name,
        displayName: spec.displayName,
        command: cmd.file,
        args: cmd.args,
        cwd: installDir,
        account,
        dependsOn: [...(localDb ? [manifest.database.service.name] : []), ...spec.dependsOn.map((d) => idToName.get(d) ?? d)],
        logFile: consoleLog(spec.name),
        autoStart: settings.startServices,
      },
      readinessLog: join(dataDir, spec.logFile),
    });
  }
  return {
    platform,
    manifest,
    isCentral: settings.cluster.mode === 'create',
    installDir,
    dataDir,
    stateDir: settings.stateDir ?? defaults.stateDir,
    share: shareFolders(settings.share, platform),
    configFile: vars.configFile,
    connectionStringFile: join(dataDir, manifest.connectionStringFile),
    serviceAccount: account,
    ...(localDb ? { localDb } : {}),
    services,
  };
}

/** Bootstrap commands for this node (central with -iscentral, rim without), expanded. */
export function bootstrapCommands(layout: NodeLayout, nodeExecutable: string): { file: string; args: string[] }[] {
  const vars = { installDir: layout.installDir, dataDir: layout.dataDir, node: nodeExecutable, configFile: layout.configFile };
  const list = layout.isCentral ? layout.manifest.bootstrap.central : layout.manifest.bootstrap.rim;
  return list.map((c) => expandTemplate(c, vars));
}
