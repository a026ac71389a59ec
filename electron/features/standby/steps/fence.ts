/**
 * Step kind `pg-fence`: an old primary that is still reachable is made to refuse writes before
 * its standby is promoted: `default_transaction_read_only = on` by ALTER SYSTEM (kept across a
 * restart), reloaded, and every other client session ended, so that no client goes on writing
 * through a session opened before. This is a fence against clients that follow the settings (the
 * node agents and product services); a session that sets the parameter back can still write, which
 * is why the agents also refuse a primary on an older timeline. `db rejoin` lifts it (pg_rewind
 * takes the new primary's settings).
 */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import type { PgConnection } from '../../../system/postgres/index.js';
import { serverRef, withServer } from './server-ref.js';

const params = z.object({ server: serverRef }).strict();

const fenced = async (conn: PgConnection) => (await conn.query<{ v: string }>(`SELECT setting AS v FROM pg_settings WHERE name = 'default_transaction_read_only'`))[0]?.v === 'on';

export const fenceStep = defineStepKind<typeof params, System>({
  kind: 'pg-fence',
  params,
  async check(p, ctx) {
    const on = await withServer(p.server, ctx, fenced);
    const where = `${p.server.host}:${p.server.port}`;
    return on ? { action: 'noop', summary: `${where} is fenced (read-only)` } : { action: 'update', summary: `Fence ${where}: default_transaction_read_only = on, its other sessions ended` };
  },
  async apply(p, ctx) {
    await withServer(p.server, ctx, async (conn) => {
      await conn.query(`ALTER SYSTEM SET default_transaction_read_only = 'on'`);
      await conn.query('SELECT pg_reload_conf()');
      // The reload reaches the other backends asynchronously; ending them makes every new session read-only.
      const ended = await conn.query<{ n: string }>(`SELECT count(pg_terminate_backend(pid))::text AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`);
      ctx.log(`${p.server.host}: read-only; ${ended[0]?.n ?? 0} session(s) ended`);
    });
  },
  async verify(p, ctx) {
    if (!(await withServer(p.server, ctx, fenced))) throw new UserError('verify-failed', `${p.server.host}:${p.server.port} is not read-only after the fence.`, 'A setting in its postgresql.conf may override postgresql.auto.conf; correct it and run again.');
  },
});
