/** Step kind: the repository connection string, kept as a protected secret readable only by the service account. */
import { dirname } from 'node:path';
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { formatConnectionString } from '../../../shared/connection-string.js';
import { defineStepKind } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { secretRef } from './params.js';

const params = z.object({
  path: z.string(),
  account: z.string(),
  fields: z.object({ userId: z.string(), host: z.string(), port: z.number().int(), database: z.string(), sslMode: z.enum(['Require', 'VerifyFull']).optional(), rootCertificate: z.string().optional() }),
  password: secretRef,
});

/** Whether the service account owns the file and its folder (always true where ownership is an ACL: Windows). */
async function ownedBy(sys: System, path: string, account: string): Promise<boolean> {
  if (sys.platform === 'win32') return true;
  const user = await sys.processes.lookupUser(account);
  const [file, dir] = await Promise.all([sys.files.stat(path), sys.files.stat(dirname(path))]);
  return user !== undefined && file?.uid === user.uid && dir?.uid === user.uid;
}

/** The `connection-string` step kind. */
export const connectionStringStep = defineStepKind<typeof params, System>({
  kind: 'connection-string',
  params,
  async check(p, { sys, secret }) {
    const current = await sys.secretStore.get(p.path).catch(() => undefined);
    if (current === undefined) return { action: 'create', summary: `Store the connection string in ${p.path} (readable by ${p.account} only)` };
    const wanted = formatConnectionString({ ...p.fields, password: secret(p.password.secret) });
    if (current !== wanted) return { action: 'update', summary: `Update the connection string in ${p.path}` };
    if (!(await ownedBy(sys, p.path, p.account))) return { action: 'update', summary: `Make the connection string readable by ${p.account} (another account owns it)` };
    return { action: 'noop', summary: 'The connection string is up to date' };
  },
  async apply(p, { sys, secret }) {
    // The folder may have been made for another service account by an earlier install.
    if (sys.platform !== 'win32') await sys.files.ensureDir(dirname(p.path), { mode: 0o700, owner: p.account });
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
