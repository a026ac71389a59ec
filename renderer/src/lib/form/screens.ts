/** The wizard's screens: their ids and titles, the flow for each task, and the fields each screen owns. */
import type { Form } from './model.js';

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
