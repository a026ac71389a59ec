/**
 * Step kind `pg-replication-role`: a LOGIN REPLICATION role whose password reaches the server only
 * as a SCRAM verifier (never the text: not in the server log, not in pg_stat_activity).
 */
import { escapeIdentifier, escapeLiteral } from 'pg';
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind, type StepContext } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { scramVerifier, verifierMatches } from '../../../system/postgres/index.js';
import { secretRef } from '../../installer/steps/params.js';
import { serverRef, withServer } from './server-ref.js';

const params = z.object({ server: serverRef, role: z.string(), password: secretRef }).strict();
type Params = z.infer<typeof params>;

type State = 'missing' | 'not-replication' | 'other-password' | 'ok';

async function roleState(p: Params, ctx: StepContext<System>): Promise<State> {
  return withServer(p.server, ctx, async (conn) => {
    const row = (await conn.query<{ rep: boolean; login: boolean; pw: string | null }>('SELECT rolreplication AS rep, rolcanlogin AS login, rolpassword AS pw FROM pg_authid WHERE rolname = $1', [p.role]))[0];
    if (!row) return 'missing';
    if (!row.rep || !row.login) return 'not-replication';
    return row.pw && verifierMatches(row.pw, ctx.secret(p.password.secret), p.role) ? 'ok' : 'other-password';
  });
}

const SUMMARY: Record<State, string> = {
  missing: 'Create the replication role',
  'not-replication': 'Give the role LOGIN REPLICATION',
  'other-password': 'Set the replication role password (SCRAM)',
  ok: 'Replication role ready',
};

export const replicationRoleStep = defineStepKind<typeof params, System>({
  kind: 'pg-replication-role',
  params,
  async check(p, ctx) {
    const state = await roleState(p, ctx);
    return { action: state === 'ok' ? 'noop' : state === 'missing' ? 'create' : 'update', summary: `${p.server.host}: ${SUMMARY[state]} ${p.role}` };
  },
  async apply(p, ctx) {
    const state = await roleState(p, ctx);
    if (state === 'ok') return { created: false };
    const verifier = escapeLiteral(scramVerifier(ctx.secret(p.password.secret)));
    await withServer(p.server, ctx, (conn) => conn.query(`${state === 'missing' ? 'CREATE' : 'ALTER'} ROLE ${escapeIdentifier(p.role)} WITH LOGIN REPLICATION PASSWORD ${verifier}`));
    return { created: state === 'missing' };
  },
  async verify(p, ctx) {
    const state = await roleState(p, ctx);
    if (state !== 'ok') throw new UserError('verify-failed', `The replication role ${p.role} on ${p.server.host} is not ready (${state}).`, 'Run the command again.');
  },
  async undo(p, ctx, record) {
    if (record?.['created']) await withServer(p.server, ctx, (conn) => conn.query(`DROP ROLE IF EXISTS ${escapeIdentifier(p.role)}`));
  },
});
