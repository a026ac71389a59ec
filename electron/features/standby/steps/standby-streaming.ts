/**
 * Step kind `pg-standby-streaming`: proves replication works the way an administrator checks it:
 * the standby is in recovery with its WAL receiver streaming, and the primary lists it in
 * pg_stat_replication as streaming.
 */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind, type StepContext } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { serverRef, sleep, withServer } from './server-ref.js';

const params = z.object({ primary: serverRef, standby: serverRef, applicationName: z.string(), timeoutMs: z.number().int().positive() }).strict();
type Params = z.infer<typeof params>;

/** What is missing for streaming, or undefined when it streams. */
async function notStreaming(p: Params, ctx: StepContext<System>): Promise<string | undefined> {
  try {
    const standby = await withServer(p.standby, ctx, async (c) => (await c.query<{ rec: boolean; status: string | null }>('SELECT pg_is_in_recovery() AS rec, (SELECT status FROM pg_stat_wal_receiver) AS status'))[0]);
    if (!standby?.rec) return `${p.standby.host}:${p.standby.port} is not in recovery`;
    if (standby.status !== 'streaming') return `the WAL receiver of ${p.standby.host} is ${standby.status ?? 'not running'}`;
    const rows = await withServer(p.primary, ctx, (c) => c.query<{ state: string }>('SELECT state FROM pg_stat_replication WHERE application_name = $1', [p.applicationName]));
    if (rows[0]?.state !== 'streaming') return `the primary lists ${p.applicationName} as ${rows[0]?.state ?? 'absent'} in pg_stat_replication`;
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

export const standbyStreamingStep = defineStepKind<typeof params, System>({
  kind: 'pg-standby-streaming',
  params,
  async check(p, ctx) {
    return (await notStreaming(p, ctx)) ? { action: 'run', summary: `Verify that ${p.applicationName} streams from ${p.primary.host}` } : { action: 'noop', summary: `${p.applicationName} streams from ${p.primary.host}` };
  },
  async apply(p, ctx) {
    const deadline = Date.now() + p.timeoutMs;
    let why = await notStreaming(p, ctx);
    while (why && Date.now() < deadline) {
      await sleep(200);
      why = await notStreaming(p, ctx);
    }
    if (why) throw new UserError('verify-failed', `The standby does not stream: ${why}.`, `Read the standby's log; check the replication rule and password, then run again.`);
  },
  async verify(p, ctx) {
    const why = await notStreaming(p, ctx);
    if (why) throw new UserError('verify-failed', `The standby does not stream: ${why}.`, 'Run the command again.');
  },
});
