/** The wizard's form as the user types it (strings, as inputs hold them), and a fresh one from the environment. */
import { CONNECTIONS_PER_NODE, joinPath } from '../../../../electron/shared/settings.js';
import type { Platform } from '../../../../electron/shared/settings.js';
import type { EnvironmentInfo } from '../../../../electron/shared/ipc.js';
import { deriveFields } from './derive.js';

export const SUB_FOLDERS = [
  ['apps', 'Apps'],
  ['archivedLogs', 'ArchivedLogs'],
  ['customData', 'CustomData'],
  ['staticContent', 'StaticContent'],
] as const;
export type SubFolder = (typeof SUB_FOLDERS)[number][0];

export interface Form {
  licenceAccepted: boolean;
  /** Install a node, migrate an existing site to shared persistence, or operate the site (the Site screen). */
  task: 'install' | 'migrate' | 'site';
  migrationRole: 'central' | 'rim';
  backupDir: string;
  includeArchivedLogs: boolean;
  product: 'reference' | 'qlik-sense';
  mode: 'create' | 'join';
  clusterId: string;
  /** The cluster's site key from an imported bundle (a secret: never shown, sent with a join). */
  siteKey: string;
  dbInstall: 'local' | 'existing';
  dbHost: string;
  dbPort: string;
  dbName: string;
  dbUser: string;
  dbPassword: string;
  dbPasswordConfirm: string;
  /** Encryption of the traffic to the repository database (the guide's "database traffic encryption"). */
  dbSsl: 'disable' | 'require' | 'verify-full';
  /** The CA (PEM, public) a verify-full node trusts, as an imported bundle carries it. */
  dbCa: string;
  listenAddresses: string;
  ipRanges: string;
  maxConnections: string;
  /** False until the user edits max connections, so it follows the planned nodes. */
  maxConnectionsEdited: boolean;
  plannedNodes: string;
  shareRoot: string;
  sub: Record<SubFolder, string>;
  /** Sub folders the user edited; the others follow the root. */
  subEdited: Record<SubFolder, boolean>;
  installDir: string;
  dataDir: string;
  superuser: string;
  superuserPassword: string;
  superuserPasswordConfirm: string;
  serviceUser: string;
  servicePassword: string;
  servicePasswordConfirm: string;
  serviceIsAdministrator: boolean;
  hostname: string;
  startServices: boolean;
  startServicesEdited: boolean;
  platform: Platform;
  /** The install flow's own choices, kept while Migrate or Site overrides them (so Back to Install restores them). */
  installChoice: Pick<Form, 'mode' | 'dbInstall'> | undefined;
  runitDir: string;
  stateDir: string;
}

/** A fresh form, prefilled from the environment. */
export function initialForm(env?: EnvironmentInfo): Form {
  const platform = env?.platform ?? 'linux';
  const shareRoot = env?.defaults.shareRoot ?? '';
  const stateDir = env?.defaults.stateDir ?? '';
  const form: Form = {
    licenceAccepted: false,
    task: 'install',
    migrationRole: 'central',
    backupDir: stateDir === '' ? '' : joinPath(platform, stateDir, 'migration-backup'),
    includeArchivedLogs: true,
    product: (env?.products.find((p) => p.id === 'reference') ?? env?.products[0])?.id === 'qlik-sense' ? 'qlik-sense' : 'reference',
    mode: 'create',
    clusterId: '',
    siteKey: '',
    dbInstall: 'local',
    dbHost: 'localhost',
    dbPort: String(env?.defaults.databasePort ?? 4432),
    dbName: 'QSR',
    dbUser: 'qliksenserepository',
    dbPassword: '',
    dbPasswordConfirm: '',
    dbSsl: 'disable',
    dbCa: '',
    listenAddresses: '*',
    ipRanges: env?.defaults.ipRanges?.length ? env.defaults.ipRanges.join(', ') : '0.0.0.0/0',
    maxConnections: String(CONNECTIONS_PER_NODE),
    maxConnectionsEdited: false,
    plannedNodes: '1',
    shareRoot,
    sub: { apps: '', archivedLogs: '', customData: '', staticContent: '' },
    subEdited: { apps: false, archivedLogs: false, customData: false, staticContent: false },
    installDir: env?.defaults.installDir ?? '',
    dataDir: env?.defaults.dataDir ?? '',
    superuser: 'postgres',
    superuserPassword: '',
    superuserPasswordConfirm: '',
    serviceUser: env?.defaults.serviceUser ?? '',
    servicePassword: '',
    servicePasswordConfirm: '',
    serviceIsAdministrator: true,
    hostname: env?.hostname ?? '',
    startServices: true,
    startServicesEdited: false,
    platform,
    installChoice: undefined,
    runitDir: env?.defaults.runitDir ?? '',
    stateDir,
  };
  deriveFields(form);
  return form;
}
