/**
 * The share in a site backup: copied with the verified copy engine (no links followed, every file
 * checked by SHA-256, a file that changes during the copy refused). Into a folder that holds an
 * earlier backup, only changed files are copied again (the copy journal) and files gone from the
 * share are removed. Verifying re-hashes every file against the manifest; restoring copies the
 * backup over the share, removes what the backup does not hold, and checks the result.
 */
import { copyTree, hashFile, walkTree } from '../../system/copy/index.js';
import type { System } from '../../system/system.js';
import type { ManifestBody } from './manifest.js';

export type ShareRecord = ManifestBody['share'];

const joinRel = (root: string, rel: string) => `${root}/${rel}`;

/** Copies `shareRoot` into `target` (journal beside it) and describes the copy as the manifest records it. */
export async function backupShare(sys: System, shareRoot: string, target: string, journalPath: string, log: (line: string) => void): Promise<Omit<ShareRecord, 'dir'>> {
  const result = await copyTree({ source: shareRoot, target, journalPath });
  if (result.sourceMissing) {
    await sys.files.ensureDir(target, { mode: 0o700 });
    return { root: shareRoot, bytes: 0, dirs: [], files: [], skipped: [] };
  }
  log(`Share: ${result.filesCopied} file(s) copied and verified, ${result.filesSkipped} unchanged since the last backup into this folder.`);
  const kept = new Set(result.files.map((f) => f.path));
  const tree = await walkTree(target);
  // Files an earlier backup into this folder held that the share no longer has.
  for (const f of tree.files) if (!kept.has(f.rel)) await sys.files.remove(joinRel(target, f.rel));
  const dirs = new Set((await walkTree(shareRoot)).dirs.map((d) => d.rel));
  for (const d of [...tree.dirs].reverse()) if (!dirs.has(d.rel)) await sys.files.removeEmptyDir(joinRel(target, d.rel));
  const modes = new Map(tree.files.map((f) => [f.rel, f.mode]));
  return {
    root: shareRoot,
    bytes: result.bytesTotal,
    dirs: [...dirs].sort(),
    files: result.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256, mode: modes.get(f.path) ?? 0o640 })),
    skipped: result.skippedEntries.map((s) => s.path),
  };
}

export interface ShareDiff {
  /** Files the backup does not hold. */
  readonly extra: string[];
  /** Files whose size or SHA-256 differ, with why. */
  readonly changed: { path: string; why: string }[];
  readonly missing: string[];
  readonly missingDirs: string[];
  /** Links and special files that were not there (or not skipped) at backup time. */
  readonly special: string[];
}

/** How the folder `root` differs from the manifest's share (every list empty when it holds exactly those files). */
export async function diffShare(root: string, share: ShareRecord): Promise<ShareDiff> {
  const diff: ShareDiff = { extra: [], changed: [], missing: [], missingDirs: [], special: [] };
  const tree = await walkTree(root);
  const wanted = new Map(share.files.map((f) => [f.path, f]));
  for (const f of tree.files) {
    const w = wanted.get(f.rel);
    if (!w) {
      diff.extra.push(f.rel);
      continue;
    }
    wanted.delete(f.rel);
    if (f.size !== w.size) {
      diff.changed.push({ path: f.rel, why: `${f.size} bytes (backup: ${w.size})` });
      continue;
    }
    const h = await hashFile(joinRel(root, f.rel));
    if (h.sha256 !== w.sha256) diff.changed.push({ path: f.rel, why: `SHA-256 ${h.sha256.slice(0, 12)}... (backup: ${w.sha256.slice(0, 12)}...)` });
  }
  diff.missing.push(...wanted.keys());
  const dirs = new Set(tree.dirs.map((d) => d.rel));
  diff.missingDirs.push(...share.dirs.filter((d) => !dirs.has(d)));
  const skipped = new Set(share.skipped);
  diff.special.push(...tree.skipped.filter((s) => !skipped.has(s.path)).map((s) => s.path));
  return diff;
}

/** The differences as lines for people (empty when equal). */
export function describeShareDiff(d: ShareDiff): string[] {
  return [
    ...d.missing.map((p) => `${p} is missing`),
    ...d.changed.map((c) => `${c.path} differs: ${c.why}`),
    ...d.extra.map((p) => `${p} is not in the backup`),
    ...d.missingDirs.map((p) => `folder ${p} is missing`),
    ...d.special.map((p) => `${p} is a link or special file`),
  ];
}

/** How the folder differs, as lines (empty when it holds exactly the backup's files). */
export async function compareShare(root: string, share: ShareRecord): Promise<string[]> {
  return describeShareDiff(await diffShare(root, share));
}

/**
 * Makes the share hold exactly the backup's files: every file copied back and verified, files
 * the backup does not hold removed, ownership given to the service account; then compared again.
 */
export async function restoreShare(sys: System, backupShareDir: string, shareRoot: string, share: ShareRecord, account: string, journalPath: string): Promise<{ written: number; removed: string[]; problems: string[] }> {
  await sys.files.ensureDir(shareRoot, { mode: 0o770, owner: account });
  const copied = await copyTree({ source: backupShareDir, target: shareRoot, journalPath });
  const keep = new Set(share.files.map((f) => f.path));
  const keepDirs = new Set(share.dirs);
  const tree = await walkTree(shareRoot);
  const removed: string[] = [];
  for (const f of tree.files) {
    if (keep.has(f.rel)) continue;
    await sys.files.remove(joinRel(shareRoot, f.rel));
    removed.push(f.rel);
  }
  for (const d of [...tree.dirs].reverse()) if (!keepDirs.has(d.rel)) await sys.files.removeEmptyDir(joinRel(shareRoot, d.rel));
  // The copy ran as root: the product's account must own its content again (lchown, no link followed).
  await sys.files.setAccess(shareRoot, { owner: account }, true);
  return { written: copied.filesCopied, removed, problems: await compareShare(shareRoot, share) };
}
