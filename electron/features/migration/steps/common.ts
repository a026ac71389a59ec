/** Parameter schemas and helpers the migration's step kinds share. */
import { z } from 'zod';
import type { StepContext } from '../../../engine/step-kind.js';
import type { PgConnection } from '../../../system/postgres/index.js';
import type { System } from '../../../system/system.js';

export const secretRef = z.object({ secret: z.string() });

/** A database login; the password is a secret reference resolved at apply time. */
export const dbLogin = z.object({ host: z.string(), port: z.number().int(), user: z.string(), database: z.string(), password: secretRef });
export type DbLogin = z.infer<typeof dbLogin>;

/** Opens a connection with a login of the plan. */
export function connectLogin(ctx: StepContext<System>, login: DbLogin): Promise<PgConnection> {
  return ctx.sys.postgres.connect({ host: login.host, port: login.port, user: login.user, password: ctx.secret(login.password.secret), database: login.database, timeoutMs: 15_000 });
}

/** A quoted SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Bytes as a short human text. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** Milliseconds as "1m 05s". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
