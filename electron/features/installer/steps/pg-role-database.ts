/** Step kind: the repository role with its password, and the repository database owned by it. */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind, type StepContext } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { secretRef } from './params.js';

const params = z.object({
  server: z.object({ host: z.string(), port: z.number().int(), user: z.string(), password: secretRef }),
  role: z.string(),
  password: secretRef,
  database: z.string(),
  /** How the role's own login is tried: over SSL once the server keeps the role on hostssl. */
  roleSsl: z.enum(['disable', 'require']).optional(),
});
type Params = z.infer<typeof params>;

const asSuperuser = (p: Params, ctx: Pick<StepContext<System>, 'sys' | 'secret'>) =>
  ctx.sys.postgres.connect({ ...p.server, password: ctx.secret(p.server.password.secret), timeoutMs: 15_000 });

/** Whether the role can log in to the database with the planned password (the check a node will make). */
async function roleCanLogIn(p: Params, ctx: Pick<StepContext<System>, 'sys' | 'secret'>): Promise<boolean> {
  try {
    const conn = await ctx.sys.postgres.connect({ host: p.server.host, port: p.server.port, user: p.role, password: ctx.secret(p.password.secret), database: p.database, ssl: p.roleSsl ?? 'disable', timeoutMs: 10_000 });
    await conn.close();
    return true;
  } catch {
    return false;
  }
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
      const role = await conn.roleExists(p.role);
      const owner = (await conn.query<{ owner: string }>('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [p.database]))[0]?.owner;
      if (!role || owner === undefined) return { action: 'create', summary: `Create ${role ? '' : `role ${p.role} and `}database ${p.database} owned by ${p.role}` };
      if (owner !== p.role) return { action: 'update', summary: `Make ${p.role} the owner of ${p.database} (now ${owner})` };
    } finally {
      await conn.close();
    }
    return (await roleCanLogIn(p, ctx)) ? { action: 'noop', summary: `Role ${p.role} owns ${p.database}` } : { action: 'update', summary: `Set the password of role ${p.role}` };
  },
  async apply(p, ctx) {
    const conn = await asSuperuser(p, ctx);
    try {
      const role = await conn.ensureRole(p.role, ctx.secret(p.password.secret));
      const db = await conn.ensureDatabase(p.database, p.role);
      return { roleCreated: role.created, databaseCreated: db.created };
    } finally {
      await conn.close();
    }
  },
  async verify(p, ctx) {
    if (!(await roleCanLogIn(p, ctx))) {
      throw new UserError('verify-failed', `Role ${p.role} cannot log in to ${p.database} with the planned password.`, 'Check pg_hba.conf allows it from this machine, then resume.');
    }
  },
});
