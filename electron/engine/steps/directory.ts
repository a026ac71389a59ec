/**
 * Step kind: folders with the given access. How access is given and compared is the platform's
 * (Files.managedAccess and accessSatisfies): POSIX mode and owner, or Windows ACL grants read with
 * icacls, so a folder that exists without its access is reported and fixed, a finished one is a no-op.
 */
import { z } from 'zod';
import { UserError } from '../../shared/errors.js';
import type { Access, Files } from '../../system/types.js';
import { defineStepKind } from '../step-kind.js';

const params = z.object({
  paths: z.array(z.string().min(1)).min(1),
  mode: z.number().int().optional(),
  owner: z.string().optional(),
  group: z.string().optional(),
  grants: z.array(z.object({ principal: z.string(), rights: z.enum(['read', 'modify', 'full']), inherit: z.boolean() })).optional(),
  /** Undo removes a folder it created with what the installed node put there (node-local data); otherwise only while empty. */
  undoRemovesContent: z.boolean().optional(),
});
type Params = z.infer<typeof params>;

const accessOf = (files: Files, p: Params): Access => files.managedAccess({ mode: p.mode, owner: p.owner, group: p.group, grants: p.grants });

/** Existing folders of the step that lack its access. */
async function lackingAccess(files: Files, p: Params): Promise<string[]> {
  const access = accessOf(files, p);
  const lacking: string[] = [];
  for (const path of p.paths) {
    if ((await files.stat(path))?.kind !== 'dir') continue;
    if (!(await files.accessSatisfies(path, access))) lacking.push(path);
  }
  return lacking;
}

/** The access this platform gives the folders, in the words describeAccess uses: `owner spref, mode 0770` or the grants. */
function describeWanted(access: Access): string {
  const parts: string[] = [];
  if (access.owner) parts.push(`owner ${access.owner}`);
  if (access.group) parts.push(`group ${access.group}`);
  if (access.mode !== undefined) parts.push(`mode ${access.mode.toString(8).padStart(4, '0')}`);
  for (const g of access.grants ?? []) parts.push(`grant ${g.principal}: ${g.rights}${g.inherit ? ' (inherited)' : ''}`);
  return parts.join(', ');
}

/** The `directory` step kind. */
export const directoryStep = defineStepKind<typeof params, { files: Files }>({
  kind: 'directory',
  params,
  async check(p, { sys }) {
    const missing: string[] = [];
    const basis: Record<string, string> = {};
    for (const path of p.paths) {
      const stat = await sys.files.stat(path);
      basis[path] = stat ? 'folder' : 'absent';
      if (!stat) missing.push(path);
      else if (stat.kind !== 'dir') throw new UserError('conflict', `${path} exists and is not a folder.`, 'Move it away or choose another folder.');
    }
    // Every existing folder whose owner or mode apply changes is named with what it has now: a
    // share sub-folder that is someone else's folder (a system folder, say) must not be re-owned unseen.
    const lacking = await lackingAccess(sys.files, p);
    const wanted = describeWanted(accessOf(sys.files, p));
    const parts: string[] = [];
    if (missing.length) parts.push(`Create ${missing.join(', ')}${wanted ? ` (${wanted})` : ''}`);
    const verb = accessOf(sys.files, p).owner ? 'Re-own' : 'Change the access of';
    for (const path of lacking) parts.push(`${verb} ${path}: now ${await sys.files.describeAccess(path)}; becomes ${wanted}`);
    if (parts.length) return { action: missing.length ? 'create' : 'update', summary: parts.join('; '), basis };
    return { action: 'noop', summary: `${p.paths.length === 1 ? p.paths[0] : `${p.paths.length} folders`} in place`, basis };
  },
  async apply(p, { sys }) {
    const created: string[] = [];
    const access = accessOf(sys.files, p);
    for (const path of p.paths) {
      if (!(await sys.files.stat(path))) created.push(path);
      await sys.files.ensureDir(path, access);
    }
    return { created };
  },
  async verify(p, { sys }) {
    for (const path of p.paths) {
      if ((await sys.files.stat(path))?.kind !== 'dir') throw new UserError('verify-failed', `Folder ${path} is missing after creating it.`);
    }
    const lacking = await lackingAccess(sys.files, p);
    if (lacking.length) throw new UserError('verify-failed', `${lacking.join(', ')} lack the planned access (${describeWanted(accessOf(sys.files, p))}).`, 'Check the folder permissions, then resume.');
  },
  async undo(p, { sys }, record) {
    // Only folders this step created, deepest first; content (the share's) is never deleted unless asked.
    const created = (record?.['created'] as string[] | undefined) ?? [];
    const kept: string[] = [];
    for (const path of [...created].reverse()) {
      if (p.undoRemovesContent) await sys.files.remove(path);
      else if (!(await sys.files.removeEmptyDir(path))) kept.push(path);
    }
    return kept.length ? { kept: `${kept.join(', ')} ${kept.length === 1 ? 'is' : 'are'} not empty (content is never deleted): remove by hand if it is not needed` } : undefined;
  },
});
