/**
 * The wizard's form as the user types it (strings, as inputs hold them) and its mapping to and
 * from the settings document. Validation is the back end's own zod schema, plus the few rules
 * that only make sense while typing (a password may not be left empty).
 */
import { z } from 'zod';
import { CONNECTIONS_PER_NODE, joinPath, settingsSchema } from '../../../electron/shared/settings.js';
import type { Platform, SettingsInput } from '../../../electron/shared/settings.js';
import type { DetectedMigration, EnvironmentInfo, MigrationInput } from '../../../electron/shared/ipc.js';

export type ScreenId =
  | 'welcome'
  | 'cluster'
  | 'database'
  | 'listener'
  | 'share'
  | 'location'
  | 'superuser'
  | 'service'
  | 'hostname'
  | 'ready'
  | 'migrate-site'
  | 'migrate-access'
  | 'migration-ready'
  | 'installing'
  | 'finished'
  | 'site-access'
  | 'site';

export const SCREEN_TITLES: Readonly<Record<ScreenId, string>> = {
  welcome: 'Welcome',
  cluster: 'Cluster',
  database: 'Database',
  listener: 'Database listener',
  share: 'Root folder',
  location: 'Installation location',
  superuser: 'Database credentials',
  service: 'Service credentials',
  hostname: 'Host name',
  ready: 'Ready to install',
  'migrate-site': 'Existing site',
  'migrate-access': 'Database and service',
  'migration-ready': 'Ready to migrate',
  installing: 'Installing',
  finished: 'Finished',
  'site-access': 'Site database',
  site: 'Site',
};

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
    runitDir: env?.defaults.runitDir ?? '',
    stateDir,
  };
  deriveFields(form);
  return form;
}

/** Keeps derived fields in step with their sources unless the user edited them. */
export function deriveFields(form: Form): void {
  for (const [key, name] of SUB_FOLDERS) {
    if (!form.subEdited[key]) form.sub[key] = form.shareRoot.trim() === '' ? '' : joinPath(form.platform, form.shareRoot.trim(), name);
  }
  const nodes = Number(form.plannedNodes);
  if (!form.maxConnectionsEdited && Number.isInteger(nodes) && nodes >= 1) form.maxConnections = String(CONNECTIONS_PER_NODE * nodes);
  // The guide: with a service account without local Administrator privileges, do not start the
  // services at the end (the group permissions come first).
  if (!form.startServicesEdited) form.startServices = form.serviceIsAdministrator;
  // A migration keeps the node's repository database: the central node creates the cluster on it, a rim node joins.
  if (form.task === 'migrate') {
    form.mode = form.migrationRole === 'central' ? 'create' : 'join';
    form.dbInstall = 'existing';
  }
  // The Site screen only connects to the repository database, wherever it runs.
  if (form.task === 'site') form.dbInstall = 'existing';
  if (form.mode === 'join') form.dbInstall = 'existing';
}

const splitList = (s: string): string[] =>
  s
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter((x) => x !== '');

const toNumber = (s: string): number => (/^\s*\d+\s*$/.test(s) ? Number(s) : Number.NaN);

/** The settings document the form describes. */
export function toSettings(form: Form): SettingsInput {
  const local = form.dbInstall === 'local';
  const migrate = form.task === 'migrate';
  const settings: SettingsInput = {
    product: form.product,
    cluster:
      form.mode === 'join'
        ? { mode: form.mode, ...(form.clusterId !== '' ? { id: form.clusterId } : {}), ...(form.siteKey !== '' ? { siteKey: form.siteKey } : {}) }
        : { mode: form.mode },
    database: {
      install: form.dbInstall,
      host: local ? 'localhost' : form.dbHost.trim(),
      port: toNumber(form.dbPort),
      name: form.dbName.trim(),
      user: form.dbUser.trim(),
      password: form.dbPassword,
      passwordConfirm: form.dbPasswordConfirm,
      superuser: form.superuser.trim(),
      ...(local ? { superuserPassword: form.superuserPassword, superuserPasswordConfirm: form.superuserPasswordConfirm } : {}),
      // The migration finds the server's data folder and pg_dump through the superuser.
      ...(migrate && form.superuserPassword !== '' ? { superuserPassword: form.superuserPassword } : {}),
      ...(form.mode === 'create'
        ? { listener: { listenAddresses: splitList(form.listenAddresses), ipRanges: splitList(form.ipRanges), maxConnections: toNumber(form.maxConnections) } }
        : {}),
    },
    share: {
      root: form.shareRoot.trim(),
      apps: form.sub.apps.trim(),
      archivedLogs: form.sub.archivedLogs.trim(),
      customData: form.sub.customData.trim(),
      staticContent: form.sub.staticContent.trim(),
    },
    installDir: form.installDir.trim(),
    dataDir: form.dataDir.trim(),
    serviceAccount: {
      user: form.serviceUser.trim(),
      ...(form.servicePassword !== '' || form.servicePasswordConfirm !== ''
        ? { password: form.servicePassword, passwordConfirm: form.servicePasswordConfirm }
        : {}),
      isAdministrator: form.serviceIsAdministrator,
    },
    hostname: form.hostname.trim(),
    startServices: form.startServices,
    plannedNodes: toNumber(form.plannedNodes),
    ...(form.runitDir !== '' ? { services: { manager: 'auto' as const, runitDir: form.runitDir } } : {}),
    ...(form.stateDir !== '' ? { stateDir: form.stateDir } : {}),
  };
  return settings;
}

