/** The superuser connection a database preparation step makes to the server it prepares. */
import { z } from 'zod';
import type { StepContext } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import type { PgConnection } from '../../../system/postgres/client.js';
import { secretRef } from './params.js';

/** Host (127.0.0.1, or the socket folder), port, superuser, its password, and SSL as the server needs it. */
export const adminServer = z.object({
  host: z.string(),
  port: z.number().int(),
  user: z.string(),
  password: secretRef,
  ssl: z.enum(['disable', 'require', 'verify-full']).default('disable'),
  /** PEM CA certificate for verify-full. */
  ca: z.string().optional(),
});
export type AdminServer = z.infer<typeof adminServer>;

/** Connects as the superuser. */
export function connectAdmin(server: AdminServer, ctx: Pick<StepContext<System>, 'sys' | 'secret'>, timeoutMs = 15_000): Promise<PgConnection> {
  return ctx.sys.postgres.connect({
    host: server.host,
    port: server.port,
    user: server.user,
    password: ctx.secret(server.password.secret),
    ssl: server.ssl,
    ...(server.ca ? { ca: server.ca } : {}),
    timeoutMs,
  });
}
