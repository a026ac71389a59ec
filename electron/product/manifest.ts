/**
 * A product manifest: everything the engine needs to know about the product it deploys, as data.
 * The engine is generic over it; installer code never special-cases a product.
 *
 * Command templates may use these placeholders, filled in by `expandTemplate`:
 *   {installDir} {dataDir} {node} (the Node.js executable, for the reference product's programs)
 *   {configFile} (the product's configuration file)
 */
import type { ShareFolders } from '../shared/settings.js';

export interface CommandTemplate {
  readonly file: string;
  readonly args: readonly string[];
}

export interface ServiceSpec {
  /** Stable id used in plans: 'dispatcher', 'repository', ... */
  readonly id: string;
  /** Service name registered with the service manager (Windows names from product-facts.md). */
  readonly name: string;
  readonly displayName: string;
  readonly command: CommandTemplate;
  /** How we know it is ready: a log line and/or a port (`needs`: either, the default, or both), with a bounded timeout. */
  readonly readiness: { readonly logLine?: string; readonly port?: number; readonly needs?: 'any' | 'all'; readonly timeoutMs: number };
  /** Start order: lower phases start first; services of one phase start together. */
  readonly phase: number;
  /** Ids of services that must run first. */
  readonly dependsOn: readonly string[];
  /** Ports the service listens on (checked free by preflight). */
  readonly ports: readonly number[];
  /** Log file of the service, relative to dataDir. */
  readonly logFile: string;
}

/** What `renderConfig` gets: this node's facts, paths in the target platform's form. Added by the product piece. */
export interface ProductConfigInput {
  readonly hostname: string;
  readonly isCentral: boolean;
  readonly installDir: string;
  readonly dataDir: string;
  readonly share: ShareFolders;
  /** Ports by service id that replace the manifest's (e.g. tests on one machine); readiness must use the same. */
  readonly ports?: Readonly<Record<string, number>>;
}

/**
 * How a node is registered through the repository API (issue 18): the central node's API and
 * certificate distribution ports, the rim node's local certificate set-up, and the certificate
 * files the central node's agent shows as its client certificate.
 */
export interface RegistrationSpec {
  /** The repository API (HTTPS with client certificates) on the central node. */
  readonly apiPort: number;
  /** Certificate distribution on the central node (rim nodes fetch their certificates here). */
  readonly distributionPort: number;
  /** The certificate set-up on every rim node, 127.0.0.1 only. */
  readonly certificateSetupPort: number;
  /** The X-Qlik-User header of the API calls. */
  readonly apiUser: string;
  /** Folder (relative to dataDir) of the node's certificates, and the file names in it. */
  readonly certificates: { readonly dir: string; readonly clientCert: string; readonly clientKey: string; readonly root: string };
}

export interface ProductManifest {
  readonly id: 'reference' | 'qlik-sense';
  readonly displayName: string;
  readonly version: string;
  /** Folder name under Program Files / ProgramData ('Qlik\\Sense') or /opt, /var/lib. */
  readonly folder: string;
  readonly database: {
    readonly name: string;
    /** Owner role on a dedicated database server. */
    readonly ownerRole: string;
    /** Owner role with a local database (the guide: postgres). */
    readonly localOwnerRole: string;
    readonly defaultPort: number;
    /** max_connections needed per planned node (the guide: 100). */
    readonly connectionsPerNode: number;
    /** Lowest supported server version (server_version_num). */
    readonly minServerVersion: number;
    /** The Repository Database service, when the database is local. */
    readonly service: { readonly name: string; readonly displayName: string };
  };
  /** In start order; the database service is not listed here. */
  readonly services: readonly ServiceSpec[];
  readonly bootstrap: {
    /** Run on the central node (Create cluster). */
    readonly central: readonly CommandTemplate[];
    /** Run on a rim node (Join cluster). */
    readonly rim: readonly CommandTemplate[];
  };
  /** Tables the guide truncates when moving from synchronized to shared persistence. */
  readonly syncTables: readonly string[];
  /** Folder (inside the package) holding the files to install, or undefined when installed by the vendor's setup. */
  readonly mediaDir?: string;
  /** Configuration file written by the installer, relative to dataDir. */
  readonly configFile: string;
  /** Protected file with the repository connection string, relative to dataDir. */
  readonly connectionStringFile: string;
  /** The local group for the guide's non-administrator service account path. */
  readonly serviceUsersGroup: string;
  /** Groups a non-administrator service account also joins (Windows: Performance Monitor Users). */
  readonly extraGroups: readonly string[];
  /**
   * SQL (no parameters) listing the nodes registered in the repository database as rows of
   * (hostname text, is_central boolean, last_seen timestamptz or null): for status and the final
   * registration check. Added by the product piece.
   */
  readonly nodesQuery?: string;
  /**
   * The product's own configuration holding the repository connection string and the
   * SharedPersistence app setting, relative to installDir (qlik-sense: Repository.exe.config).
   * Added by the product piece.
   */
  readonly repositoryConfigFile?: string;
  /**
   * The content of configFile for a node. Holds no secret: the connection string lives in its own
   * protected file (connectionStringFile). Added by the product piece.
   */
  readonly renderConfig: (input: ProductConfigInput) => string;
  /** SQL with $1 = host name returning one row (is_central boolean) when that node is registered. Added by the product piece. */
  readonly registrationQuery: string;
  /**
   * Restoring a backup onto a new site (other host names): SQL run in one transaction after the
   * restore, `release` once (the old site's central is central no more), then `register` ($1 host
   * name, $2 is_central) for each node of this site. Absent: the product's own procedure applies
   * (qlik-sense: Repository.exe -bootstrap -restorehostname).
   */
  readonly restoreNodes?: { readonly release: string; readonly register: string };
  /** Registration through the repository API; absent when the product has none. */
  readonly registration?: RegistrationSpec;
}

/** Fills {placeholders} in a command template. */
export function expandTemplate(t: CommandTemplate, vars: Readonly<Record<string, string>>): { file: string; args: string[] } {
  const fill = (s: string) => s.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m);
  return { file: fill(t.file), args: t.args.map(fill) };
}
