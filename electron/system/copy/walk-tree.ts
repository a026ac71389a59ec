/**
 * Lists a source tree: files with their stat, directories, and what is not copied (symlinks,
 * special files). Each folder is opened without following links and listed through its handle, so
 * a folder swapped for a link during the walk is refused instead of listing what the link points to.
 */
import { lstatSync } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { DirHandle, withDir } from '../no-follow.js';
import type { FileId } from '../no-follow.js';
import type { SkippedEntry } from './types.js';

export interface WalkedFile extends FileId {
  /** Relative path with '/' separators. */
  readonly rel: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly atimeMs: number;
  readonly mode: number;
}

export interface WalkedDir extends FileId {
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
  /** The root folder itself. */
  readonly root: FileId;
}

/** Walks `root` (which must be a directory), sorted by name so runs are comparable. */
export async function walkTree(root: string): Promise<WalkedTree> {
  const files: WalkedFile[] = [];
  const dirs: WalkedDir[] = [];
  const skipped: SkippedEntry[] = [];
  let bytes = 0;
  let rootId: FileId | undefined;
  // Folders still to list, each with the identity its parent's listing saw (none yet for the root).
  const pending: { rel: string; id: FileId | undefined }[] = [{ rel: '', id: undefined }];
  for (let next = 0; next < pending.length; next++) {
    const { rel, id } = pending[next]!;
    await withDir(DirHandle.open(rel === '' ? root : `${root}/${rel}`, id), async (dir) => {
      rootId ??= dir.id;
      const names = (await dir.list()).sort();
      // Synchronous: one lstat per entry costs less than its thread-pool round trip (see copy-small-file.ts).
      const stats = names.map((n) => lstatSync(dir.at(n)));
      for (let i = 0; i < names.length; i++) {
        const st = stats[i]!;
        const childRel = rel === '' ? names[i]! : `${rel}/${names[i]!}`;
        const ids = { dev: st.dev, ino: st.ino };
        if (st.isFile()) {
          files.push({ rel: childRel, size: st.size, mtimeMs: st.mtimeMs, atimeMs: st.atimeMs, mode: st.mode & 0o7777, ...ids });
          bytes += st.size;
        } else if (st.isDirectory()) {
          dirs.push({ rel: childRel, mtimeMs: st.mtimeMs, atimeMs: st.atimeMs, mode: st.mode & 0o7777, ...ids });
          pending.push({ rel: childRel, id: ids });
        } else if (st.isSymbolicLink()) {
          skipped.push({ path: childRel, kind: 'symlink', linkTarget: await readlink(dir.at(names[i]!)) });
        } else {
          skipped.push({ path: childRel, kind: 'other' });
        }
      }
    });
  }
  return { files, dirs, skipped, bytes, root: rootId! };
}