/** The settings the Site screen sends: how to reach the repository database, and this node's folders (for its site key). */
export function toSiteSettings(form: Form): SettingsInput {
  const settings = toSettings(form);
  const { passwordConfirm: _confirm, listener: _listener, ...database } = settings.database;
  return { ...settings, cluster: { mode: 'create' }, database: { ...database, install: 'existing' } };
}

/** The migration settings file the form describes (an empty repository password is read from the node). */
export function toMigration(form: Form): MigrationInput {
  const settings = toSettings(form);
  const db = { ...(settings.database ?? {}) } as Record<string, unknown>;
  if (form.dbPassword === '') {
    delete db['password'];
    delete db['passwordConfirm'];
  }
  return { role: form.migrationRole, backupDir: form.backupDir.trim(), includeArchivedLogs: form.includeArchivedLogs, settings: { ...settings, database: db as SettingsInput['database'] } };
}

/** The migration file's own fields, checked as the user types. */
const migrationFieldsSchema = z.object({
  role: z.enum(['central', 'rim'], { message: 'choose central or rim' }),
  backupDir: z.string().trim().min(1, 'a backup folder is required'),
});

/** Fills the form from imported settings (a bundle or spc.cfg); inline secrets fill password fields only. */
export function applySettings(form: Form, s: SettingsInput): void {
  const str = (v: unknown, fallback: string): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : fallback);
  form.product = s.product ?? form.product;
  form.mode = s.cluster?.mode ?? form.mode;
  form.clusterId = s.cluster?.id ?? form.clusterId;
  if (typeof s.cluster?.siteKey === 'string') form.siteKey = s.cluster.siteKey;
  const db = s.database;
  if (db) {
    form.dbInstall = db.install ?? form.dbInstall;
    form.dbHost = str(db.host, form.dbHost);
    form.dbPort = str(db.port, form.dbPort);
    form.dbName = str(db.name, form.dbName);
    form.dbUser = str(db.user, form.dbUser);
    if (typeof db.password === 'string') form.dbPassword = form.dbPasswordConfirm = db.password;
    form.superuser = str(db.superuser, form.superuser);
    if (db.listener) {
      form.listenAddresses = db.listener.listenAddresses.join(', ');
      form.ipRanges = db.listener.ipRanges.join(', ');
      form.maxConnections = String(db.listener.maxConnections);
      form.maxConnectionsEdited = true;
    }
  }
  if (s.share) {
    form.shareRoot = s.share.root ?? form.shareRoot;
    for (const [key] of SUB_FOLDERS) {
      const v = s.share[key];
      if (typeof v === 'string' && v !== '') {
        form.sub[key] = v;
        form.subEdited[key] = true;
      }
    }
  }
  if (typeof s.installDir === 'string') form.installDir = s.installDir;
  if (typeof s.dataDir === 'string') form.dataDir = s.dataDir;
  if (s.serviceAccount) {
    form.serviceUser = s.serviceAccount.user ?? form.serviceUser;
    if (typeof s.serviceAccount.isAdministrator === 'boolean') form.serviceIsAdministrator = s.serviceAccount.isAdministrator;
  }
  if (typeof s.plannedNodes === 'number') form.plannedNodes = String(s.plannedNodes);
  if (typeof s.hostname === 'string' && s.hostname !== '' && s.cluster?.mode !== 'join') form.hostname = s.hostname;
  deriveFields(form);
}

/** Field path -> message, from the back end's schema and the wizard's typing rules. */
export function computeIssues(form: Form): Readonly<Record<string, string>> {
  const issues: Record<string, string> = {};
  const add = (path: string, message: string): void => {
    issues[path] ??= message;
  };
  const result = settingsSchema.safeParse(toSettings(form));
  if (!result.success) {
    for (const issue of result.error.issues) {
      const path = issue.path.map(String).join('.');
      // A number field holding text: say what is expected instead of zod's type message.
      if (issue.code === 'invalid_type' && issue.expected === 'number') add(path, path.endsWith('port') ? 'a port is 1..65535' : 'enter a whole number');
      else add(path, issue.message);
    }
  }
  if (!form.licenceAccepted && form.task !== 'site') add('licence', 'accept the licence agreement to continue');
  if (form.task === 'migrate') {
    const m = migrationFieldsSchema.safeParse({ role: form.migrationRole, backupDir: form.backupDir });
    if (!m.success) for (const issue of m.error.issues) add(`migration.${issue.path.map(String).join('.')}`, issue.message);
    const backup = form.backupDir.trim().replace(/[\\/]+$/, '');
    const inside = (dir: string): boolean => dir.trim() !== '' && (backup === dir.trim().replace(/[\\/]+$/, '') || backup.startsWith(`${dir.trim().replace(/[\\/]+$/, '')}${form.platform === 'win32' ? '\\' : '/'}`));
    if (backup !== '' && (inside(form.dataDir) || inside(form.shareRoot))) add('migration.backupDir', 'the backup must be outside the data folder and the share');
    if (form.migrationRole === 'central' && form.superuserPassword === '') add('database.superuserPassword', 'the superuser password is required to migrate the central node');
  } else if (form.dbPassword === '') add('database.password', 'a password is required');
  if (form.dbInstall === 'local') {
    if (form.superuserPassword === '') add('database.superuserPassword', 'a password is required');
  }
  // Windows services log on with the account's password; on Linux the account needs none.
  if (form.platform === 'win32' && form.servicePassword === '') add('serviceAccount.password', 'a password is required');
  if (form.installDir.trim() === '') add('installDir', 'an installation folder is required');
  if (form.dataDir.trim() === '') add('dataDir', 'a data folder is required');
  for (const [key, name] of SUB_FOLDERS) if (form.sub[key].trim() === '') add(`share.${key}`, `the ${name} folder is required`);
  return issues;
}

