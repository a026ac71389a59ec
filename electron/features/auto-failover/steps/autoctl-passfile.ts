/**
 * Step kind `pg-autoctl-passfile`: the passwords pg_autoctl and its server log in with (the
 * monitor's autoctl_node, the replication role) in a libpq password file, 0600 and owned by the
 * server's account. The service gives its path in PGPASSFILE, so no password is in an argv, a
 * connection string or pg_autoctl's configuration.
 */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind, type StepContext } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { secretRef } from '../../installer/steps/params.js';
import { autoctlEnv, autoctlHome, ensureAutoctlHome } from './autoctl-paths.js';

const params = z.object({ home: autoctlHome, logins: z.array(z.object({ user: z.string(), password: secretRef }).strict()).min(1) }).strict();
type Params = z.infer<typeof params>;

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
const path = (p: Params) => autoctlEnv(p.home)['PGPASSFILE']!;

function content(p: Params, ctx: Pick<StepContext<System>, 'secret'>): string {
  return p.logins.map((l) => `*:*:*:${escape(l.user)}:${escape(ctx.secret(l.password.secret))}\n`).join('');
}

export const autoctlPassfileStep = defineStepKind<typeof params, System>({
  kind: 'pg-autoctl-passfile',
  params,
  async check(p, ctx) {
    const have = await ctx.sys.secretStore.get(path(p));
    const who = p.logins.map((l) => l.user).join(', ');
    if (have === undefined) return { action: 'create', summary: `Password file ${path(p)} for ${who} (0600, ${p.home.osUser})` };
    return have === content(p, ctx) ? { action: 'noop', summary: `Password file ${path(p)} is current` } : { action: 'update', summary: `Replace the passwords of ${who} in ${path(p)}` };
  },
  async apply(p, ctx) {
    await ensureAutoctlHome(ctx.sys, p.home);
    await ctx.sys.secretStore.put(path(p), content(p, ctx), p.home.osUser);
  },
  async verify(p, ctx) {
    const st = await ctx.sys.files.stat(path(p));
    if (!st || (st.mode & 0o077) !== 0 || (await ctx.sys.secretStore.get(path(p))) !== content(p, ctx)) {
      throw new UserError('verify-failed', `${path(p)} is not the private password file.`, 'Run the command again.');
    }
  },
});
