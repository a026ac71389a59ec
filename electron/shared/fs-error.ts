/**
 * A file system error as a person reads it: the path and the cause (read-only, full, no inodes,
 * permission, ...) with what to do, instead of "Internal error: EROFS ...". Pure: the system layer
 * adds whether a full file system ran out of space or of inodes (it can ask statfs).
 */
/** What a Node.js fs error carries. */
export interface ErrnoLike {
  readonly code: string;
  readonly syscall?: string;
  readonly path?: string;
  readonly dest?: string;
}

/** Whether `err` is an fs (or other system call) error with an errno code. */
export function isErrnoError(err: unknown): err is Error & ErrnoLike {
  if (!(err instanceof Error)) return false;
  const { code, syscall } = err as Error & { code?: unknown; syscall?: unknown };
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) && typeof syscall === 'string';
}

/** How a system call reads as an action on a path. */
const ACTIONS: Readonly<Record<string, string>> = {
  open: 'open',
  mkdir: 'create the folder',
  mkdtemp: 'create a folder in',
  write: 'write',
  read: 'read',
  rename: 'rename',
  unlink: 'remove',
  rmdir: 'remove the folder',
  rm: 'remove',
  chmod: 'change the permissions of',
  fchmod: 'change the permissions of',
  chown: 'change the owner of',
  lchown: 'change the owner of',
  fchown: 'change the owner of',
  copyfile: 'copy',
  symlink: 'create the link',
  fsync: 'flush',
  scandir: 'list',
  stat: 'look at',
  lstat: 'look at',
  statfs: 'look at the file system of',
  utime: 'set the times of',
  futime: 'set the times of',
};

export interface FsCauseFacts {
  /** From statfs: the file system has no free inodes left (an ENOSPC is then about files, not bytes). */
  readonly noInodes?: boolean;
  /** From statfs: bytes still free, for the message. */
  readonly freeBytes?: number;
}

function cause(code: string, facts: FsCauseFacts): { text: string; fix: string } {
  switch (code) {
    case 'EROFS':
      return { text: 'the file system is read-only', fix: 'Mount it read-write again (or make the share writable), then run `spsetup resume`.' };
    case 'ENOSPC':
      return facts.noInodes
        ? { text: 'its file system has no free inodes left (too many files)', fix: 'Remove files there or give the file system more inodes, then run `spsetup resume`.' }
        : { text: `its file system is full${facts.freeBytes !== undefined ? ` (${Math.floor(facts.freeBytes / 1024)} KiB free)` : ''}`, fix: 'Free space there (or choose a larger disk or share), then run `spsetup resume`.' };
    case 'EDQUOT':
      return { text: 'the disk quota of the account is used up', fix: 'Raise the quota or free space, then run `spsetup resume`.' };
    case 'EACCES':
    case 'EPERM':
      return { text: 'permission denied', fix: 'Run spsetup as root or an administrator, and check the permissions of that folder (and, for a share, of the share itself).' };
    case 'ENOENT':
      return { text: 'it, or a folder on the way to it, does not exist', fix: 'Check that the folder (or the share) is there and reachable, then run `spsetup resume`.' };
    case 'ENOTDIR':
      return { text: 'a part of the path is a file, not a folder', fix: 'Remove or rename that file, or choose another path.' };
    case 'EEXIST':
      return { text: 'something of that name is in the way', fix: 'Remove or rename it, then run `spsetup resume`.' };
    case 'EISDIR':
      return { text: 'it is a folder', fix: 'Remove or rename the folder, or choose another path.' };
    case 'EIO':
      return { text: 'an input/output error (the disk or the share connection failed)', fix: 'Check the disk or the network share, then run `spsetup resume`.' };
    case 'ESTALE':
    case 'ENOTCONN':
    case 'EHOSTDOWN':
      return { text: 'the network share went away', fix: 'Reconnect the share, then run `spsetup resume`.' };
    case 'EMFILE':
    case 'ENFILE':
      return { text: 'too many files are open', fix: 'Close other programs (or raise the open-file limit), then run `spsetup resume`.' };
    case 'ENAMETOOLONG':
      return { text: 'the path is too long', fix: 'Choose a shorter folder.' };
    default:
      return { text: `the system refused (${code})`, fix: 'Check the disk and its permissions, then run `spsetup resume`.' };
  }
}

/** The message and fix for an fs error on `path` (the error's own path when not given). */
export function describeFsFailure(err: ErrnoLike, path?: string, facts: FsCauseFacts = {}, actionGiven?: string): { message: string; fix: string; path: string } {
  const where = path ?? err.path ?? 'a file';
  const action = actionGiven ?? (err.syscall && ACTIONS[err.syscall]) ?? 'use';
  const { text, fix } = cause(err.code, facts);
  return { message: `Cannot ${action} ${where}: ${text}.`, fix, path: where };
}
