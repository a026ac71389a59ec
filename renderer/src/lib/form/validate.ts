/**
 * Validation is the back end's own zod schema, plus the few rules that only make sense while
 * typing (a password may not be left empty).
 */
import { z } from 'zod';
import { climbsOut, isAbsoluteFor } from '../../../../electron/shared/path-rules.js';
import { defaultPaths, joinPath, settingsSchema } from '../../../../electron/shared/settings.js';
import { SUB_FOLDERS } from './model.js';
import type { Form } from './model.js';
import { createdPasswordPaths, forbiddenCharacterIssue, knownWords, measurePassword, MIN_PASSWORD_SCORE } from './password-strength.js';
import { toSettings } from './to-settings.js';

/** The migration file's own fields, checked as the user types. */
const migrationFieldsSchema = z.object({
  role: z.enum(['central', 'rim'], { message: 'choose central or rim' }),
  backupDir: z.string().trim().min(1, 'a backup folder is required'),
});

/** Field path -> message, from the back end's schema and the wizard's typing rules. */
export function computeIssues(form: Form): Readonly<Record<string, string>> {
  const issues: Record<string, string> = {};
  const add = (path: string, message: string): void => {
    issues[path] ??= message;
  };
  // The folder rules come first: their messages, with an example, are the wizard's own.
  addFolderIssues(form, add);
  const settings = toSettings(form);
  const result = settingsSchema.safeParse(settings);
  if (!result.success) {
    const listItems: Record<string, string[]> = {};
    for (const issue of result.error.issues) {
      const path = issue.path.map(String).join('.');
      const last = issue.path[issue.path.length - 1];
      if (typeof last === 'number') {
        // One entry of a list field (an IP range, a listen address): the field holds the whole
        // list, so its message goes there, naming the entry.
        const field = issue.path.slice(0, -1).map(String).join('.');
        const value = String(valueAt(settings, issue.path) ?? '');
        (listItems[field] ??= []).push(value !== '' && !issue.message.includes(value) ? `${value}: ${issue.message}` : issue.message);
      } else if (issue.code === 'invalid_type' && issue.expected === 'number') {
        // A number field holding text: say what is expected instead of zod's type message.
        add(path, path.endsWith('port') ? 'a port is 1..65535' : 'enter a whole number');
      } else add(path, issue.message);
    }
    for (const [field, messages] of Object.entries(listItems)) add(field, messages.join('; '));
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
  addPasswordIssues(form, add);
  return issues;
}

/**
 * Folders must be absolute for this platform, whatever else the form holds (the schema's own path
 * rule runs only once every field has the right type). An empty one is left to "is required".
 */
function addFolderIssues(form: Form, add: (path: string, message: string) => void): void {
  const win = form.platform === 'win32';
  const defaults = defaultPaths(form.platform, 'Qlik\\Sense');
  const shareExample = win ? '\\\\fileserver\\QlikShare' : '/srv/qlikshare';
  const root = form.shareRoot.trim();
  const shareRootExample = root !== '' && isAbsoluteFor(form.platform, root) ? root : shareExample;
  const folders: [path: string, value: string, example: string][] = [
    ['installDir', form.installDir, defaults.installDir],
    ['dataDir', form.dataDir, defaults.dataDir],
    ['stateDir', form.stateDir, defaults.stateDir],
    ['share.root', form.shareRoot, shareExample],
    ...SUB_FOLDERS.map(([key, name]): [string, string, string] => [`share.${key}`, form.sub[key], joinPath(form.platform, shareRootExample, name)]),
  ];
  if (form.task === 'migrate') folders.push(['migration.backupDir', form.backupDir, win ? 'D:\\Backups\\Qlik' : '/var/backups/qlik-sense']);
  for (const [path, raw, example] of folders) {
    const value = raw.trim();
    if (value === '') continue;
    if (!isAbsoluteFor(form.platform, value)) {
      const share = path.startsWith('share.');
      add(
        path,
        win
          ? `must be a full path${share ? ': a network share or a folder with its drive letter' : ' with its drive letter'}, such as ${example}`
          : `must be an absolute path (starting with /), such as ${example}`,
      );
    } else if (climbsOut(value)) add(path, `must not contain "..": give the folder itself, such as ${example}`);
  }
}

/** The value at a path of the settings document (undefined where there is none). */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let at = root;
  for (const key of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

/** Every password: no control characters; the ones this installation creates: strong enough. */
function addPasswordIssues(form: Form, add: (path: string, message: string) => void): void {
  const values: Readonly<Record<string, string>> = {
    'database.password': form.dbPassword,
    'database.superuserPassword': form.superuserPassword,
    'serviceAccount.password': form.servicePassword,
  };
  for (const [path, value] of Object.entries(values)) {
    const bad = forbiddenCharacterIssue(value);
    if (bad !== undefined) add(path, bad);
  }
  for (const path of createdPasswordPaths(form)) {
    const value = values[path] ?? '';
    if (value === '') continue;
    const s = measurePassword(value, knownWords(form));
    if (s.score < MIN_PASSWORD_SCORE) add(path, `too weak (${s.label}): ${s.advice || 'use a longer password, for example three or four unrelated words'}`);
  }
}
