/**
 * Step kind (Windows): the product's bootstrap commands run by the elevated administrator, as the
 * guide says ("Run the following commands as administrator from an elevated command prompt"),
 * not as the service account: there is no runuser on Windows. Otherwise as the `bootstrap` kind.
 */
import { win32 } from 'node:path';
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind, type StepContext } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { repositoryConnection } from './params.js';
import { readRegistration } from './repository.js';

const params = z.object({
  commands: z.array(z.object({ file: z.string(), args: z.array(z.string()) })),
  cwd: z.string(),
  repository: repositoryConnection,
  registrationQuery: z.string(),
  hostname: z.string(),
  isCentral: z.boolean(),
});
type Params = z.infer<typeof params>;

const role = (central: boolean) => (central ? 'central node' : 'rim node');
const describe = (c: { file: string; args: readonly string[] }) => [win32.basename(c.file), ...c.args].join(' ');

async function registered(p: Params, ctx: Pick<StepContext<System>, 'sys' | 'secret'>) {
  return readRegistration(ctx, p.repository, p.registrationQuery, p.hostname);
}

/** The `windows-bootstrap` step kind. */
export const windowsBootstrapStep = defineStepKind<typeof params, System>({
  kind: 'windows-bootstrap',
  params,
  async check(p, ctx) {
    const found = await registered(p, ctx).catch(() => undefined);
    if (found && found.isCentral === p.isCentral) return { action: 'noop', summary: `${p.hostname} is registered as the ${role(p.isCentral)}` };
    return { action: 'run', summary: `Run ${p.commands.map(describe).join('; ')} as the administrator (elevated)` };
  },
  async apply(p, ctx) {
    for (const [i, c] of p.commands.entries()) {
      ctx.log(`Running ${describe(c)} as the administrator.`);
      const r = await ctx.sys.processes.run(c.file, c.args, { cwd: p.cwd, timeoutMs: 180_000, secrets: [ctx.secret(p.repository.password.secret)] });
      for (const line of r.stdout.trim().split(/\r?\n/).filter(Boolean).slice(-5)) ctx.log(`  ${line}`);
      ctx.progress(((i + 1) / p.commands.length) * 100);
    }
  },
  async verify(p, ctx) {
    const found = await registered(p, ctx);
    if (!found) throw new UserError('verify-failed', `${p.hostname} is not registered in the repository database.`, 'Read the repository bootstrap output in the log, then resume.');
    if (found.isCentral !== p.isCentral) {
      throw new UserError('verify-failed', `${p.hostname} is registered as a ${role(found.isCentral)}, not as the ${role(p.isCentral)}.`, 'Check whether this host name was used by another node.');
    }
  },
});
