/**
 * Step kind (Windows): folders with inheritable ACL grants. Unlike the generic `directory` kind
 * (which compares POSIX mode and uid), its check reads each folder's ACL with icacls, so a folder
 * that exists without the grants is reported and fixed, and a finished one is a no-op.
 */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { aclSatisfies, readAcl } from '../../../system/windows/acl.js';

const params = z.object({
  paths: z.array(z.string().min(1)).min(1),
  grants: z.array(z.object({ principal: z.string(), rights: z.enum(['read', 'modify', 'full']), inherit: z.boolean() })),
});
type Params = z.infer<typeof params>;

/** Existing folders of the step that lack one of its grants. */
async function lackingGrants(sys: System, p: Params): Promise<string[]> {
  const lacking: string[] = [];
  for (const path of p.paths) {
    if ((await sys.files.stat(path))?.kind !== 'dir') continue;
    const acl = await readAcl(sys.processes, path);
    if (!p.grants.every((g) => aclSatisfies(acl, g))) lacking.push(path);
  }
  return lacking;
}

const describeGrants = (p: Params) => p.grants.map((g) => `${g.principal}: ${g.rights}${g.inherit ? ' (inherited)' : ''}`).join(', ');

/** The `windows-directory` step kind. */
export const windowsDirectoryStep = defineStepKind<typeof params, System>({
  kind: 'windows-directory',
  params,
  async check(p, { sys }) {
    const missing: string[] = [];
    for (const path of p.paths) {
      const stat = await sys.files.stat(path);
      if (!stat) missing.push(path);
      else if (stat.kind !== 'dir') throw new UserError('conflict', `${path} exists and is not a folder.`, 'Move it away or choose another folder.');
    }
    if (missing.length) return { action: 'create', summary: `Create ${missing.join(', ')}; grant ${describeGrants(p)}` };
    const lacking = await lackingGrants(sys, p);
    if (lacking.length) return { action: 'update', summary: `Grant ${describeGrants(p)} on ${lacking.join(', ')}` };
    return { action: 'noop', summary: `${p.paths.length === 1 ? p.paths[0] : `${p.paths.length} folders`} in place with ${describeGrants(p)}` };
  },
  async apply(p, { sys }) {
    const created: string[] = [];
    for (const path of p.paths) {
      if (!(await sys.files.stat(path))) created.push(path);
      await sys.files.ensureDir(path, { grants: p.grants });
    }
    return { created };
  },
  async verify(p, { sys }) {
    for (const path of p.paths) {
      if ((await sys.files.stat(path))?.kind !== 'dir') throw new UserError('verify-failed', `Folder ${path} is missing after creating it.`);
    }
    const lacking = await lackingGrants(sys, p);
    if (lacking.length) throw new UserError('verify-failed', `${lacking.join(', ')} lack the grants ${describeGrants(p)}.`, 'Check the folder permissions (icacls), then resume.');
  },
  async undo(_p, { sys }, record) {
    // Only folders this step created, deepest first.
    const created = (record?.['created'] as string[] | undefined) ?? [];
    for (const path of [...created].reverse()) await sys.files.remove(path).catch(() => undefined);
  },
});
