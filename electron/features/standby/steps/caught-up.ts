/**
 * Step kind `pg-caught-up`: waits until the standby has replayed everything the old primary
 * wrote, so the promotion loses no committed transaction. The old primary's end is read from the
 * running (fenced) server (`pg_current_wal_lsn()`), or, once it was shut down cleanly, from its
 * control file (`pg_controldata`: the shutdown checkpoint, which the standby must have replayed).
 */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind, type StepContext } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { runPgProgram } from '../../../system/postgres/run-command.js';
import { serverRef, sleep, withServer } from './server-ref.js';

const localDir = z.object({ binDir: z.string(), dataDir: z.string(), osUser: z.string() }).strict();
const params = z
  .object({
    standby: serverRef,
    /** Where the old primary's last WAL position is read. */
    primary: z.union([z.object({ server: serverRef }).strict(), z.object({ stopped: localDir }).strict()]),
    timeoutMs: z.number().int().positive(),
  })
  .strict();
type Params = z.infer<typeof params>;

/** The old primary's last WAL position (an LSN), and for a stopped one whether it shut down cleanly. */
async function primaryEnd(p: Params, ctx: StepContext<System>): Promise<{ lsn: string; clean: boolean }> {
  if ('server' in p.primary) {
    const lsn = await withServer(p.primary.server, ctx, async (c) => (await c.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l'))[0]!.l);
    return { lsn, clean: true };
  }
  const d = p.primary.stopped;
  const r = await runPgProgram(ctx.sys.processes, `${d.binDir}/pg_controldata`, ['-D', d.dataDir], { user: d.osUser, timeoutMs: 30_000 });
  const lsn = /^Latest checkpoint location:\s+(\S+)$/m.exec(r.stdout)?.[1];
  const state = /^Database cluster state:\s+(.+)$/m.exec(r.stdout)?.[1]?.trim();
  if (!lsn) throw new UserError('process-failed', `pg_controldata did not show the last checkpoint of ${d.dataDir}.`, 'Check the data directory.');
  return { lsn, clean: state === 'shut down' };
}

/** Bytes the standby still has to replay to pass `lsn` (0 when it has; it must replay past the shutdown checkpoint). */
async function behind(p: Params, ctx: StepContext<System>, lsn: string, strictlyPast: boolean): Promise<number> {
  return withServer(p.standby, ctx, async (c) => {
    const row = (await c.query<{ d: string | null }>('SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), $1::pg_lsn)::text AS d', [lsn]))[0]!;
    const d = Number(row.d ?? '-1');
    return strictlyPast ? (d > 0 ? 0 : 1 - d) : d >= 0 ? 0 : -d;
  });
}

export const caughtUpStep = defineStepKind<typeof params, System>({
  kind: 'pg-caught-up',
  params,
  async check(p) {
    const from = 'server' in p.primary ? `${p.primary.server.host}:${p.primary.server.port}` : `the stopped server in ${p.primary.stopped.dataDir}`;
    return { action: 'run', summary: `Wait until ${p.standby.host}:${p.standby.port} has replayed all WAL of ${from} (no committed transaction lost)` };
  },
  async apply(p, ctx) {
    const end = await primaryEnd(p, ctx);
    if (!end.clean) throw new UserError('conflict', `The old primary did not shut down cleanly, so its last transactions may be missing on the standby.`, 'Start it again and run the command again, or use db failover if it is lost.');
    const strictlyPast = !('server' in p.primary);
    const deadline = Date.now() + p.timeoutMs;
    let left = await behind(p, ctx, end.lsn, strictlyPast);
    while (left > 0 && Date.now() < deadline) {
      await sleep(100);
      left = await behind(p, ctx, end.lsn, strictlyPast);
    }
    if (left > 0) throw new UserError('timeout', `The standby has not replayed up to ${end.lsn} (${left} bytes behind) within ${Math.round(p.timeoutMs / 1000)} s: nothing was promoted.`, 'Check that it streams (spsetup db status), then run the command again.');
    ctx.log(`the standby has replayed the old primary's WAL up to ${end.lsn}`);
  },
  async verify() {
    // apply proved it; afterwards the standby is promoted and the positions no longer compare.
  },
});
