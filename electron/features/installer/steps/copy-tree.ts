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
import { copyTree, walkTree } from '../../../system/copy/index.js';

const params = z.object({ source: z.string(), target: z.string() });

/** Relative paths of the files (and links) that are missing or differ in the target; `links`: how many of them are symbolic links. */
async function differences(source: string, target: string): Promise<{ paths: string[]; links: number }> {
  const tree = await walkTree(source).catch(() => {
    throw new UserError('not-found', `The installation media folder ${source} is missing.`, 'Run `npm run build` (or reinstall spsetup) so the media is present.');
  });
  const out: string[] = [];
  for (const f of tree.files) {
    const t = await lstat(join(target, f.rel)).catch(() => undefined);
    if (!t || t.size !== f.size || Math.abs(t.mtimeMs - f.mtimeMs) > 2000) out.push(f.rel);
  }
  const files = out.length;
  for (const s of tree.skipped) if (s.kind === 'symlink' && !(await lstat(join(target, s.path)).catch(() => undefined))) out.push(s.path);
  return { paths: out, links: out.length - files };
}

function copyJournalPath(stateDir: string, target: string): string {
  return join(stateDir, 'copy', `${createHash('sha256').update(target).digest('hex').slice(0, 16)}.jsonl`);
}

/** Those of the differing paths that the target lacks altogether. */
async function missingOf(target: string, differ: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const rel of differ) if (!(await lstat(join(target, rel)).catch(() => undefined))) out.push(rel);
  return out;
}

/** The `copy-tree` step kind. */
export const copyTreeStep = defineStepKind<typeof params, System>({
  kind: 'copy-tree',
  params,
  async check(p) {
    const { paths: diff, links } = await differences(p.source, p.target);
    const basis = { [`the files to copy to ${p.target}`]: contentBasis(diff.join('\n')) };
    if (!diff.length) return { action: 'noop', summary: `${p.target} is up to date`, basis };
    const exists = await lstat(p.target).catch(() => undefined);
    // Counted as the progress counts them: regular files copied, symbolic links made apart.
    const what = `Copy ${diff.length - links} file(s)${links ? ` and make ${links} symbolic link(s)` : ''}`;
    return { action: exists ? 'update' : 'create', summary: `${what} to ${p.target}`, basis };
  },
  async apply(p, { sys, stateDir, signal, progress, log }) {
    await sys.files.ensureDir(join(stateDir, 'copy'), { mode: 0o700 });
    const journalPath = copyJournalPath(stateDir, p.target);
    // Whether the target existed is recorded before the first file is copied, so a resumed copy
    // (the target half there) still knows that the install made it.
    const originPath = `${journalPath}.origin.json`;
    let origin = await sys.files.readText(originPath);
    if (origin === undefined) {
      const existed = Boolean(await lstat(p.target).catch(() => undefined));
      const differ = existed ? (await differences(p.source, p.target)).paths : [];
      const missing = await missingOf(p.target, differ);
      origin = JSON.stringify({ existed, missing, replaced: differ.length - missing.length });
      await sys.files.writeAtomic(originPath, origin, { mode: 0o600 });
    }
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
    const { existed, missing, replaced } = JSON.parse(origin) as { existed: boolean; missing: string[]; replaced: number };
    await sys.files.remove(originPath);
    return existed ? { createdTarget: false, added: missing, replaced } : { createdTarget: true };
  },
  async undo(p, { sys }, record) {
    if (record?.['createdTarget']) {
      await sys.files.remove(p.target);
      return undefined;
    }
    // The target was there before: only the files this step added go; files it replaced cannot come back.
    const added = (record?.['added'] as string[] | undefined) ?? [];
    for (const rel of added) await sys.files.remove(join(p.target, rel));
    const replaced = Number(record?.['replaced'] ?? 0);
    return replaced ? { kept: `${p.target} existed before: the ${added.length} file(s) copied into it were removed, the ${replaced} file(s) it replaced stay as copied` } : undefined;
  },
  async verify(p) {
    const diff = (await differences(p.source, p.target)).paths;
    if (diff.length) throw new UserError('verify-failed', `${diff.length} file(s) differ in ${p.target}, e.g. ${diff[0]}.`, 'Resume to copy them again.');
  },
});
