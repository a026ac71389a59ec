/**
 * Files and permissions on Windows. Content goes through node:fs; access through icacls:
 * - `grants` become inheritable icacls grants (acl.ts);
 * - a private `mode` (no group or other bits, e.g. 0o700 or 0o600) becomes a protected ACL for
 *   SYSTEM, Administrators and the owner, since %ProgramData% lets every user read by default;
 *   any other mode is ignored (the path inherits its folder's ACL);
 * - `owner` is only used with a private mode (the owner gets full control); `group` is ignored.
 * Every path is validated and normalized as a Windows path first; `toFsPath` maps it to what
 * node:fs opens (the identity on Windows; tests map it into a temp folder on Linux).
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, mkdir, open, readFile, rename, rm, stat, statfs, unlink, utimes } from 'node:fs/promises';
import { win32 } from 'node:path';
import { UserError } from '../../shared/errors.js';
import type { Access, FileStat, FileSystemSpace, Files } from '../types.js';
import { aclAllowsCreateDelete, aclSatisfies, everyoneGroups, readAcl, setAclGrants, setPrivateAcl } from './acl.js';
import type { CommandRunner } from './command-runner.js';
import { normalizeWindowsPath } from './paths.js';
import { removeEmptyDirectory } from '../remove-empty-dir.js';

export interface WindowsFilesOptions {
  /** Maps a normalized Windows path to the path node:fs opens (default: the path itself). */
  readonly toFsPath?: (windowsPath: string) => string;
  /** The account this process runs as (DOMAIN\user); canWrite probes for real when asked about it. */
  readonly currentAccount?: string;
  /** Waits between rename retries (tests pass a no-op). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Rename over a file another process holds open fails on Windows with these, usually briefly (antivirus, indexer). */
const transientRenameCodes = new Set(['EPERM', 'EACCES', 'EBUSY']);
const renameAttempts = 5;

/** Whether a mode keeps group and others out (0o700, 0o600): the cases mapped to a private ACL. */
export function isPrivateMode(mode: number | undefined): boolean {
  return mode !== undefined && (mode & 0o077) === 0;
}

