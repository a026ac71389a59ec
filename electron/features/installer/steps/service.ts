/** Step kinds: a registered service, and services started in order with readiness checks. */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { explainDatabaseDown, logTail, refuseDatabaseDown, refuseTakenPort } from './diagnose.js';
import { contentBasis } from '../../../engine/basis.js';
import { defineStepKind } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import type { ServiceDefinition } from '../../../system/types.js';
import { unifiedDiff } from '../../../system/text-diff.js';

const definition = z.object({
  name: z.string(),
  displayName: z.string(),
  description: z.string().optional(),
  command: z.string(),
  args: z.array(z.string()).readonly(),
  cwd: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
  account: z.string().optional(),
  dependsOn: z.array(z.string()).readonly().optional(),
  logFile: z.string().optional(),
  autoStart: z.boolean().optional(),
  stopSignal: z.literal('INT').optional(),
});

const serviceParams = z.object({ definition });

/** The `service` step kind: the service is registered exactly as defined. */
export const serviceStep = defineStepKind<typeof serviceParams, System>({
  kind: 'service',
  params: serviceParams,
  async check(p, { sys }) {
    const def = p.definition as ServiceDefinition;
    const want = sys.services.render(def);
    const have = await sys.services.installed(def.name);
    const basis = { [`the registration of ${def.name}`]: contentBasis(have) };
    if (have === undefined) return { action: 'create', summary: `Register ${def.displayName} (${sys.services.kind})`, diff: unifiedDiff(def.name, '', want), basis };
    if (have !== want) return { action: 'update', summary: `Update the registration of ${def.displayName}`, diff: unifiedDiff(def.name, have, want), basis };
    return { action: 'noop', summary: `${def.displayName} is registered`, basis };
  },
  async apply(p, { sys, log }) {
    const def = p.definition as ServiceDefinition;
    const supervisor = await sys.services.ensureSupervisor?.();
    if (supervisor?.started) log(supervisor.message, 'warn');
    const existed = (await sys.services.installed(def.name)) !== undefined;
    await sys.services.install(def);
    // A supervisor this step started is stopped again by its undo (the last service undone).
    return supervisor?.started && supervisor.pid ? { existed, supervisor: { pid: supervisor.pid, createdDir: supervisor.createdDir ?? false } } : { existed };
  },
  async verify(p, { sys }) {
    const def = p.definition as ServiceDefinition;
    if ((await sys.services.installed(def.name)) !== sys.services.render(def)) {
      throw new UserError('verify-failed', `The service ${def.name} is not registered as planned.`, 'Resume to register it again.');
    }
  },
  async undo(p, { sys }, record) {
    if (!record?.['existed']) await sys.services.remove(p.definition.name);
    const supervisor = record?.['supervisor'] as { pid: number; createdDir: boolean } | undefined;
    if (supervisor && sys.services.stopSupervisor) return sys.services.stopSupervisor(supervisor.pid, { removeDir: supervisor.createdDir });
    return undefined;
  },
});

const runningParams = z.object({
  services: z.array(
    z.object({
      name: z.string(),
      readiness: z.object({ logLine: z.string().optional(), port: z.number().int().optional(), needs: z.enum(['any', 'all']).optional(), timeoutMs: z.number().int(), logFile: z.string().optional() }),
    }),
  ),
  host: z.string(),
  /** The repository database the services need: a failure while it does not answer says so. */
  database: z.object({ host: z.string(), port: z.number().int() }).optional(),
});

/** The `service-running` step kind: start in the given order, each ready before the next. */
export const serviceRunningStep = defineStepKind<typeof runningParams, System>({
  kind: 'service-running',
  params: runningParams,
  async check(p, { sys }) {
    const stopped: string[] = [];
    for (const s of p.services) if ((await sys.services.status(s.name)) !== 'running') stopped.push(s.name);
    if (!stopped.length) return { action: 'noop', summary: 'All services are running' };
    return { action: 'run', summary: `Start ${stopped.join(', ')}` };
  },
  async apply(p, { sys, log, progress, signal }) {
    const started: string[] = [];
    for (const [i, s] of p.services.entries()) {
      if (signal.aborted) break;
      if ((await sys.services.status(s.name)) === 'running') continue;
      // A port taken since preflight would make the port probe see the other program as ready.
      await refuseTakenPort(sys, s.name, s.readiness.port);
      await refuseDatabaseDown(sys, p.database, s.name);
      log(`Starting ${s.name} and waiting until it is ready.`);
      await sys.services.start(s.name);
      const { logFile, logLine, ...rest } = s.readiness;
      await explainDatabaseDown(sys, p.database, () => sys.services.waitReady(s.name, { ...rest, ...(logLine ? { logLine: new RegExp(logLine) } : {}) }, logFile));
      started.push(s.name);
      progress(((i + 1) / p.services.length) * 100, `${s.name} ready`);
    }
    return { started };
  },
  async verify(p, { sys }) {
    for (const s of p.services) {
      const state = await sys.services.status(s.name);
      if (state === 'running') continue;
      const tail = await logTail(sys, s.readiness.logFile);
      await explainDatabaseDown(sys, p.database, () =>
        Promise.reject(new UserError('service', `${s.name} is ${state} after starting it.${tail ? `\nLast log lines:\n${tail}` : ''}`, `Read ${s.readiness.logFile ?? 'its log'}, correct the cause, then resume.`)),
      );
    }
  },
  async undo(_p, { sys }, record) {
    for (const name of [...((record?.['started'] as string[] | undefined) ?? [])].reverse()) await sys.services.stop(name);
  },
});
