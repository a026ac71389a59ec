/**
 * Step kind: a folder copied from the product's media (product files, database server files),
 * every file verified by SHA-256, resumable through its own copy journal, symlinks recreated.
 */
import { createHash } from 'node:crypto';
import { lstat, readlink, symlink } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { contentBasis } from '../../../engine/basis.js';
import { defineStepKind } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { copyTree } from '../../migration/copy/index.js';
import { walkTree } from '../../migration/copy/walk-tree.js';

const params = z.object({ source: z.string(), target: z.string() });

/** Relative paths of the files (and links) that are missing or differ in the target. */
async function differences(source: string, target: string): Promise<string[]> {
  const tree = await walkTree(source).catch(() => {
    throw new UserError('not-found', `The installation media folder ${source} is missing.`, 'Run `npm run build` (or reinstall spsetup) so the media is present.');
  });
  const out: string[] = [];
  for (const f of tree.files) {
    const t = await lstat(join(target, f.rel)).catch(() => undefined);
    if (!t || t.size !== f.size || Math.abs(t.mtimeMs - f.mtimeMs) > 2000) out.push(f.rel);
  }
  for (const s of tree.skipped) if (s.kind === 'symlink' && !(await lstat(join(target, s.path)).catch(() => undefined))) out.push(s.path);
  return out;
}

/** The `copy-tree` step kind. */
export const copyTreeStep = defineStepKind<typeof params, System>({
  kind: 'copy-tree',
  params,
  async check(p) {
    const diff = await differences(p.source, p.target);
    const basis = { [`the files to copy to ${p.target}`]: contentBasis(diff.join('\n')) };
    if (!diff.length) return { action: 'noop', summary: `${p.target} is up to date`, basis };
    const exists = await lstat(p.target).catch(() => undefined);
    return { action: exists ? 'update' : 'create', summary: `Copy ${diff.length} file(s) to ${p.target}`, basis };
  },
  async apply(p, { sys, stateDir, signal, progress, log }) {
    await sys.files.ensureDir(join(stateDir, 'copy'), { mode: 0o700 });
    const journalPath = join(stateDir, 'copy', `${createHash('sha256').update(p.target).digest('hex').slice(0, 16)}.jsonl`);
    const result = await copyTree({ source: p.source, target: p.target, journalPath, signal, onProgress: (e) => progress(e.bytesTotal ? (e.bytesDone / e.bytesTotal) * 100 : 100, `${e.filesDone}/${e.filesTotal} files`) });
    for (const s of result.skippedEntries) {
      if (s.kind !== 'symlink' || !s.linkTarget || isAbsolute(s.linkTarget) || s.linkTarget.split(/[\\/]/).includes('..')) {
        log(`Not copied: ${s.path} (${s.kind})`, 'warn');
        continue;
      }
      const link = join(p.target, s.path);
      const existing = await readlink(link).catch(() => undefined);
      if (existing !== s.linkTarget) await symlink(s.linkTarget, link);
    }
    log(`Copied ${result.filesCopied} file(s), ${result.filesSkipped} already in place.`);
  },
  async verify(p) {
    const diff = await differences(p.source, p.target);
    if (diff.length) throw new UserError('verify-failed', `${diff.length} file(s) differ in ${p.target}, e.g. ${diff[0]}.`, 'Resume to copy them again.');
  },
});