/** The field paths each screen owns (its issues are shown there and block its Next). */
export const SCREEN_FIELDS: Readonly<Partial<Record<ScreenId, readonly string[]>>> = {
  welcome: ['licence', 'product'],
  cluster: ['cluster.mode', 'cluster.id'],
  database: ['database.install', 'database.host', 'database.port', 'database.name', 'database.user', 'database.password', 'database.passwordConfirm'],
  listener: ['database.listener.listenAddresses', 'database.listener.ipRanges', 'database.listener.maxConnections', 'plannedNodes'],
  share: ['share.root', 'share.apps', 'share.archivedLogs', 'share.customData', 'share.staticContent'],
  location: ['installDir', 'dataDir'],
  superuser: ['database.superuser', 'database.superuserPassword', 'database.superuserPasswordConfirm'],
  service: ['serviceAccount.user', 'serviceAccount.password', 'serviceAccount.passwordConfirm', 'serviceAccount.isAdministrator'],
  hostname: ['hostname'],
  'migrate-site': ['migration.role', 'installDir', 'dataDir', 'migration.backupDir', 'hostname'],
  'site-access': ['database.host', 'database.port', 'database.name', 'database.user', 'database.password', 'stateDir'],
  'migrate-access': [
    'database.host',
    'database.port',
    'database.name',
    'database.user',
    'database.password',
    'database.passwordConfirm',
    'database.superuser',
    'database.superuserPassword',
    'database.listener',
    'plannedNodes',
    'serviceAccount',
  ],
};

/** The screen that owns a field path (to send the user back to fix it). */
export function screenOfField(path: string): ScreenId | undefined {
  for (const [screen, fields] of Object.entries(SCREEN_FIELDS) as [ScreenId, readonly string[]][]) {
    if (screen.startsWith('migrat') || screen.startsWith('site')) continue;
    if (fields.some((f) => path === f || path.startsWith(`${f}.`))) return screen;
  }
  if (path.startsWith('database.listener')) return 'listener';
  if (path.startsWith('database')) return 'database';
  return undefined;
}

/** The screens of the flow, in the guide's order, for the chosen mode and database. */
export function screensFor(form: Pick<Form, 'mode' | 'dbInstall'> & Partial<Pick<Form, 'task'>>): ScreenId[] {
  if (form.task === 'migrate') return ['welcome', 'migrate-site', 'migrate-access', 'share', 'migration-ready', 'installing', 'finished'];
  if (form.task === 'site') return ['welcome', 'site-access', 'site'];
  const out: ScreenId[] = ['welcome', 'cluster', 'database'];
  if (form.mode === 'create') out.push('listener');
  out.push('share', 'location');
  if (form.dbInstall === 'local') out.push('superuser');
  out.push('service', 'hostname', 'ready', 'installing', 'finished');
  return out;
}

/** The screen title for this task (the run screen says Migrating during a migration). */
export function screenTitle(screen: ScreenId, task: Form['task']): string {
  return task === 'migrate' && screen === 'installing' ? 'Migrating' : SCREEN_TITLES[screen];
}

/** True when an IP range admits every IPv4 or IPv6 address. */
export function hasOpenRange(ipRanges: string): boolean {
  return splitList(ipRanges).some((r) => r === '0.0.0.0/0' || r === '::/0');
}

/** Fills the database fields (and the central's host name, the node count) from what detection found on the node. */
export function applyDetected(form: Form, found: DetectedMigration): void {
  // The node's configuration names its repository database; the central node keeps its registered name.
  form.dbHost = found.database.host;
  form.dbPort = String(found.database.port);
  if (found.database.name !== '') form.dbName = found.database.name;
  if (found.database.user !== '') form.dbUser = found.database.user;
  const central = found.nodes.find((n) => n.isCentral);
  if (form.migrationRole === 'central' && central) form.hostname = central.hostname;
  if (!form.maxConnectionsEdited && found.nodes.length > 1) form.plannedNodes = String(Math.min(8, found.nodes.length));
  deriveFields(form);
}
