/**
 * Step kind `pg-role-password`: a password for a role pg_autoctl created without one (the
 * monitor's autoctl_node, the nodes' pgautofailover_replicator), sent as a SCRAM verifier only.
 * On a standby there is nothing to do: the role and its password come from the primary. Before
 * pg_autoctl made the server (a plan made before apply) it is reported as still to do.
 */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind, type StepContext } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { scramVerifier, verifierMatches } from '../../../system/postgres/index.js';
import { escapeIdentifier, escapeLiteral } from '../../../system/postgres/sql.js';
import { secretRef } from '../../installer/steps/params.js';
import { serverRef, sleep, withServer } from '../../standby/steps/server-ref.js';

const params = z.object({ server: serverRef, role: z.string(), password: secretRef }).strict();
type Params = z.infer<typeof params>;

type State = 'standby' | 'missing' | 'other-password' | 'ok';

async function roleState(p: Params, ctx: StepContext<System>): Promise<State> {
  return withServer(p.server, ctx, async (conn) => {
    if ((await conn.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r'))[0]!.r) return 'standby';
    const row = (await conn.query<{ pw: string | null }>('SELECT rolpassword AS pw FROM pg_authid WHERE rolname = $1', [p.role]))[0];
    if (!row) return 'missing';
    return row.pw && verifierMatches(row.pw, ctx.secret(p.password.secret), p.role) ? 'ok' : 'other-password';
  });
}

const where = (p: Params) => `${p.server.host}:${p.server.port}`;

export const rolePasswordStep = defineStepKind<typeof params, System>({
  kind: 'pg-role-password',
  params,
  async check(p, ctx) {
    const state = await roleState(p, ctx).catch(() => undefined);
    if (state === 'ok' || state === 'standby') return { action: 'noop', summary: `${where(p)}: ${p.role} ${state === 'ok' ? 'has its password' : 'comes from the primary (this server is a standby)'}` };
    return { action: 'update', summary: `${where(p)}: set the password of ${p.role} (SCRAM)${state === undefined ? ' once pg_autoctl runs the server' : ''}` };
  },
  async apply(p, ctx) {
    // Just started by the previous step: a port that accepts is not yet a server that answers.
    const deadline = Date.now() + 120_000;
    let state: State | undefined;
    while (state === undefined) {
      state = await roleState(p, ctx).catch((err: unknown) => {
        if (Date.now() > deadline) throw err;
        return undefined;
      });
      if (state === undefined) await sleep(250);
    }
    if (state === 'ok' || state === 'standby') return;
    if (state === 'missing') throw new UserError('not-found', `${where(p)} has no role ${p.role}: pg_autoctl did not create it.`, 'Read the log of the pg_autoctl step, then run the command again.');
    const verifier = escapeLiteral(scramVerifier(ctx.secret(p.password.secret)));
    await withServer(p.server, ctx, (conn) => conn.query(`ALTER ROLE ${escapeIdentifier(p.role)} PASSWORD ${verifier}`));
  },
  async verify(p, ctx) {
    const state = await roleState(p, ctx);
    if (state !== 'ok' && state !== 'standby') throw new UserError('verify-failed', `${where(p)}: ${p.role} has not the password (${state}).`, 'Run the command again.');
  },
});
