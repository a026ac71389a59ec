/**
 * Step kind (rim nodes): the node's local data removed, as the guide asks ("delete all data"),
 * only once its backup is verified: without the backup's manifest it refuses and removes nothing.
 */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { readManifest } from './content-copy.js';

const params = z.object({ paths: z.array(z.string()), backupManifest: z.string() });

/** The `migration-remove-local-data` step kind. */
export const removeLocalDataStep = defineStepKind<typeof params, System>({
  kind: 'migration-remove-local-data',
  params,
  async check(p, { sys }) {
    const present: string[] = [];
    for (const path of p.paths) if (await sys.files.stat(path)) present.push(path);
    return present.length ? { action: 'delete', summary: `Remove local data: ${present.join(', ')}` } : { action: 'noop', summary: 'No local data left' };
  },
  async apply(p, { sys, log }) {
    if (!(await readManifest(p.backupManifest))) {
      throw new UserError('conflict', 'The backup of this node is not verified: its local data was not removed.', 'Resume the migration: the backup runs again first.');
    }
    for (const path of p.paths) {
      await sys.files.remove(path);
      log(`Removed ${path}`);
    }
  },
  async verify(p, { sys }) {
    for (const path of p.paths) if (await sys.files.stat(path)) throw new UserError('verify-failed', `${path} is still there.`, 'Resume the migration.');
  },
});
