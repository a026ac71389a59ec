/**
 * Directories held open, so that names resolve against the folder that was checked and not against
 * a path another account can swap for a link between the check and the use. On Linux a name under
 * a handle is reached through `/proc/self/fd/<fd>/<name>` (what openat() does, without a native
 * module); the final component is opened with O_NOFOLLOW, so a link is refused, never followed.
 * Elsewhere (Windows, where creating links needs privileges) names are joined to the path.
 * Used wherever root works in a folder that the service account, its group or the GUI user can
 * write (docs/security.md lists those places).
 */
import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Stats } from 'node:fs';
import { UserError } from '../shared/errors.js';

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const DIRECTORY = constants.O_DIRECTORY ?? 0;
const byHandle = process.platform === 'linux' && existsSync('/proc/self/fd');

/** The identity of a file system object: what a later open must find again. */
export interface FileId {
  readonly dev: number;
  readonly ino: number;
}

/** True when both name the same object. */
export function sameFile(a: FileId, b: FileId): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/** Opens a file for reading without following a final link (ELOOP when it is one); O_NONBLOCK so a planted FIFO cannot hang root. */
export function openNoFollow(filePath: string): Promise<FileHandle> {
  return open(filePath, constants.O_RDONLY | NOFOLLOW | (constants.O_NONBLOCK ?? 0));
}

/** Whether folders are held open as descriptors (Linux, through /proc/self/fd); elsewhere names are joined to paths. */
export const DIRS_BY_HANDLE = byHandle;

/** A directory opened synchronously (Linux only): its descriptor and identity. Close `fd` with closeSync. */
export interface SyncDir {
  readonly fd: number;
  readonly id: FileId;
}

/**
 * The synchronous DirHandle.open, for loops over many folders where each thread-pool round trip
 * costs more than the call (see copy/copy-small-file.ts): the same refusals, the same messages.
 * Only where DIRS_BY_HANDLE holds.
 */
export function openDirSync(dirPath: string, expected?: FileId, shownAs = dirPath): SyncDir {
  if (!byHandle) throw new Error('openDirSync needs /proc/self/fd');
  let fd: number;
  try {
    fd = openSync(dirPath, constants.O_RDONLY | DIRECTORY | NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'ENOTDIR') {
      let st: Stats | undefined;
      try {
        st = lstatSync(dirPath);
      } catch {
        st = undefined;
      }
      throw linkRefused(shownAs, st);
    }
    throw err;
  }
  const st = fstatSync(fd);
  if (expected && !sameFile(st, expected)) {
    closeSync(fd);
    throw swapped(shownAs);
  }
  return { fd, id: { dev: st.dev, ino: st.ino } };
}

/** A path to `name` inside a folder opened with openDirSync. */
export function atFd(fd: number, name: string): string {
  return `/proc/self/fd/${fd}/${name}`;
}

/** An open directory; `at(name)` is a path that resolves through the handle. */
export class DirHandle {
  private constructor(
    /** The path it was opened by (for messages). */
    readonly path: string,
    private readonly fh: FileHandle | undefined,
    readonly id: FileId,
  ) {}

  /**
   * Opens `dirPath`, refusing a link or a non-folder as its last component; `expected` must match
   * when given. `shownAs` is the path messages name (a child opened through /proc has another).
   */
  static async open(dirPath: string, expected?: FileId, shownAs = dirPath): Promise<DirHandle> {
    if (!byHandle) {
      const st = await lstat(dirPath);
      if (!st.isDirectory()) throw linkRefused(shownAs, st);
      return DirHandle.checked(new DirHandle(dirPath, undefined, st), expected);
    }
    let fh: FileHandle;
    try {
      fh = await open(dirPath, constants.O_RDONLY | DIRECTORY | NOFOLLOW);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ELOOP' || code === 'ENOTDIR') throw linkRefused(shownAs, await lstat(dirPath).catch(() => undefined));
      throw err;
    }
    const st = await fh.stat();
    return DirHandle.checked(new DirHandle(shownAs, fh, st), expected);
  }

  private static async checked(dir: DirHandle, expected: FileId | undefined): Promise<DirHandle> {
    if (expected && !sameFile(dir.id, expected)) {
      await dir.close();
      throw swapped(dir.path);
    }
    return dir;
  }

  /** A path to `name` inside this directory that does not go through the directory's path again. */
  at(name: string): string {
    return this.fh ? `/proc/self/fd/${this.fh.fd}/${name}` : path.join(this.path, name);
  }

  /** The names in the directory. */
  list(): Promise<string[]> {
    return readdir(this.fh ? `/proc/self/fd/${this.fh.fd}` : this.path);
  }

