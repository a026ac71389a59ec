/**
 * `spsetup site password rotate --superuser` (issue 15): a new password for the PostgreSQL
 * superuser where spsetup installed the database (or prepared it). The current password (from the
 * settings) must log in first, so a wrong one changes nothing; the new one is stored by the server
 * as a SCRAM verifier computed here (the clear password never reaches the server or its log); then
 * the old password is tried and must be refused, and the new one must log in. The nodes never
 * hold the superuser password, so nothing is pushed.
 */
import { UserError } from '../shared/errors.js';
import type { Settings } from '../shared/settings.js';
import type { InstallerContext } from '../features/installer/installer.js';
import { connectAsSuperuser } from '../features/installer/db-prepare-facts.js';
import { resolveSecrets } from '../features/installer/load-settings.js';
import { escapeIdentifier, escapeLiteral } from '../system/postgres/sql.js';
import { scramVerifier } from '../system/postgres/index.js';

export interface SuperuserRotateResult {
  readonly role: string;
  /** The old password was tried afterwards and the server refused it. */
  readonly oldRefused: boolean;
  /** The new password logs in. */
  readonly newWorks: boolean;
}

const refusedPassword = (err: unknown) => err instanceof UserError && /refused the password/.test(err.message);

/** Tries a login as the superuser; whether the server refused the password (other failures are thrown). */
async function refuses(ctx: InstallerContext, settings: Settings, password: string): Promise<boolean> {
  try {
    const { conn } = await connectAsSuperuser(ctx.sys, settings, password);
    await conn.close();
    return false;
  } catch (err) {
    if (refusedPassword(err)) return true;
    throw err;
  }
}

/** Rotates the superuser's password; refuses an empty, unchanged or wrong current password before any change. */
export async function rotateSuperuserPassword(settings: Settings, ctx: InstallerContext, request: { readonly password: string; readonly say: (line: string) => void }): Promise<SuperuserRotateResult> {
  const role = settings.database.superuser;
  const current = (await resolveSecrets(settings, ctx.env ?? process.env)).get('database.superuserPassword');
  if (!current) throw new UserError('invalid-input', 'database.superuserPassword (the current superuser password) is not in the settings. Nothing was changed.', 'Give it in the settings (a file or an environment variable), then run again.');
  if (!request.password) throw new UserError('invalid-input', 'The new password is empty. Nothing was changed.', 'Give a non-empty password.');
  if (/[\u0000\r\n]/.test(request.password)) throw new UserError('invalid-input', 'The new password holds NUL, CR or LF. Nothing was changed.', 'Give a password on one line.');
  if (request.password === current) throw new UserError('invalid-input', 'The new password is the one in use. Nothing was changed.', 'Give a new password.');
  let conn;
  try {
    ({ conn } = await connectAsSuperuser(ctx.sys, settings, current));
  } catch (err) {
    if (refusedPassword(err)) throw new UserError('invalid-input', `The server refused the current password of ${role} (database.superuserPassword in the settings). Nothing was changed.`, 'Give the password the superuser has now, then run again.');
    throw err;
  }
  try {
    const su = (await conn.query<{ su: boolean }>('SELECT rolsuper AS su FROM pg_roles WHERE rolname = current_user'))[0]?.su;
    if (su !== true) throw new UserError('preflight-failed', `${role} is not a superuser on this server. Nothing was changed.`, 'Give the PostgreSQL superuser in database.superuser.');
    request.say(`Setting a new password for ${role} (stored by the server as a SCRAM verifier, never as text).`);
    await conn.query(`ALTER ROLE ${escapeIdentifier(role)} PASSWORD ${escapeLiteral(scramVerifier(request.password))}`);
  } finally {
    await conn.close();
  }
  const oldRefused = await refuses(ctx, settings, current);
  const newWorks = !(await refuses(ctx, settings, request.password));
  return { role, oldRefused, newWorks };
}
