/** Parameter schemas and helpers the migration's step kinds share. */
import { z } from 'zod';
import { secretRef } from '../../installer/steps/params.js';
import type { StepContext } from '../../../engine/step-kind.js';
import type { PgConnection } from '../../../system/postgres/index.js';
import type { System } from '../../../system/system.js';

export { secretRef } from '../../installer/steps/params.js';

/** A database login; the password is a secret reference resolved at apply time. */
export const dbLogin = z.object({ host: z.string(), port: z.number().int(), user: z.string(), database: z.string(), password: secretRef });
export type DbLogin = z.infer<typeof dbLogin>;

/** Opens a connection with a login of the plan. */
export function connectLogin(ctx: StepContext<System>, login: DbLogin): Promise<PgConnection> {
  return ctx.sys.postgres.connect({ host: login.host, port: login.port, user: login.user, password: ctx.secret(login.password.secret), database: login.database, timeoutMs: 15_000 });
}
