/** Lists a source tree: files with their stat, directories, and what is not copied (symlinks, special files). */
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { SkippedEntry } from './types.js';

export interface WalkedFile {
  /** Relative path with '/' separators. */
  readonly rel: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly atimeMs: number;
  readonly mode: number;
}

export interface WalkedDir {
  readonly rel: string;
  readonly mtimeMs: number;
  readonly atimeMs: number;
  readonly mode: number;
}

export interface WalkedTree {
  readonly files: readonly WalkedFile[];
  /** Parents before children; the root itself is not listed. */
  readonly dirs: readonly WalkedDir[];
  readonly skipped: readonly SkippedEntry[];
  readonly bytes: number;
}

/** Walks `root` (which must be a directory), sorted by name so runs are comparable. */
export async function walkTree(root: string): Promise<WalkedTree> {
  const files: WalkedFile[] = [];
  const dirs: WalkedDir[] = [];
  const skipped: SkippedEntry[] = [];
  let bytes = 0;
  const pending: string[] = [''];
  for (let next = 0; next < pending.length; next++) {
    const rel = pending[next]!;
    const names = (await readdir(path.join(root, rel))).sort();
    const stats = await Promise.all(names.map((n) => lstat(path.join(root, rel, n))));
    for (let i = 0; i < names.length; i++) {
      const st = stats[i]!;
      const childRel = rel === '' ? names[i]! : `${rel}/${names[i]!}`;
      if (st.isFile()) {
        files.push({ rel: childRel, size: st.size, mtimeMs: st.mtimeMs, atimeMs: st.atimeMs, mode: st.mode & 0o7777 });
        bytes += st.size;
      } else if (st.isDirectory()) {
        dirs.push({ rel: childRel, mtimeMs: st.mtimeMs, atimeMs: st.atimeMs, mode: st.mode & 0o7777 });
        pending.push(childRel);
      } else if (st.isSymbolicLink()) {
        skipped.push({ path: childRel, kind: 'symlink', linkTarget: await readlink(path.join(root, childRel)) });
      } else {
        skipped.push({ path: childRel, kind: 'other' });
      }
    }
  }
  return { files, dirs, skipped, bytes };
}
