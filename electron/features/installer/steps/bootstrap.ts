/** Step kinds: the product's bootstrap commands (central with -iscentral, rim without), and the final registration check. */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind, type StepContext } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { repositoryConnection } from './params.js';
import { readRegistration } from './repository.js';
import { explainDatabaseDown } from './diagnose.js';
import { shellQuote } from '../../../system/services/runit-script.js';

const registration = { repository: repositoryConnection, registrationQuery: z.string(), hostname: z.string(), isCentral: z.boolean() };
const bootstrapParams = z.object({ commands: z.array(z.object({ file: z.string(), args: z.array(z.string()) })), user: z.string(), cwd: z.string(), ...registration });
const registeredParams = z.object(registration);

/** The command exactly as it runs (full paths, the config file too), quoted only where a shell would need it. */
const describeCommand = (c: { file: string; args: readonly string[] }) => [c.file, ...c.args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : shellQuote(a))).join(' ');

const role = (central: boolean) => (central ? 'central node' : 'rim node');

/** The `bootstrap` step kind. */
export const bootstrapStep = defineStepKind<typeof bootstrapParams, System>({
  kind: 'bootstrap',
  params: bootstrapParams,
  async check(p, ctx) {
    const found = await readRegistration(ctx, p.repository, p.registrationQuery, p.hostname).catch(() => undefined);
    if (found && found.isCentral === p.isCentral) return { action: 'noop', summary: `${p.hostname} is registered as the ${role(p.isCentral)}` };
    return { action: 'run', summary: `Run ${p.commands.map(describeCommand).join('; ')} as ${p.user}` };
  },
  async apply(p, ctx) {
    await explainDatabaseDown(ctx.sys, p.repository, () => runBootstrap(p, ctx));
  },
  async verify(p, ctx) {
    await explainDatabaseDown(ctx.sys, p.repository, () => verifyRegistered(p, ctx));
  },
});

async function runBootstrap(p: z.infer<typeof bootstrapParams>, ctx: StepContext<System>): Promise<void> {
  for (const [i, c] of p.commands.entries()) {
    ctx.log(`Running ${[c.file, ...c.args].join(' ')} as ${p.user}.`);
    const r = await ctx.sys.processes.run(c.file, c.args, { user: p.user, cwd: p.cwd, timeoutMs: 180_000, secrets: [ctx.secret(p.repository.password.secret)] });
    for (const line of r.stdout.trim().split('\n').filter(Boolean).slice(-5)) ctx.log(`  ${line}`);
    ctx.progress(((i + 1) / p.commands.length) * 100);
  }
}

async function verifyRegistered(p: z.infer<typeof registeredParams>, ctx: Parameters<typeof readRegistration>[0]) {
  const found = await readRegistration(ctx, p.repository, p.registrationQuery, p.hostname);
  if (!found) throw new UserError('verify-failed', `${p.hostname} is not registered in the repository database.`, 'Read the repository bootstrap output in the log, then resume.');
  if (found.isCentral !== p.isCentral) {
    throw new UserError('verify-failed', `${p.hostname} is registered as a ${role(found.isCentral)}, not as the ${role(p.isCentral)}.`, 'Check whether this host name was used by another node.');
  }
}

/** The `node-registered` step kind: a final check, never a change. */
export const nodeRegisteredStep = defineStepKind<typeof registeredParams, System>({
  kind: 'node-registered',
  params: registeredParams,
  async check(p) {
    return { action: 'noop', summary: `Check that ${p.hostname} is registered as the ${role(p.isCentral)}` };
  },
  async apply() {
    return undefined;
  },
  async verify(p, ctx) {
    await explainDatabaseDown(ctx.sys, p.repository, () => verifyRegistered(p, ctx));
  },
});
