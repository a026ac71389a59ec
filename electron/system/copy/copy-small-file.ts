/**
 * The small-file path of copyFileVerified, in synchronous calls: for a file of a few KiB the
 * thread-pool round trip of each async call costs more than the call itself, so a tree of many
 * small files is copied at the speed of `cp -a` only this way. Each file blocks the event loop for
 * a few syscalls (well under a millisecond); callers keep files above `largeFileBytes` on the async
 * streaming path. Same guarantees as copy-file.ts: the source is opened without following a link and
 * must be the file the walk saw; the temp file is created O_EXCL|O_NOFOLLOW through the target
 * folder's handle, read back and compared byte for byte with what was read and hashed, and renamed
 * into place only when it matches.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fchmodSync, fstatSync, futimesSync, lstatSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { UserError } from '../../shared/errors.js';
import { onSideSync, toCopyError } from './copy-errors.js';
import { changedError, PARTIAL_SUFFIX } from './copy-file.js';
import type { CopyFileResult, CopyTarget } from './copy-file.js';
import { sameFile } from '../no-follow.js';
import type { WalkedFile } from './walk-tree.js';

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const READ_FLAGS = constants.O_RDONLY | NOFOLLOW | (constants.O_NONBLOCK ?? 0);
const CREATE_FLAGS = constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | NOFOLLOW;

/** Copies and verifies one small file (read whole); throws UserError and leaves no temp file behind. */
export function copySmallFileSync(src: string, target: CopyTarget, file: WalkedFile): CopyFileResult {
  const dst = target.path;
  const tmpPath = target.dir.at(target.name + PARTIAL_SUFFIX);
  const input = openSource(src, file);
  let out: number | undefined;
  try {
    out = onSideSync('write', dst, () => createTemp(tmpPath));
    const fd = out;
    // One byte more than the walk saw: a file that grew fills it.
    const buf = scratch(0, file.size + 1);
    const len = onSideSync('read', src, () => readUpTo(input, buf));
    if (len !== file.size) throw changedError(src);
    const data = buf.subarray(0, len);
    const sha256 = createHash('sha256').update(data).digest('hex');
    onSideSync('write', dst, () => writeAll(fd, data));
    // The read-back must be byte for byte what was read (and hashed): a compare, not a second hash.
    const back = scratch(1, len + 1);
    const backLen = onSideSync('write', dst, () => readUpTo(fd, back));
    if (backLen !== file.size || !back.subarray(0, backLen).equals(data)) {
      throw new UserError(
        'verify-failed',
        `The copy of ${src} does not match the original (size ${backLen} of ${file.size}, or its bytes differ).`,
        'Check the share for disk or network errors, then run the copy again.',
        { path: dst },
      );
    }
    // Times last: reading the temp file back could otherwise move its atime.
    const after = onSideSync('write', dst, () => {
      fchmodSync(fd, file.mode);
      futimesSync(fd, file.atimeMs / 1000, file.mtimeMs / 1000);
      return fstatSync(fd);
    });
    closeSync(fd);
    out = undefined;
    assertUnchanged(src, input, file);
    onSideSync('write', dst, () => renameSync(tmpPath, target.dir.at(target.name)));
    return { sha256, targetMtimeMs: after.mtimeMs };
  } catch (err) {
    if (out !== undefined) closeSync(out);
    try {
      unlinkSync(tmpPath);
    } catch {
      // nothing was created, or it is gone already
    }
    throw err;
  } finally {
    closeSync(input);
  }
}

// Two buffers reused by every call: each call runs to its end without yielding, so no two calls share them.
const buffers: [Buffer, Buffer] = [Buffer.allocUnsafe(64 * 1024), Buffer.allocUnsafe(64 * 1024)];

/** Reusable buffer `i` of at least `size` bytes (grown, never shrunk: files here are below the large-file bound). */
function scratch(i: 0 | 1, size: number): Buffer {
  if (buffers[i].length < size) buffers[i] = Buffer.allocUnsafe(Math.max(size, buffers[i].length * 2));
  return buffers[i].subarray(0, size);
}

function openSource(src: string, file: WalkedFile): number {
  let fd: number;
  try {
    fd = openSync(src, READ_FLAGS);
  } catch (err) {
    throw (err as NodeJS.ErrnoException).code === 'ELOOP' ? changedError(src) : toCopyError(err, 'read', src);
  }
  const st = fstatSync(fd);
  if (!st.isFile() || !sameFile(st, file)) {
    closeSync(fd);
    throw changedError(src);
  }
  return fd;
}

/** Creates the temp file; a leftover of an interrupted run (possibly read-only) is removed first. */
function createTemp(tmpPath: string): number {
  try {
    return openSync(tmpPath, CREATE_FLAGS, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    unlinkSync(tmpPath);
    return openSync(tmpPath, CREATE_FLAGS, 0o600);
  }
}

function readUpTo(fd: number, buf: Buffer): number {
  let len = 0;
  for (;;) {
    const n = readSync(fd, buf, len, buf.length - len, len);
    len += n;
    if (n === 0 || len === buf.length) return len;
  }
}

function writeAll(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off, off);
}

/** The file read is still as the walk saw it, and still the one at its path. */
function assertUnchanged(src: string, input: number, file: WalkedFile): void {
  const now = onSideSync('read', src, () => fstatSync(input));
  const atPath = onSideSync('read', src, () => lstatSync(src));
  if (now.size !== file.size || now.mtimeMs !== file.mtimeMs || !sameFile(atPath, file)) throw changedError(src);
}
