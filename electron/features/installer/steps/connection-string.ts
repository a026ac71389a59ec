/** Step kind: the repository connection string, kept as a protected secret readable only by the service account. */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { formatConnectionString } from '../../../shared/connection-string.js';
import { defineStepKind } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { secretRef } from './params.js';

const params = z.object({
  path: z.string(),
  account: z.string(),
  fields: z.object({ userId: z.string(), host: z.string(), port: z.number().int(), database: z.string(), sslMode: z.literal('Require').optional() }),
  password: secretRef,
});

/** The `connection-string` step kind. */
export const connectionStringStep = defineStepKind<typeof params, System>({
  kind: 'connection-string',
  params,
  async check(p, { sys, secret }) {
    const current = await sys.secretStore.get(p.path).catch(() => undefined);
    if (current === undefined) return { action: 'create', summary: `Store the connection string in ${p.path} (readable by ${p.account} only)` };
    const wanted = formatConnectionString({ ...p.fields, password: secret(p.password.secret) });
    return current === wanted ? { action: 'noop', summary: 'The connection string is up to date' } : { action: 'update', summary: `Update the connection string in ${p.path}` };
  },
  async apply(p, { sys, secret }) {
    await sys.secretStore.put(p.path, formatConnectionString({ ...p.fields, password: secret(p.password.secret) }), p.account);
  },
  async verify(p, { sys, secret }) {
    const wanted = formatConnectionString({ ...p.fields, password: secret(p.password.secret) });
    if ((await sys.secretStore.get(p.path)) !== wanted) throw new UserError('verify-failed', `The connection string in ${p.path} is not the one planned.`, 'Resume to write it again.');
    const stat = await sys.files.stat(p.path);
    if (sys.platform !== 'win32' && stat && (stat.mode & 0o077) !== 0) {
      throw new UserError('verify-failed', `${p.path} can be read by other accounts (mode ${(stat.mode & 0o777).toString(8)}).`, 'Resume to protect it again.');
    }
  },
  async undo(p, { sys }) {
    await sys.files.remove(p.path);
  },
});
