import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, chown, copyFile, lchown, lstat, mkdir, open, readdir, readFile, rename, rm, stat, statfs, unlink, utimes } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { removeEmptyDirectory } from './remove-empty-dir.js';
import { UserError } from '../shared/errors.js';
import { onPath, toFsError } from './fs-errors.js';
import type { Access, FileStat, FileSystemSpace, Files, Processes } from './types.js';

/** Mode of a new file written without an explicit mode. */
const defaultFileMode = 0o644;

/** Files and permissions on Linux. Owners and groups are given by name and looked up through NSS. */
export class PosixFiles implements Files {
  constructor(private readonly processes: Processes) {}

  /** Stats without following a final symlink's target kind ('other' for links, sockets, devices). */
  async stat(path: string): Promise<FileStat | undefined> {
    try {
      const s = await stat(path);
      return {
        kind: s.isFile() ? 'file' : s.isDirectory() ? 'dir' : 'other',
        size: s.size,
        mode: s.mode & 0o7777,
        uid: s.uid,
        gid: s.gid,
        mtimeMs: s.mtimeMs,
      };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw toFsError(err, path);
    }
  }

  /** Reads a UTF-8 file; undefined when it does not exist. */
  async readText(path: string): Promise<string | undefined> {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw toFsError(err, path);
    }
  }

  /**
   * Writes through a 0600 temp file in the same directory: write, fsync, then mode and owner, then
   * rename over the target. Without `access`, an existing file keeps its mode and owner.
   */
  async writeAtomic(path: string, content: string | Uint8Array, access?: Access): Promise<void> {
    await onPath(resolve(path), () => this.writeAtomicAt(path, content, access), 'write');
  }

  private async writeAtomicAt(path: string, content: string | Uint8Array, access?: Access): Promise<void> {
    const target = resolve(path);
    const dir = dirname(target);
    const previous = await this.stat(target);
    if (previous?.kind === 'dir') {
      throw new UserError('conflict', `Cannot write ${target}: it is a directory.`, 'Choose a file path, or remove the directory.');
    }
    const ids = await this.resolveIds(access);
    const mode = access?.mode ?? previous?.mode ?? defaultFileMode;
    const uid = ids.uid ?? (previous && !access?.owner ? previous.uid : -1);
    const gid = ids.gid ?? (previous && !access?.group ? previous.gid : -1);
    await removeStaleTemps(dir, basename(target));
    const temp = join(dir, `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    // 'wx' + 0600: nobody else can open the temp file, whatever the umask, until its final mode is set.
    const handle = await open(temp, 'wx', 0o600);
    try {
      try {
        await handle.writeFile(content);
        await handle.sync();
        if (uid !== -1 || gid !== -1) await handle.chown(uid, gid);
        await handle.chmod(mode);
      } finally {
        await handle.close();
      }
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    await syncDir(dir);
  }

  /** Copies `path` to `<backupDir>/<name>.<timestamp>.bak` keeping mode, owner and mtime; undefined when `path` is missing. */
  async backup(path: string, backupDir: string): Promise<string | undefined> {
    return onPath(backupDir, () => this.backupTo(path, backupDir), `back ${path} up in`);
  }

  private async backupTo(path: string, backupDir: string): Promise<string | undefined> {
    const source = await this.stat(path);
    if (!source) return undefined;
    if (source.kind !== 'file') {
      throw new UserError('conflict', `Cannot back up ${path}: it is not a regular file.`);
    }
    await mkdir(backupDir, { recursive: true, mode: 0o700 });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    for (let n = 0; ; n++) {
      const target = join(backupDir, `${basename(path)}.${stamp}${n ? `.${n}` : ''}.bak`);
      try {
        await copyFile(path, target, constants.COPYFILE_EXCL);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw err;
      }
      await chmod(target, source.mode);
      if (this.processes.isElevated()) await chown(target, source.uid, source.gid);
      await utimes(target, new Date(), new Date(source.mtimeMs));
      return target;
    }
  }

  /** Creates the directory (and parents); applies `access` to the directory itself. */
  async ensureDir(path: string, access?: Access): Promise<void> {
    const existing = await this.stat(path);
    if (existing && existing.kind !== 'dir') {
      throw new UserError('conflict', `Cannot create folder ${path}: a file with that name exists.`, 'Remove or rename the file, or choose another folder.');
    }
    if (!existing) await onPath(path, () => makeDir(path), 'create the folder');
    else if ((await lstat(path)).isSymbolicLink()) throw linkRefused(path);
    if (access) await this.setAccess(path, access);
  }

  /**
   * Applies mode, owner and group. Recursively, directories get `mode`; files get it without
   * execute bits unless they were executable already (like chmod's `X`). Symlinks are not followed.
   */
  async setAccess(path: string, access: Access, recursive = false): Promise<void> {
    const ids = await this.resolveIds(access);
    await onPath(path, () => this.applyAccess(path, access.mode, ids, recursive, true), 'set the permissions of');
  }

  /** Mode, owner and group (grants are Windows'). */
  managedAccess(access: Access): Access {
    return { mode: access.mode, owner: access.owner, group: access.group };
  }

  /** Mode and owner as given; an owner that does not exist yet is not compared (the plan creates it first). */
  async accessSatisfies(path: string, access: Access): Promise<boolean> {
    const s = await this.stat(path);
    if (!s) return false;
    if (access.mode !== undefined && (s.mode & 0o7777) !== access.mode) return false;
    const owner = access.owner ? await this.processes.lookupUser(access.owner) : undefined;
    return !owner || s.uid === owner.uid;
  }

  /** `owner root, group root, mode 0755` (ids where NSS has no name). */
  async describeAccess(path: string): Promise<string> {
    const s = await lstat(path);
    if (s.isSymbolicLink()) throw linkRefused(path);
    const owner = (await this.processes.lookupUserName(s.uid)) ?? `uid ${s.uid}`;
    const group = (await this.lookupGroupName(s.gid)) ?? `gid ${s.gid}`;
    return `owner ${owner}, group ${group}, mode ${formatMode(s.mode)}`;
  }

  /** Creates and deletes a probe file in `dir` as `account` (via runuser when it is another account). */
  async canWrite(dir: string, account?: string): Promise<boolean> {
    const probe = join(resolve(dir), `.spsetup-probe-${randomBytes(6).toString('hex')}`);
    if (!account || account === currentUserName()) {
      try {
        const handle = await open(probe, 'wx', 0o600);
        await handle.close();
        await unlink(probe);
        return true;
      } catch {
        return false;
      }
    }
    if (!this.processes.isElevated()) {
      throw new UserError('permission-denied', `Cannot test whether ${account} can write to ${dir} without administrator rights.`, 'Run spsetup elevated.');
    }
    if (!(await this.processes.lookupUser(account))) {
      throw new UserError('not-found', `The account ${account} does not exist.`, 'Create the account first, or choose an existing one.');
    }
    const touched = await this.processes.run('touch', [probe], { user: account, allowFailure: true, timeoutMs: 30_000 });
    if (touched.code !== 0) return false;
    const removed = await this.processes.run('rm', ['-f', '--', probe], { user: account, allowFailure: true, timeoutMs: 30_000 });
    if (removed.code === 0 && !(await this.stat(probe))) return true;
    await rm(probe, { force: true });
    return false;
  }

  /** Removes a file or a whole tree; nothing happens when it does not exist. */
  async remove(path: string): Promise<void> {
    await onPath(path, () => rm(path, { recursive: true, force: true }), 'remove');
  }

  /** Removes a folder only when it is empty; false when it holds something. */
  async removeEmptyDir(path: string): Promise<boolean> {
    return onPath(path, () => removeEmptyDirectory(path), 'remove the folder');
  }

  /** Bytes available to unprivileged users on the file system holding `path`. */
  async freeBytes(path: string): Promise<number> {
    const s = await statfs(path);
    return Number(s.bavail) * Number(s.bsize);
  }

  /** statfs and st_dev of `path` (it must exist). */
  async space(path: string): Promise<FileSystemSpace> {
    return onPath(path, async () => {
      const [fsStat, st] = await Promise.all([statfs(path), stat(path)]);
      const files = Number(fsStat.files);
      return { freeBytes: Number(fsStat.bavail) * Number(fsStat.bsize), ...(files > 0 ? { freeInodes: Number(fsStat.ffree) } : {}), device: String(st.dev) };
    }, 'look at the file system of');
  }

  private async resolveIds(access: Access | undefined): Promise<{ uid?: number; gid?: number }> {
    const ids: { uid?: number; gid?: number } = {};
    if (access?.owner) {
      const user = await this.processes.lookupUser(access.owner);
      if (!user) throw new UserError('not-found', `The account ${access.owner} does not exist.`, 'Create the account first, or choose an existing one.');
      ids.uid = user.uid;
    }
    if (access?.group) {
      const group = await this.lookupGroup(access.group);
      if (!group) throw new UserError('not-found', `The group ${access.group} does not exist.`, 'Create the group first, or choose an existing one.');
      ids.gid = group.gid;
    }
    return ids;
  }

  private async lookupGroup(name: string): Promise<{ gid: number } | undefined> {
    const res = await this.processes.run('getent', ['group', '--', name], { allowFailure: true, timeoutMs: 15_000 });
    if (res.code !== 0) return undefined;
    const gid = Number((res.stdout.split('\n')[0] ?? '').split(':')[2]);
    return Number.isInteger(gid) ? { gid } : undefined;
  }

  private async lookupGroupName(gid: number): Promise<string | undefined> {
    const res = await this.processes.run('getent', ['group', '--', String(gid)], { allowFailure: true, timeoutMs: 15_000 });
    return res.code === 0 ? (res.stdout.split(':')[0] || undefined) : undefined;
  }

  private async applyAccess(path: string, mode: number | undefined, ids: { uid?: number; gid?: number }, recursive: boolean, top: boolean): Promise<void> {
    const s = await lstat(path);
    if (ids.uid !== undefined || ids.gid !== undefined) await lchown(path, ids.uid ?? -1, ids.gid ?? -1);
    if (s.isSymbolicLink()) return;
    if (mode !== undefined) {
      const wanted = s.isDirectory() || top || (s.mode & 0o111) !== 0 ? mode : mode & ~0o111;
      await chmod(path, wanted);
    }
    if (recursive && s.isDirectory()) {
      for (const entry of await readdir(path)) await this.applyAccess(join(path, entry), mode, ids, true, false);
    }
  }
}

/**
 * mkdir -p one level at a time: a recursive mkdir reports ENOENT for a file system that is out of
 * inodes (or space), hiding the cause; a plain mkdir reports ENOSPC.
 */
async function makeDir(path: string): Promise<void> {
  try {
    await mkdir(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && (await stat(path)).isDirectory()) return;
    if (code !== 'ENOENT' || dirname(path) === path) throw err;
    await makeDir(dirname(path));
    await mkdir(path).catch((again: NodeJS.ErrnoException) => {
      if (again.code !== 'EEXIST') throw again;
    });
  }
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function currentUserName(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

/** fsync the directory so the rename itself survives a crash. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // some file systems refuse fsync on directories; the rename is still atomic
  } finally {
    await handle.close();
  }
}

/** Removes temp files a killed earlier write of the same target left behind (our own naming only). */
async function removeStaleTemps(dir: string, name: string): Promise<void> {
  const prefix = `.${name}.`;
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const entry of entries) {
    if (entry.startsWith(prefix) && /^[0-9a-f]{12}\.tmp$/.test(entry.slice(prefix.length))) await rm(join(dir, entry), { force: true });
  }
}

/** A folder that is a link: whoever made the link chose what root would re-own or re-mode. */
function linkRefused(path: string): UserError {
  return new UserError('conflict', `${path} is a link, not a folder: spsetup does not change a folder's owner or mode through a link.`, 'Replace the link by a folder (or name the folder it points to), then try again.');
}

/** Permission bits as four octal digits (0755, 2770). */
export function formatMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}
