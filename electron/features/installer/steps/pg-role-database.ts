/**
 * Step kind: the repository role with its password, and the repository database owned by it. Its
 * undo takes back what apply did: drops the database and role it created, gives the database back
 * to its previous owner, and puts back the previous password verifier (kept in an owner-only file
 * under the state folder, never in the journal) and login attribute.
 */
import { z } from 'zod';
import { escapeIdentifier, escapeLiteral } from '../../../system/postgres/sql.js';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind, type StepContext } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { secretRef } from './params.js';
import { adminServer, connectAdmin } from './pg-admin.js';
import type { PgConnection } from '../../../system/postgres/client.js';
import { verifierMatches } from '../../../system/postgres/scram.js';
import type { Settings } from '../../../shared/settings.js';

const params = z.object({
  server: adminServer,
  role: z.string(),
  password: secretRef,
  database: z.string(),
  /**
   * scram: stored as SCRAM-SHA-256 (an md5 verifier of the same password is stored again). md5
   * (database.authMethod md5, asked for): a new password is stored as md5, a verifier of the same
   * password is kept as it is. A server older than PostgreSQL 10 stores md5 either way.
   */
  passwordStorage: z.enum(['scram', 'md5']).default('scram'),
  /** Kept for plans made before the check read the catalog instead of logging in as the role (unused). */
  roleSsl: z.enum(['disable', 'require']).optional(),
});
type Params = z.infer<typeof params>;

/** How the settings ask the role's password to be stored. */
export function passwordStorage(db: Pick<Settings['database'], 'authMethod' | 'scramPassword'>): 'scram' | 'md5' {
  return db.authMethod === 'md5' && db.scramPassword !== true ? 'md5' : 'scram';
}

const asSuperuser = (p: Params, ctx: Pick<StepContext<System>, 'sys' | 'secret'>) => connectAdmin(p.server, ctx);

