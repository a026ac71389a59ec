/**
 * Step kind `site-nodes-follow`: after a promotion, waits until every node of the site heartbeats
 * through the new primary: its agent found the new primary among its database endpoints,
 * re-pointed the node's connection string and restarted the product services in the manifest's
 * order (features/site/primary-follow.ts). Read from spsetup's site schema on the new primary.
 */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind, type StepContext } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import type { PgConnection } from '../../../system/postgres/index.js';
import { serverRef, sleep } from './server-ref.js';

const params = z.object({ server: serverRef, database: z.string().min(1), endpoint: z.string(), timeoutMs: z.number().int().positive() }).strict();
type Params = z.infer<typeof params>;

type NodeRow = {
  readonly hostname: string;
  readonly endpoint: string;
  readonly fresh: boolean;
  readonly age: string;
};

async function withRepository<T>(p: Params, ctx: Pick<StepContext<System>, 'sys' | 'secret'>, body: (c: PgConnection) => Promise<T>): Promise<T> {
  const conn = await ctx.sys.postgres.connect({ host: p.server.host, port: p.server.port, user: p.server.user, password: ctx.secret(p.server.password.secret), database: p.database, timeoutMs: 15_000 });
  try {
    return await body(conn);
  } finally {
    await conn.close();
  }
}

async function nodes(p: Params, ctx: StepContext<System>, since: string | null): Promise<NodeRow[] | undefined> {
  return withRepository(p, ctx, async (c) => {
    if (!(await c.query<{ t: string | null }>(`SELECT to_regclass('spsetup.nodes')::text AS t`))[0]?.t) return undefined;
    return c.query<NodeRow>(
      `SELECT hostname, endpoint, ($1::timestamptz IS NULL OR last_heartbeat > $1::timestamptz) AS fresh, round(extract(epoch FROM now() - last_heartbeat))::text AS age FROM spsetup.nodes ORDER BY hostname`,
      [since],
    );
  });
}

const lagging = (rows: readonly NodeRow[], endpoint: string) => rows.filter((r) => r.endpoint !== endpoint || !r.fresh);

export const nodesFollowStep = defineStepKind<typeof params, System>({
  kind: 'site-nodes-follow',
  params,
  async check(p, ctx) {
    const rows = await nodes(p, ctx, null);
    if (!rows) throw new UserError('not-found', `The database ${p.database} has no spsetup site schema, so the nodes cannot be followed.`, 'Give site.database the repository database (QSR), or leave site out.');
    if (!rows.length) return { action: 'noop', summary: `No node is registered in ${p.database}` };
    return { action: 'run', summary: `Wait until every node (${rows.map((r) => r.hostname).join(', ')}) heartbeats through ${p.endpoint}` };
  },
  async apply(p, ctx) {
    const since = await withRepository(p, ctx, async (c) => (await c.query<{ t: string }>('SELECT now()::text AS t'))[0]!.t);
    const deadline = Date.now() + p.timeoutMs;
    for (;;) {
      const rows = (await nodes(p, ctx, since)) ?? [];
      const left = lagging(rows, p.endpoint);
      if (!left.length) {
        ctx.log(`every node heartbeats through ${p.endpoint}: ${rows.map((r) => r.hostname).join(', ')}`);
        return;
      }
      if (Date.now() > deadline) {
        throw new UserError(
          'timeout',
          `Not every node follows the new primary: ${left.map((r) => `${r.hostname} (through ${r.endpoint}, last heartbeat ${r.age} s ago)`).join(', ')}.`,
          'Each node agent needs the standby among its database endpoints (spsetup site endpoints set): set them, or start that node, then run the command again.',
        );
      }
      await sleep(500);
    }
  },
  async verify(p, ctx) {
    const left = lagging((await nodes(p, ctx, null)) ?? [], p.endpoint);
    if (left.length) throw new UserError('verify-failed', `Nodes not on the new primary: ${left.map((r) => r.hostname).join(', ')}.`, 'Run the command again.');
  },
});
