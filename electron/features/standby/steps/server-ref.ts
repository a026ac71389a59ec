/** The server a standby step acts on through SQL (the primary, or the standby itself), by its superuser. */
import { z } from 'zod';
import type { StepContext } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import type { PgConnection } from '../../../system/postgres/index.js';
import { secretRef } from '../../installer/steps/params.js';

export const serverRef = z.object({ host: z.string(), port: z.number().int(), user: z.string(), password: secretRef }).strict();
export type ServerRef = z.infer<typeof serverRef>;

/** Connects as the server's superuser (bounded). */
export function connectTo(server: ServerRef, ctx: Pick<StepContext<System>, 'sys' | 'secret'>, timeoutMs = 15_000): Promise<PgConnection> {
  return ctx.sys.postgres.connect({ host: server.host, port: server.port, user: server.user, password: ctx.secret(server.password.secret), database: 'postgres', timeoutMs });
}

/** Runs `body` on a connection that is always closed. */
export async function withServer<T>(server: ServerRef, ctx: Pick<StepContext<System>, 'sys' | 'secret'>, body: (conn: PgConnection) => Promise<T>): Promise<T> {
  const conn = await connectTo(server, ctx);
  try {
    return await body(conn);
  } finally {
    await conn.close();
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