/** What the catalog holds: the role's login and verifier, the database's owner. */
async function observe(p: Params, conn: PgConnection) {
  const role = (await conn.query<{ login: boolean; verifier: string | null }>('SELECT rolcanlogin AS login, rolpassword AS verifier FROM pg_authid WHERE rolname = $1', [p.role]))[0];
  const owner = (await conn.query<{ owner: string }>('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [p.database]))[0]?.owner;
  const scram = (await conn.serverVersionNum()) >= 100000;
  return { role, owner, scram };
}

/**
 * Whether the role logs in with the planned password, as the stored verifier says (whatever pg_hba
 * allows from here); an md5 verifier on a server with SCRAM is not in place (ensureRole stores it again as SCRAM).
 */
function passwordInPlace(p: Params, ctx: Pick<StepContext<System>, 'secret'>, role: { login: boolean; verifier: string | null }, scram: boolean): boolean {
  if (!role.login || role.verifier === null || !verifierMatches(role.verifier, ctx.secret(p.password.secret), p.role)) return false;
  return p.passwordStorage === 'md5' || role.verifier.startsWith('SCRAM-SHA-256$') === scram;
}

/** The `pg-role-database` step kind. */
export const pgRoleDatabaseStep = defineStepKind<typeof params, System>({
  kind: 'pg-role-database',
  params,
  async check(p, ctx) {
    let conn;
    try {
      conn = await asSuperuser(p, ctx);
    } catch {
      // The server does not run yet (a local database created by this plan).
      return { action: 'create', summary: `Create role ${p.role} and database ${p.database} owned by it` };
    }
    try {
      const { role, owner, scram } = await observe(p, conn);
      if (!role || owner === undefined) return { action: 'create', summary: `Create ${role ? '' : `role ${p.role}${p.passwordStorage === 'md5' && scram ? ' (password stored as md5: database.authMethod md5)' : ''} and `}database ${p.database} owned by ${p.role}` };
      if (owner !== p.role) return { action: 'update', summary: `Make ${p.role} the owner of ${p.database} (now ${owner})` };
      if (passwordInPlace(p, ctx, role, scram)) return { action: 'noop', summary: `Role ${p.role} owns ${p.database}` };
      const md5 = scram && role.verifier !== null && /^md5/.test(role.verifier) && verifierMatches(role.verifier, ctx.secret(p.password.secret), p.role);
      const as = p.passwordStorage === 'md5' && scram ? ' (stored as md5: database.authMethod md5)' : '';
      return { action: 'update', summary: md5 ? `Store the password of role ${p.role} again as SCRAM-SHA-256 (the same password, now stored as md5)` : `Set the password of role ${p.role}${as}` };
    } finally {
      await conn.close();
    }
  },
  async apply(p, ctx) {
    const conn = await asSuperuser(p, ctx);
    try {
      const before = (await conn.query<{ login: boolean; verifier: string | null }>('SELECT rolcanlogin AS login, rolpassword AS verifier FROM pg_authid WHERE rolname = $1', [p.role]))[0];
      const previousOwner = (await conn.query<{ owner: string }>('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [p.database]))[0]?.owner;
      const role = await conn.ensureRole(p.role, ctx.secret(p.password.secret), p.passwordStorage);
      let verifierFile: string | undefined;
      if (before && role.changed) {
        // The old verifier is not a password, but it is an offline guessing target: owner-only, not the journal.
        verifierFile = `${ctx.stateDir}/backups/${p.role.replace(/[^A-Za-z0-9_-]/g, '_')}.verifier.${Date.now()}`;
        await ctx.sys.files.ensureDir(`${ctx.stateDir}/backups`);
        await ctx.sys.files.writeAtomic(verifierFile, JSON.stringify({ login: before.login, verifier: before.verifier }), { mode: 0o600 });
      }
      let db;
      try {
        db = await conn.ensureDatabase(p.database, p.role);
      } catch (err) {
        if (role.created) await conn.query(`DROP ROLE ${escapeIdentifier(p.role)}`).catch(() => undefined);
        throw err;
      }
      return {
        roleCreated: role.created,
        databaseCreated: db.created,
        ...(previousOwner !== undefined && db.changed ? { previousOwner } : {}),
        ...(verifierFile ? { verifierFile } : {}),
      };
    } finally {
      await conn.close();
    }
  },
  async verify(p, ctx) {
    const conn = await asSuperuser(p, ctx);
    try {
      const { role, owner, scram } = await observe(p, conn);
      if (!role || owner !== p.role || !passwordInPlace(p, ctx, role, scram)) {
        throw new UserError('verify-failed', `Role ${p.role} does not own ${p.database} with the planned password and LOGIN.`, 'Another session may have changed it; resume to try again.');
      }
    } finally {
      await conn.close();
    }
  },
  async undo(p, ctx, record) {
    const conn = await asSuperuser(p, ctx);
    try {
      const ident = escapeIdentifier(p.role);
      if (record?.['databaseCreated'] === true) {
        const others = (await conn.query<{ n: string }>('SELECT count(*)::text AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [p.database]))[0]?.n;
        if (others !== '0') return { kept: `database ${p.database} has ${others} open connection(s); drop it by hand when they are gone` };
        await conn.query(`DROP DATABASE ${escapeIdentifier(p.database)}`);
      } else if (typeof record?.['previousOwner'] === 'string') {
        await conn.query(`ALTER DATABASE ${escapeIdentifier(p.database)} OWNER TO ${escapeIdentifier(record['previousOwner'])}`);
      }
      if (record?.['roleCreated'] === true) {
        await conn.query(`DROP ROLE ${ident}`);
      } else if (typeof record?.['verifierFile'] === 'string') {
        const saved = await ctx.sys.files.readText(record['verifierFile']);
        if (saved === undefined) return { kept: `the previous password of role ${p.role} (its backup ${record['verifierFile']} is gone)` };
        const old = JSON.parse(saved) as { login: boolean; verifier: string | null };
        await conn.query(`ALTER ROLE ${ident} ${old.login ? 'LOGIN' : 'NOLOGIN'} PASSWORD ${old.verifier === null ? 'NULL' : escapeLiteral(old.verifier)}`);
        await ctx.sys.files.remove(record['verifierFile']);
      }
    } finally {
      await conn.close();
    }
  },
});
