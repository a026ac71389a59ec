/** Step kind: a folder tree with the given access (POSIX mode/owner or Windows grants). */
import { z } from 'zod';
import { UserError } from '../../shared/errors.js';
import type { Files } from '../../system/types.js';
import { defineStepKind } from '../step-kind.js';

export const directoryParams = z.object({
  paths: z.array(z.string().min(1)).min(1),
  mode: z.number().int().optional(),
  owner: z.string().optional(),
  group: z.string().optional(),
  grants: z.array(z.object({ principal: z.string(), rights: z.enum(['read', 'modify', 'full']), inherit: z.boolean() })).optional(),
  /** Undo removes a folder it created with what the installed node put there (node-local data); otherwise only while empty. */
  undoRemovesContent: z.boolean().optional(),
});

/** The `directory` step kind. */
export const directoryStep = defineStepKind<typeof directoryParams, { files: Files; processes: { lookupUser(name: string): Promise<{ uid: number; gid: number } | undefined> } }>({
  kind: 'directory',
  params: directoryParams,
  async check(p, { sys }) {
    const missing: string[] = [];
    const wrong: string[] = [];
    const owner = p.owner ? await sys.processes.lookupUser(p.owner) : undefined;
    for (const path of p.paths) {
      const stat = await sys.files.stat(path);
      if (!stat) missing.push(path);
      else if (stat.kind !== 'dir') throw new UserError('conflict', `${path} exists and is not a folder.`, 'Move it away or choose another folder.');
      else if ((p.mode !== undefined && (stat.mode & 0o7777) !== p.mode) || (owner && stat.uid !== owner.uid)) wrong.push(path);
    }
    if (missing.length) return { action: 'create', summary: `Create ${missing.join(', ')}` };
    if (wrong.length) return { action: 'update', summary: `Set access on ${wrong.join(', ')}` };
    return { action: 'noop', summary: `${p.paths.length === 1 ? p.paths[0] : `${p.paths.length} folders`} in place` };
  },
  async apply(p, { sys }) {
    const created: string[] = [];
    for (const path of p.paths) {
      if (!(await sys.files.stat(path))) created.push(path);
      await sys.files.ensureDir(path, { mode: p.mode, owner: p.owner, group: p.group, grants: p.grants });
    }
    return { created };
  },
  async verify(p, { sys }) {
    for (const path of p.paths) {
      if ((await sys.files.stat(path))?.kind !== 'dir') throw new UserError('verify-failed', `Folder ${path} is missing after creating it.`);
    }
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
