/**
 * Step kind `pg-passfile`: the replication password in a libpq password file, 0600 and owned by
 * the server's account. primary_conninfo names this file, so the password is in no argv, no
 * environment and no configuration file.
 */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind, type StepContext } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { secretRef } from '../../installer/steps/params.js';

const params = z.object({ path: z.string(), stateDir: z.string(), hosts: z.array(z.object({ host: z.string(), port: z.number().int() })).min(1), user: z.string(), password: secretRef, account: z.string() }).strict();
type Params = z.infer<typeof params>;

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/:/g, '\\:');

function content(p: Params, ctx: Pick<StepContext<System>, 'secret'>): string {
  const pw = escape(ctx.secret(p.password.secret));
  return p.hosts.map((h) => `${escape(h.host)}:${h.port}:*:${escape(p.user)}:${pw}\n`).join('');
}

export const passfileStep = defineStepKind<typeof params, System>({
  kind: 'pg-passfile',
  params,
  async check(p, ctx) {
    const have = await ctx.sys.secretStore.get(p.path);
    if (have === undefined) return { action: 'create', summary: `Replication password file ${p.path} (0600, ${p.account})` };
    return have === content(p, ctx) ? { action: 'noop', summary: `Replication password file ${p.path} is current` } : { action: 'update', summary: `Replace the replication password in ${p.path}` };
  },
  async apply(p, ctx) {
    // The server's account must reach the file: the state folder is traversable, the file private.
    await ctx.sys.files.ensureDir(p.stateDir, { mode: 0o755 });
    await ctx.sys.secretStore.put(p.path, content(p, ctx), p.account);
  },
  async verify(p, ctx) {
    const st = await ctx.sys.files.stat(p.path);
    if (!st || (st.mode & 0o077) !== 0 || (await ctx.sys.secretStore.get(p.path)) !== content(p, ctx)) {
      throw new UserError('verify-failed', `${p.path} is not the private replication password file.`, 'Run the command again.');
    }
  },
});