/** The Files adapter for Windows. */
export class WindowsFiles implements Files {
  private readonly toFsPath: (windowsPath: string) => string;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly runner: CommandRunner,
    private readonly options: WindowsFilesOptions = {},
  ) {
    this.toFsPath = options.toFsPath ?? ((p) => p);
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  async stat(path: string): Promise<FileStat | undefined> {
    try {
      const s = await stat(this.fs(path));
      return { kind: s.isFile() ? 'file' : s.isDirectory() ? 'dir' : 'other', size: s.size, mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, mtimeMs: s.mtimeMs };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async readText(path: string): Promise<string | undefined> {
    try {
      return await readFile(this.fs(path), 'utf8');
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  /**
   * Writes a temp file in the same folder (it inherits the folder's ACL), flushes it, then renames
   * it over the target (MoveFileEx with replace: atomic on one volume), retrying briefly while
   * another process holds the target open. Explicit ACEs of the old file are not carried over.
   */
  async writeAtomic(path: string, content: string | Uint8Array, access?: Access): Promise<void> {
    const target = normalizeWindowsPath(path);
    if ((await this.stat(target))?.kind === 'dir') {
      throw new UserError('conflict', `Cannot write ${target}: it is a folder.`, 'Choose a file path, or remove the folder.');
    }
    const temp = win32.join(win32.dirname(target), `.${win32.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const handle = await open(this.fs(temp), 'wx');
      try {
        await handle.writeFile(content);
        await handle.sync();
      } finally {
        await handle.close();
      }
      // A private file is locked down before it takes the target's name.
      if (access) await this.applyAccess(temp, access, false, false);
      await this.renameWithRetry(temp, target);
    } catch (err) {
      await rm(this.fs(temp), { force: true });
      throw err;
    }
  }

  /** Copies `path` to `<backupDir>\<name>.<timestamp>.bak` (mtime kept); the backup folder is private. */
  async backup(path: string, backupDir: string): Promise<string | undefined> {
    const source = await this.stat(path);
    if (!source) return undefined;
    if (source.kind !== 'file') throw new UserError('conflict', `Cannot back up ${path}: it is not a regular file.`);
    await this.ensureDir(backupDir, { mode: 0o700 });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    for (let n = 0; ; n++) {
      const target = win32.join(normalizeWindowsPath(backupDir), `${win32.basename(normalizeWindowsPath(path))}.${stamp}${n ? `.${n}` : ''}.bak`);
      try {
        await copyFile(this.fs(path), this.fs(target), constants.COPYFILE_EXCL);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw err;
      }
      await utimes(this.fs(target), new Date(), new Date(source.mtimeMs));
      return target;
    }
  }

  /** Creates the folder and its parents; applies `access` to the folder itself. */
  async ensureDir(path: string, access?: Access): Promise<void> {
    const existing = await this.stat(path);
    if (existing && existing.kind !== 'dir') {
      throw new UserError('conflict', `Cannot create folder ${path}: a file with that name exists.`, 'Remove or rename the file, or choose another folder.');
    }
    if (!existing) await mkdir(this.fs(path), { recursive: true });
    if (access) await this.applyAccess(path, access, false, true);
  }

  /** icacls grants (with /T when recursive) and the private-mode ACL; see the file comment. */
  async setAccess(path: string, access: Access, recursive = false): Promise<void> {
    const s = await this.stat(path);
    if (!s) throw new UserError('not-found', `Cannot set permissions on ${path}: it does not exist.`);
    await this.applyAccess(path, access, recursive, s.kind === 'dir');
  }

  /**
   * A path a plan manages gets its grants only and inherits the rest from its folder: its POSIX
   * mode and owner mean nothing here (a private mode becomes a protected ACL only where spsetup
   * asks for it itself, e.g. its backups).
   */
  managedAccess(access: Access): Access {
    return access.grants ? { grants: access.grants } : {};
  }

  /** Whether the path's ACL (read with icacls) holds every grant. */
  async accessSatisfies(path: string, access: Access): Promise<boolean> {
    const acl = await readAcl(this.runner, path);
    return (access.grants ?? []).every((g) => aclSatisfies(acl, g));
  }

  /** The ACL's entries as icacls shows them, e.g. `BUILTIN\\Users (OI)(CI)(RX)`. */
  async describeAccess(path: string): Promise<string> {
    const acl = await readAcl(this.runner, path);
    return `ACL ${acl.map((e) => `${e.principal} ${e.flags.map((f) => `(${f})`).join('')}`).join(', ') || 'empty'}`;
  }

  /**
   * For this process (no account, or the current one): a real probe, a file created and deleted.
   * For another account: its entries in the folder's ACL and those of Everyone, Authenticated
   * Users and Users (see aclAllowsCreateDelete for what this cannot see).
   */
  async canWrite(dir: string, account?: string): Promise<boolean> {
    const folder = normalizeWindowsPath(dir);
    if (account === undefined || (this.options.currentAccount !== undefined && account.toLowerCase() === this.options.currentAccount.toLowerCase())) {
      const probe = this.fs(win32.join(folder, `.spsetup-probe-${randomBytes(6).toString('hex')}`));
      try {
        const handle = await open(probe, 'wx');
        await handle.close();
        await unlink(probe);
        return true;
      } catch {
        return false;
      }
    }
    const entries = await readAcl(this.runner, folder);
    return aclAllowsCreateDelete(entries, [account, ...everyoneGroups]);
  }

  /** Removes a file or a tree; missing is fine. Retries while Windows still holds handles. */
  async remove(path: string): Promise<void> {
    await rm(this.fs(path), { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }

  /** Removes a folder only when it is empty; false when it holds something. */
  async removeEmptyDir(path: string): Promise<boolean> {
    return removeEmptyDirectory(this.fs(path));
  }

  /** Bytes free for this account on the volume holding `path` (GetDiskFreeSpaceEx through fs.statfs). */
  async freeBytes(path: string): Promise<number> {
    const s = await statfs(this.fs(path));
    return Number(s.bavail) * Number(s.bsize);
  }

  /** Free bytes of the volume holding `path`; NTFS has no inode limit to report. */
  async space(path: string): Promise<FileSystemSpace> {
    return { freeBytes: await this.freeBytes(path), device: win32.parse(path).root.toLowerCase() };
  }

  private fs(path: string): string {
    return this.toFsPath(normalizeWindowsPath(path));
  }

  private async applyAccess(path: string, access: Access, recursive: boolean, isDir: boolean): Promise<void> {
    const target = normalizeWindowsPath(path);
    if (isPrivateMode(access.mode)) await setPrivateAcl(this.runner, target, isDir, access.owner);
    // Inheritance flags mean nothing on a file (and icacls refuses them there).
    const grants = (access.grants ?? []).map((g) => (isDir ? g : { ...g, inherit: false }));
    if (grants.length > 0) await setAclGrants(this.runner, target, grants, recursive);
  }

  private async renameWithRetry(from: string, to: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await rename(this.fs(from), this.fs(to));
        return;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? '';
        if (!transientRenameCodes.has(code) || attempt >= renameAttempts) {
          if (transientRenameCodes.has(code)) {
            throw new UserError('conflict', `Cannot replace ${to}: another program keeps it open.`, 'Stop the program or service using the file (or its antivirus scan), then resume.');
          }
          throw err;
        }
        await this.sleep(100 * attempt);
      }
    }
  }
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
