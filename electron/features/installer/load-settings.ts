/** Reads a settings document and the secrets it refers to (inline, a file, or an environment variable). */
import { readFile, stat } from 'node:fs/promises';
import { UserError } from '../../shared/errors.js';
import { parseSettings, type Secret, type SecretName, type Settings } from '../../shared/settings.js';

/** Parses settings JSON text; invalid input names the bad field. */
export function parseSettingsText(text: string, source: string): Settings {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UserError('invalid-input', `${source} is not valid JSON: ${(err as Error).message}.`, 'Fix the file and run the command again.');
  }
  return validateSettings(raw, source);
}

/** Validates a settings object; invalid input names every bad field. */
export function validateSettings(raw: unknown, source = 'The settings'): Settings {
  const parsed = parseSettings(raw);
  if (parsed.ok) return parsed.settings;
  const list = parsed.issues.map((i) => `${i.path || '(top level)'}: ${i.message}`).join('; ');
  throw new UserError('invalid-input', `${source} ${parsed.issues.length === 1 ? 'has an invalid field' : 'have invalid fields'}: ${list}.`, 'Correct the named fields and run the command again.', {
    fields: parsed.issues.map((i) => i.path),
  });
}

/** Reads and validates a settings file. */
export async function loadSettingsFile(path: string): Promise<Settings> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UserError('invalid-input', `Cannot read the settings file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`, 'Check the path and that you may read the file.');
  }
  return parseSettingsText(text, `The settings file ${path}`);
}

/** Resolves one secret: inline, from a file (one trailing newline dropped) or from the environment. */
export async function resolveSecret(name: string, secret: Secret, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (typeof secret === 'string') return secret;
  const value = 'env' in secret ? fromEnv(name, secret.env, env) : await fromFile(name, secret.file);
  // initdb keeps only the first line of its password file; a connection string ends at a NUL.
  if (/[\u0000\r\n]/.test(value)) {
    const where = 'env' in secret ? `the environment variable ${secret.env}` : `the secret file ${secret.file}`;
    throw new UserError('invalid-input', `${name}: ${where} holds a line break or NUL character inside the secret, which cannot be used.`, 'Put the secret on one line (one trailing newline is fine).');
  }
  return value;
}

function fromEnv(name: string, variable: string, env: NodeJS.ProcessEnv): string {
  const value = env[variable];
  if (value === undefined) throw new UserError('invalid-input', `${name}: the environment variable ${variable} is not set.`, `Set ${variable} or give the secret another way.`);
  return value;
}

/** A secret file must be a file only its owner may read or change (as a bundle's passphrase file). */
async function fromFile(name: string, path: string): Promise<string> {
  const unreadable = (err: unknown) =>
    new UserError('invalid-input', `${name}: cannot read the secret file ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`, 'Check the path and its permissions.');
  const info = await stat(path).catch((err: unknown) => {
    throw unreadable(err);
  });
  if (!info.isFile()) throw new UserError('invalid-input', `${name}: the secret file ${path} is not a file.`, 'Give the path of a file that holds only the secret.');
  if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(3, '0');
    throw new UserError('invalid-input', `${name}: the secret file ${path} may be read or changed by other users (mode ${mode}).`, `Restrict it to its owner: chmod 600 ${path}`);
  }
  return (await readFile(path, 'utf8').catch((err: unknown) => {
    throw unreadable(err);
  })).replace(/\r?\n$/, '');
}

/** Every secret the settings hold, by name (see SECRET_NAMES). */
export async function resolveSecrets(settings: Settings, env: NodeJS.ProcessEnv = process.env): Promise<ReadonlyMap<string, string>> {
  const secrets = new Map<SecretName, string>();
  const given: [SecretName, Secret | undefined][] = [
    ['database.password', settings.database.password],
    ['database.superuserPassword', settings.database.superuserPassword],
    ['serviceAccount.password', settings.serviceAccount.password],
    ['cluster.siteKey', settings.cluster.siteKey],
    ['licence.key', settings.licence?.key],
  ];
  for (const [name, secret] of given) if (secret !== undefined) secrets.set(name, await resolveSecret(name, secret, env));
  return secrets;
}
