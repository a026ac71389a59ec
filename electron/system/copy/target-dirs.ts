/**
 * The target's folders: created one by one inside their verified parent before the files, and
 * given their mode and times after them. On Linux in synchronous calls: a tree of a few hundred
 * folders otherwise costs several thread-pool round trips per folder, one after the other (the
 * same reason as copy-small-file.ts). Each folder is opened without following a link and must be
 * the folder recorded when it was created (see no-follow.ts); a link or a swap is refused.
 */
import { chmod, utimes } from 'node:fs/promises';
import { closeSync, fchmodSync, futimesSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { onSide, onSideSync } from './copy-errors.js';
import { ensureDir } from './ensure-dir.js';
import { atFd, DIRS_BY_HANDLE, DirHandle, openDirSync, withDir } from '../no-follow.js';
import type { FileId } from '../no-follow.js';
import type { WalkedDir } from './walk-tree.js';

/** The relative path of an entry's folder ('' for the root). */
export function parentOf(rel: string): string {
  const parent = path.posix.dirname(rel);
  return parent === '.' ? '' : parent;
}

/**
 * Creates the target root (and its missing parents, which are the administrator's) and then each
 * folder of the tree (parents first) inside its verified parent; returns the identity of every target folder.
 */
export async function createTargetDirs(target: string, dirs: readonly { rel: string }[]): Promise<Map<string, FileId>> {
  await onSide('write', target, () => ensureDir(target));
  const ids = new Map<string, FileId>();
  ids.set('', await onSide('write', target, () => withDir(DirHandle.open(target), async (root) => root.id)));
  const full = (rel: string) => (rel === '' ? target : path.join(target, rel));
  for (const d of dirs) {
    const parentRel = parentOf(d.rel);
    const name = path.posix.basename(d.rel);
    if (DIRS_BY_HANDLE) {
      onSideSync('write', full(d.rel), () => {
        const parent = openDirSync(full(parentRel), ids.get(parentRel));
        try {
          try {
            mkdirSync(atFd(parent.fd, name));
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          }
          const child = openDirSync(atFd(parent.fd, name), undefined, full(d.rel));
          closeSync(child.fd);
          ids.set(d.rel, child.id);
        } finally {
          closeSync(parent.fd);
        }
      });
      continue;
    }
    await onSide('write', full(d.rel), () =>
      withDir(DirHandle.open(full(parentRel), ids.get(parentRel)), async (parent) => {
        await parent.mkdir(name);
        ids.set(d.rel, await withDir(parent.openDir(name), async (child) => child.id));
      }),
    );
  }
  return ids;
}

/** Gives each target folder its source's mode (plus owner write) and times, deepest first. */
export async function setDirModesAndTimes(target: string, dirs: readonly WalkedDir[], ids: ReadonlyMap<string, FileId>): Promise<void> {
  // Deepest first: setting a child's times would otherwise move its parent's mtime.
  for (const d of [...dirs].reverse()) {
    const dir = path.join(target, d.rel);
    const mode = d.mode | 0o200;
    if (DIRS_BY_HANDLE) {
      onSideSync('write', dir, () => {
        const h = openDirSync(dir, ids.get(d.rel));
        try {
          fchmodSync(h.fd, mode);
          futimesSync(h.fd, d.atimeMs / 1000, d.mtimeMs / 1000);
        } finally {
          closeSync(h.fd);
        }
      });
      continue;
    }
    // Without handles (Windows): checked by path (not a link, the same folder), then set by path.
    await onSide('write', dir, () =>
      withDir(DirHandle.open(dir, ids.get(d.rel)), async () => {
        await chmod(dir, mode);
        await utimes(dir, d.atimeMs / 1000, d.mtimeMs / 1000);
      }),
    );
  }
}
