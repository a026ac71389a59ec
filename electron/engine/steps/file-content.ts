/** Step kind: a file with exactly this content and access; backed up before it is replaced. */
import { z } from 'zod';
import { UserError } from '../../shared/errors.js';
import type { Access, Files } from '../../system/types.js';
import { contentBasis } from '../basis.js';
import { defineStepKind } from '../step-kind.js';
import { unifiedDiff } from '../../system/text-diff.js';

export const fileContentParams = z.object({
  path: z.string().min(1),
  content: z.string(),
  mode: z.number().int().optional(),
  owner: z.string().optional(),
  group: z.string().optional(),
});

type Params = z.infer<typeof fileContentParams>;

/** The file's access as this platform gives it (Windows: none; the file inherits its folder's ACL). */
const accessOf = (files: Files, p: Params): Access => files.managedAccess({ mode: p.mode, owner: p.owner, group: p.group });
const isEmpty = (access: Access) => Object.values(access).every((v) => v === undefined);

/** The `file-content` step kind. */
export const fileContentStep = defineStepKind<typeof fileContentParams, { files: Files }>({
  kind: 'file-content',
  params: fileContentParams,
  async check(p, { sys }) {
    const current = await sys.files.readText(p.path);
    const basis = { [p.path]: contentBasis(current) };
    if (current === undefined) return { action: 'create', summary: `Create ${p.path}`, diff: unifiedDiff(p.path, '', p.content), basis };
    if (current !== p.content) return { action: 'update', summary: `Update ${p.path}`, diff: unifiedDiff(p.path, current, p.content), basis };
    const access = accessOf(sys.files, p);
    if (!isEmpty(access) && !(await sys.files.accessSatisfies(p.path, access))) return { action: 'update', summary: `Set the permissions of ${p.path}`, basis };
    return { action: 'noop', summary: `${p.path} is up to date`, basis };
  },
  async apply(p, { sys, stateDir }) {
    const backup = await sys.files.backup(p.path, `${stateDir}/backups`);
    await sys.files.writeAtomic(p.path, p.content, accessOf(sys.files, p));
    return backup ? { backup } : { created: true };
  },
  async verify(p, { sys }) {
    if ((await sys.files.readText(p.path)) !== p.content) {
      throw new UserError('verify-failed', `${p.path} does not hold the expected content after writing it.`, 'Check that no other program rewrites this file, then resume.');
    }
  },
  async undo(p, { sys }, record) {
    const backup = record?.['backup'];
    if (typeof backup === 'string') {
      const content = await sys.files.readText(backup);
      if (content !== undefined) await sys.files.writeAtomic(p.path, content, accessOf(sys.files, p));
    } else if (record?.['created']) {
      await sys.files.remove(p.path);
    }
  },
});
