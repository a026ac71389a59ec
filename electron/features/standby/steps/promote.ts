/**
 * Step kind `pg-promote`: the standby made the primary with `pg_promote()` (PostgreSQL 12+: no
 * trigger file), then proven writable: out of recovery, on a new timeline, and a transaction that
 * writes commits. Already a primary: nothing to do.
 */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind, type StepContext } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { readServerRole } from '../server-role.js';
import { serverRef, sleep, withServer } from './server-ref.js';

const params = z.object({ server: serverRef, timeoutMs: z.number().int().positive() }).strict();
type Params = z.infer<typeof params>;

const where = (p: Params) => `${p.server.host}:${p.server.port}`;

/** Whether the server takes writes (a transaction that gets an xid commits). */
async function writable(p: Params, ctx: StepContext<System>): Promise<{ primary: boolean; timeline: number; writes: boolean }> {
  return withServer(p.server, ctx, async (conn) => {
    const role = await readServerRole(conn);
    if (role.role !== 'primary') return { primary: false, timeline: role.timeline, writes: false };
    const ro = (await conn.query<{ ro: string }>(`SELECT current_setting('transaction_read_only') AS ro`))[0]!.ro;
    if (ro === 'on') return { primary: true, timeline: role.timeline, writes: false };
    await conn.query('SELECT pg_current_xact_id()');
    return { primary: true, timeline: role.timeline, writes: true };
  });
}

export const promoteStep = defineStepKind<typeof params, System>({
  kind: 'pg-promote',
  params,
  async check(p, ctx) {
    const role = await withServer(p.server, ctx, readServerRole);
    if (role.role === 'primary') return { action: 'noop', summary: `${where(p)} is the primary (timeline ${role.timeline})` };
    return { action: 'run', summary: `Promote ${where(p)} with pg_promote() (a new timeline after ${role.timeline}), then wait until it takes writes` };
  },
  async apply(p, ctx) {
    const before = await withServer(p.server, ctx, readServerRole);
    if (before.role === 'standby') {
      const seconds = Math.max(1, Math.ceil(p.timeoutMs / 1000));
      ctx.log(`pg_promote() on ${where(p)}`);
      const ok = await withServer(p.server, ctx, async (conn) => (await conn.query<{ ok: boolean }>('SELECT pg_promote(true, $1) AS ok', [seconds]))[0]!.ok);
      if (!ok) throw new UserError('timeout', `${where(p)} did not finish its promotion within ${seconds} s.`, "Read the server's log; run the command again to wait longer.");
    }
    const deadline = Date.now() + p.timeoutMs;
    for (;;) {
      const w = await writable(p, ctx).catch(() => undefined);
      if (w?.writes) {
        // The control file shows the new timeline only after a checkpoint (pg_rewind of the old primary reads it).
        await withServer(p.server, ctx, (c) => c.query('CHECKPOINT'));
        ctx.log(`${where(p)} takes writes on timeline ${w.timeline}`);
        return;
      }
      if (Date.now() > deadline) throw new UserError('timeout', `${where(p)} was promoted but does not take writes${w?.primary ? ' (transactions are read-only: default_transaction_read_only is on)' : ''}.`, "Read the server's log and its settings, then run again.");
      await sleep(200);
    }
  },
  async verify(p, ctx) {
    const w = await writable(p, ctx);
    if (!w.writes) throw new UserError('verify-failed', `${where(p)} is ${w.primary ? 'a primary that refuses writes' : 'still a standby'} after the promotion.`, 'Run the command again.');
  },
});