  /** lstat of a child (never follows it). */
  lstat(name: string): Promise<Stats> {
    return lstat(this.at(name));
  }

  /** Opens the child folder `name`, refusing a link. */
  openDir(name: string, expected?: FileId): Promise<DirHandle> {
    return DirHandle.open(this.at(name), expected, path.join(this.path, name));
  }

  /** Creates the child folder `name` unless something by that name exists. */
  async mkdir(name: string, mode = 0o777): Promise<void> {
    await mkdir(this.at(name), { mode }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  }

  /** Creates a new file `name` (O_EXCL: never an existing file or a link). */
  createFile(name: string, mode: number): Promise<FileHandle> {
    return open(this.at(name), constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, mode);
  }

  /** Opens the child file `name` for reading, refusing a link. */
  openFile(name: string): Promise<FileHandle> {
    return openNoFollow(this.at(name));
  }

  /** Removes the child `name` (a link itself, never what it points to); nothing when missing. */
  async unlink(name: string): Promise<void> {
    await unlink(this.at(name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  /** Renames one child over another, inside this directory. */
  rename(from: string, to: string): Promise<void> {
    return rename(this.at(from), this.at(to));
  }

  /** Sets mode and times on the directory itself (through the handle, never a link). */
  async setModeAndTimes(mode: number, atimeMs: number, mtimeMs: number): Promise<void> {
    if (!this.fh) return; // without a handle the caller's path-based fallback applies
    await this.fh.chmod(mode);
    await this.fh.utimes(atimeMs / 1000, mtimeMs / 1000);
  }

  /** Whether mode and times can be set through the handle (Linux). */
  get hasHandle(): boolean {
    return this.fh !== undefined;
  }

  async close(): Promise<void> {
    await this.fh?.close();
  }
}

/** Runs `fn` with `dir` open and closes it afterwards. */
export async function withDir<T>(dir: Promise<DirHandle>, fn: (d: DirHandle) => Promise<T>): Promise<T> {
  const d = await dir;
  try {
    return await fn(d);
  } finally {
    await d.close();
  }
}

/**
 * Opens `dirPath`, creating its missing folders (mode `mode`, owned by root) one by one inside the
 * handle of the one before, so a link planted on the way is refused instead of followed. The
 * nearest existing ancestor is opened without following a link as its last component.
 */
export async function ensureDirNoFollow(dirPath: string, mode = 0o755): Promise<DirHandle> {
  const missing: string[] = [];
  let base = path.resolve(dirPath);
  while (!(await lstat(base).then(() => true, () => false)) && path.dirname(base) !== base) {
    missing.unshift(path.basename(base));
    base = path.dirname(base);
  }
  let dir = await DirHandle.open(base);
  try {
    for (const name of missing) {
      await dir.mkdir(name, mode);
      const next = await dir.openDir(name);
      await dir.close();
      dir = next;
    }
    return dir;
  } catch (err) {
    await dir.close();
    throw err;
  }
}

/**
 * Makes `filePath` a regular file owned by uid:gid (created with `mode` when missing), without
 * following a link anywhere on the way: for a file another account writes but root created.
 */
export async function ensureOwnedFile(filePath: string, owner: { uid: number; gid: number }, mode: number): Promise<void> {
  await withDir(ensureDirNoFollow(path.dirname(filePath)), async (dir) => {
    const name = path.basename(filePath);
    const fh = await dir.createFile(name, mode).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
      return dir.openFile(name).catch((e: NodeJS.ErrnoException) => {
        throw e.code === 'ELOOP' ? linkRefused(filePath, undefined, 'a symbolic link') : e;
      });
    });
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw linkRefused(filePath, undefined, 'not a regular file');
      if (st.uid !== owner.uid || st.gid !== owner.gid) await fh.chown(owner.uid, owner.gid);
    } finally {
      await fh.close();
    }
  });
}

function linkRefused(p: string, st: Stats | undefined, said?: string): UserError {
  const what = said ?? (st?.isSymbolicLink() ? 'a symbolic link' : st ? 'not a folder' : 'missing');
  return new UserError(
    'conflict',
    `${p} is ${what}: spsetup does not follow links in folders other accounts can change.`,
    said ? 'Remove it (spsetup creates it again), then run again.' : 'Replace it with a real folder (or remove it), then run again.',
    { path: p, errno: what === 'a symbolic link' ? 'ELOOP' : 'ENOTDIR' },
  );
}

function swapped(p: string): UserError {
  return new UserError(
    'conflict',
    `${p} was replaced while spsetup was working in it.`,
    "Stop the product's services and anything else writing there, then run again. Files already copied and verified are not copied again.",
    { path: p },
  );
}
