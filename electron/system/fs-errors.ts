/**
 * File system errors become typed errors naming the path and the cause (shared/fs-error.ts);
 * here, where statfs can be asked, a full file system is told apart from one out of inodes.
 */
import { statSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError, filesystemError } from '../shared/errors.js';
import { isErrnoError, type FsCauseFacts } from '../shared/fs-error.js';

function nearestExisting(path: string): string {
  for (let p = path; ; p = dirname(p)) {
    try {
      statSync(p);
      return p;
    } catch {
      if (dirname(p) === p) return p;
    }
  }
}

/** Free bytes and inodes of the file system holding `path` (or its nearest existing parent); {} when it cannot tell. */
function spaceFacts(path: string): FsCauseFacts {
  try {
    const s = statfsSync(nearestExisting(path));
    // ffree 0 with files > 0: out of inodes (file systems without inode counts report files 0).
    return { noInodes: Number(s.files) > 0 && Number(s.ffree) === 0, freeBytes: Number(s.bavail) * Number(s.bsize) };
  } catch {
    return {};
  }
}

/** `err` as a typed error about `path` when it is an fs error; anything else is returned as it is. */
export function toFsError(err: unknown, path?: string, action?: string): unknown {
  if (err instanceof UserError || !isErrnoError(err)) return err;
  const where = path ?? err.path;
  const facts = err.code === 'ENOSPC' && where ? spaceFacts(where) : {};
  return filesystemError(err, where, facts, action);
}

/** Runs `fn`, turning an fs error into a typed error about `path` ("Cannot <action> <path>: <cause>."). */
export async function onPath<T>(path: string, fn: () => Promise<T>, action?: string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toFsError(err, path, action);
  }
}

/** Whether the file system holding `path` is out of inodes (false when it cannot tell). */
export function outOfInodes(path: string): boolean {
  return spaceFacts(path).noInodes === true;
}
