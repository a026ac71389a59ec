/** Step kind: the local repository database cluster (initdb with the superuser password, as the service account). */
import { z } from 'zod';
import { dirname } from 'node:path';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { secretRef } from './params.js';

const params = z.object({ binDir: z.string(), dataDir: z.string(), superuser: z.string(), superuserPassword: secretRef, osUser: z.string() });

/** Set before initdb starts and removed once it finished: while it is there, the cluster is half made. */
const markerOf = (dataDir: string) => `${dirname(dataDir)}/.spsetup-initdb-started`;

/** A finished cluster: PG_VERSION (which initdb writes early) and no marker of an initdb that never finished. */
const hasCluster = async (sys: System, dataDir: string) => (await sys.files.stat(`${dataDir}/PG_VERSION`))?.kind === 'file' && !(await sys.files.stat(markerOf(dataDir)));

/** The `pg-initdb` step kind. */
export const pgInitdbStep = defineStepKind<typeof params, System>({
  kind: 'pg-initdb',
  params,
  async check(p, { sys }) {
    if (await hasCluster(sys, p.dataDir)) return { action: 'noop', summary: `A database cluster exists in ${p.dataDir}` };
    if (await sys.files.stat(markerOf(p.dataDir))) return { action: 'update', summary: `Redo the database cluster in ${p.dataDir}: an earlier initdb was interrupted (owned by ${p.osUser}, superuser ${p.superuser})` };
    return { action: 'create', summary: `Initialise a database cluster in ${p.dataDir} owned by ${p.osUser}, superuser ${p.superuser}` };
  },
  async apply(p, { sys, secret }) {
    const marker = markerOf(p.dataDir);
    if (await sys.files.stat(p.dataDir)) {
      // Only a directory our own interrupted initdb left behind may be cleared; anything else is not ours.
      if (!(await sys.files.stat(marker))) {
        throw new UserError('conflict', `${p.dataDir} exists but holds no database cluster.`, 'Move it away or empty it, then resume.');
      }
      await sys.files.remove(p.dataDir);
    }
    await sys.files.ensureDir(dirname(p.dataDir), { mode: 0o750, owner: p.osUser });
    await sys.files.writeAtomic(marker, `${new Date().toISOString()}\n`, { mode: 0o600 });
    await sys.postgres.initCluster({ binDir: p.binDir, dataDir: p.dataDir, superuser: p.superuser, password: secret(p.superuserPassword.secret), osUser: p.osUser });
    await sys.files.remove(marker);
    return { created: true };
  },
  async verify(p, { sys }) {
    if (!(await hasCluster(sys, p.dataDir))) throw new UserError('verify-failed', `No database cluster in ${p.dataDir} after initdb.`, 'See the log above for initdb output.');
  },
  async undo(p, { sys }, record) {
    if (record?.['created']) await sys.files.remove(p.dataDir);
  },
});
