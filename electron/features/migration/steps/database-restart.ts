/**
 * Step kind: the repository database restarted through its service when a setting waits for a
 * restart (listen_addresses after configuring the listener); nothing when none does.
 */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind, type StepContext } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { connectLogin, dbLogin } from './common.js';

const params = z.object({ service: z.string(), database: dbLogin, timeoutMs: z.number().int().default(60_000) });
type Params = z.infer<typeof params>;

async function pending(p: Params, ctx: StepContext<System>): Promise<string[]> {
  const conn = await connectLogin(ctx, p.database);
  try {
    return (await conn.query<{ name: string }>('SELECT name FROM pg_settings WHERE pending_restart ORDER BY name')).map((r) => r.name);
  } finally {
    await conn.close();
  }
}

/** The `migration-database-restart` step kind. */
export const databaseRestartStep = defineStepKind<typeof params, System>({
  kind: 'migration-database-restart',
  params,
  async check(p, ctx) {
    const names = await pending(p, ctx).catch(() => [] as string[]);
    return names.length ? { action: 'run', summary: `Restart ${p.service} for ${names.join(', ')}` } : { action: 'noop', summary: 'No database setting waits for a restart' };
  },
  async apply(p, ctx) {
    if ((await ctx.sys.services.installed(p.service)) === undefined) {
      throw new UserError('not-found', `The database service ${p.service} is not registered, so it cannot be restarted here.`, 'Restart the repository database yourself, then resume the migration.');
    }
    await ctx.sys.services.stop(p.service);
    await ctx.sys.services.start(p.service);
    await ctx.sys.services.waitReady(p.service, { port: p.database.port, timeoutMs: p.timeoutMs });
  },
  async verify(p, ctx) {
    const deadline = Date.now() + p.timeoutMs;
    for (;;) {
      try {
        const names = await pending(p, ctx);
        if (names.length) throw new UserError('verify-failed', `Still waiting for a restart: ${names.join(', ')}.`, 'Restart the repository database, then resume.');
        return;
      } catch (err) {
        if (err instanceof UserError && err.code === 'verify-failed') throw err;
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  },
});
