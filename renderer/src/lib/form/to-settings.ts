/** The form mapped to the back end's documents (settings, site settings, migration) and filled back from them. */
import type { SettingsInput } from '../../../../electron/shared/settings.js';
import type { DetectedMigration, MigrationInput } from '../../../../electron/shared/ipc.js';
import { deriveFields } from './derive.js';
import { SUB_FOLDERS } from './model.js';
import type { Form } from './model.js';
import { splitList, toNumber } from './text.js';

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
      ...(form.dbSsl !== 'disable' ? { ssl: form.dbSsl } : {}),
      ...(form.dbSsl === 'verify-full' && form.dbCa !== '' ? { tls: { ca: form.dbCa } } : {}),
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

/** The settings `db prepare` reads on the database server: the install's, with the superuser's password (it connects as the superuser). */
export function toDbPrepareSettings(form: Form): SettingsInput {
  const settings = toSettings(form);
  return { ...settings, database: { ...settings.database, superuser: form.superuser.trim(), superuserPassword: form.superuserPassword } };
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
    form.dbSsl = db.ssl ?? 'disable';
    form.dbCa = db.tls?.ca ?? '';
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
