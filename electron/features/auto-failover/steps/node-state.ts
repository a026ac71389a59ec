/**
 * Step kind `pg-autoctl-node-state`: proof that a keeper works, read from the monitor itself (as
 * autoctl_node, over TLS): the node is registered and has reached the state the monitor assigned
 * it, one of single, primary or secondary. Bounded in time.
 */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind, type StepContext } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { secretRef } from '../../installer/steps/params.js';
import { sleep } from '../../standby/steps/server-ref.js';

const params = z
  .object({
    monitor: z.object({ host: z.string(), port: z.number().int(), password: secretRef }).strict(),
    node: z.object({ host: z.string(), port: z.number().int() }).strict(),
    timeoutMs: z.number().int().positive(),
  })
  .strict();
type Params = z.infer<typeof params>;

interface NodeState {
  readonly reported: string;
  readonly goal: string;
}

const SETTLED = ['single', 'primary', 'secondary'];
const settled = (s: NodeState | undefined) => s !== undefined && s.reported === s.goal && SETTLED.includes(s.reported);
const where = (p: Params) => `${p.node.host}:${p.node.port}`;

/** The node's state at the monitor (undefined when it is not registered). */
export async function readNodeState(p: Params, ctx: Pick<StepContext<System>, 'sys' | 'secret'>): Promise<NodeState | undefined> {
  const conn = await ctx.sys.postgres.connect({ host: p.monitor.host, port: p.monitor.port, user: 'autoctl_node', password: ctx.secret(p.monitor.password.secret), database: 'pg_auto_failover', ssl: 'require', timeoutMs: 5_000 });
  try {
    const row = (await conn.query<{ reported: string; goal: string }>('SELECT reportedstate::text AS reported, goalstate::text AS goal FROM pgautofailover.node WHERE nodehost = $1 AND nodeport = $2', [p.node.host, p.node.port]))[0];
    return row ? { reported: row.reported, goal: row.goal } : undefined;
  } finally {
    await conn.close();
  }
}

export const nodeStateStep = defineStepKind<typeof params, System>({
  kind: 'pg-autoctl-node-state',
  params,
  async check(p, ctx) {
    const s = await readNodeState(p, ctx).catch(() => undefined);
    if (settled(s)) return { action: 'noop', summary: `The monitor sees ${where(p)} as ${s!.reported}` };
    return { action: 'run', summary: `Wait until the monitor sees ${where(p)} as single, primary or secondary${s ? ` (now ${s.reported}, assigned ${s.goal})` : ''}` };
  },
  async apply(p, ctx) {
    const deadline = Date.now() + p.timeoutMs;
    let last: NodeState | undefined;
    let error = '';
    for (;;) {
      last = await readNodeState(p, ctx).catch((err: unknown) => ((error = (err as Error).message), undefined));
      if (settled(last)) return ctx.log(`the monitor sees ${where(p)} as ${last!.reported}`);
      if (Date.now() > deadline) {
        throw new UserError('timeout', `The monitor does not see ${where(p)} settled within ${Math.round(p.timeoutMs / 1000)} s (${last ? `reported ${last.reported}, assigned ${last.goal}` : `not registered${error ? `: ${error}` : ''}`}).`, "Read the pg_autoctl service's log on this machine, then run the command again.");
      }
      await sleep(250);
    }
  },
  async verify(p, ctx) {
    const s = await readNodeState(p, ctx);
    if (!settled(s)) throw new UserError('verify-failed', `The monitor sees ${where(p)} as ${s ? s.reported : 'not registered'}.`, 'Run the command again.');
  },
});
