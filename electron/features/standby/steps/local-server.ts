/**
 * Step kind `pg-local-stop`: this machine's database server stopped cleanly (fast mode: a
 * shutdown checkpoint, which a connected standby receives before the server exits): through its
 * service when spsetup registered one (so the supervisor does not start it again), else pg_ctl.
 */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { isStandbyOf, standbyOfSchema } from './rewind.js';

const params = z
  .object({
    binDir: z.string(),
    dataDir: z.string(),
    osUser: z.string(),
    service: z.string(),
    /** Nothing to stop when the data directory already is this standby (a rejoin run again). */
    unlessStandbyOf: standbyOfSchema.optional(),
  })
  .strict();

const dir = (p: z.infer<typeof params>) => ({ binDir: p.binDir, dataDir: p.dataDir, osUser: p.osUser });

export const localStopStep = defineStepKind<typeof params, System>({
  kind: 'pg-local-stop',
  params,
  async check(p, { sys }) {
    if (!(await sys.files.stat(`${p.dataDir}/PG_VERSION`))) throw new UserError('not-found', `${p.dataDir} holds no database.`, "Give standby.dataDir this machine's data directory.");
    if (p.unlessStandbyOf && (await isStandbyOf(sys, p.dataDir, p.unlessStandbyOf))) return { action: 'noop', summary: `${p.dataDir} already is the standby of ${p.unlessStandbyOf.host}: nothing to stop` };
    return (await sys.postgres.isServerRunning(dir(p))) ? { action: 'run', summary: `Stop the database server in ${p.dataDir} cleanly` } : { action: 'noop', summary: `The database server in ${p.dataDir} is stopped` };
  },
  async apply(p, { sys, log }) {
    if (p.unlessStandbyOf && (await isStandbyOf(sys, p.dataDir, p.unlessStandbyOf))) return;
    if ((await sys.services.installed(p.service)) !== undefined) {
      log(`stopping the service ${p.service}`);
      await sys.services.stop(p.service);
    }
    if (await sys.postgres.isServerRunning(dir(p))) {
      log(`pg_ctl stop -m fast -D ${p.dataDir}`);
      await sys.postgres.stopServer({ ...dir(p), timeoutMs: 120_000 });
    }
  },
  async verify(p, { sys }) {
    if (p.unlessStandbyOf && (await isStandbyOf(sys, p.dataDir, p.unlessStandbyOf))) return;
    if (await sys.postgres.isServerRunning(dir(p))) throw new UserError('verify-failed', `The database server in ${p.dataDir} still runs.`, 'Stop it (its service, or pg_ctl stop as its owner), then run again.');
  },
});
