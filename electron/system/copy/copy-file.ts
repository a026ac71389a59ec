/**
 * Copies one large file in chunks (small files: copy-small-file.ts): hashes the source while
 * reading it, writes a temp file beside the target, reads each chunk back and compares it with
 * what was read, sets mode and times, then renames it into place. A target that
 * exists under its real name is therefore always complete and verified.
 *
 * Root may run this in folders other accounts can change, so: the source is opened without
 * following a link and read only from the handle whose dev/ino the walk saw; the temp file is
 * created O_EXCL|O_NOFOLLOW inside the target folder's handle; mode and times go to the handle.
 */
import { createHash } from 'node:crypto';
import { copyFile, lstat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { UserError } from '../../shared/errors.js';
import { onSide } from './copy-errors.js';
import { DIRS_BY_HANDLE, openNoFollow, sameFile } from '../no-follow.js';
import type { DirHandle } from '../no-follow.js';
import type { WalkedFile } from './walk-tree.js';

/** Suffix of the temp file a copy writes before renaming it into place. */
export const PARTIAL_SUFFIX = '.spsetup-partial';
// 4 MiB: fewer thread-pool round trips per file than 1 MiB, still small beside the machine's memory.
const CHUNK = 4 * 1024 * 1024;

export interface CopyFileOptions {
  readonly signal?: AbortSignal;
  /** Called with the bytes written so far for progress. */
  readonly onBytes?: (n: number) => void;
}

export interface CopyFileResult {
  readonly sha256: string;
  readonly targetMtimeMs: number;
}

/** Where a file is copied to: a name inside an open target folder. */
export interface CopyTarget {
  readonly dir: DirHandle;
  readonly name: string;
  /** The full path, for messages. */
  readonly path: string;
}

/** Copies and verifies `src` to `dst`; throws UserError on failure and leaves no temp file behind. */
export async function copyFileVerified(src: string, target: CopyTarget, file: WalkedFile, opts: CopyFileOptions): Promise<CopyFileResult> {
  const dst = target.path;
  const tmp = target.name + PARTIAL_SUFFIX;
  const input = await openSource(src, file);
  let out: FileHandle | undefined;
  try {
    out = await onSide('write', dst, () => createTemp(target.dir, tmp));
    const sha256 = DIRS_BY_HANDLE ? await kernelCopy(src, dst, input, out, file, opts) : await streamCopy(src, dst, input, out, file, opts);
    opts.signal?.throwIfAborted();
    // Times last: reading the temp file back could otherwise move its atime.
    await onSide('write', dst, async () => {
      await out!.chmod(file.mode);
      await out!.utimes(file.atimeMs / 1000, file.mtimeMs / 1000);
    });
    const after = await onSide('write', dst, () => out!.stat());
    await out.close();
    out = undefined;
    await assertUnchanged(src, input, file);
    await onSide('write', dst, () => target.dir.rename(tmp, target.name));
    return { sha256, targetMtimeMs: after.mtimeMs };
  } catch (err) {
    await out?.close().catch(() => undefined);
    await target.dir.unlink(tmp).catch(() => undefined);
    throw err;
  } finally {
    await input.close();
  }
}

/** Creates the temp file; a leftover of an interrupted run (possibly read-only) is removed first. */
async function createTemp(dir: DirHandle, tmp: string): Promise<FileHandle> {
  try {
    return await dir.createFile(tmp, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    await dir.unlink(tmp);
    return dir.createFile(tmp, 0o600);
  }
}

/** Opens the source without following a link; it must be the very file the walk listed. */
async function openSource(src: string, file: WalkedFile): Promise<FileHandle> {
  const input = await onSide('read', src, () => openNoFollow(src)).catch((err: unknown) => {
    throw err instanceof UserError && err.details?.errno === 'ELOOP' ? changedError(src) : err;
  });
  const st = await input.stat();
  if (!st.isFile() || !sameFile(st, file)) {
    await input.close();
    throw changedError(src);
  }
  return input;
}

/**
 * Reads, hashes, writes and reads back chunk by chunk: each chunk read back must equal what was
 * read and hashed, so the temp file is verified without a second pass or a second hash.
 */
async function streamCopy(src: string, dst: string, input: FileHandle, out: FileHandle, file: WalkedFile, opts: CopyFileOptions): Promise<string> {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  const back = Buffer.allocUnsafe(CHUNK);
  let pos = 0;
  for (;;) {
    opts.signal?.throwIfAborted();
    const { bytesRead } = await onSide('read', src, () => input.read(buf, 0, CHUNK, pos));
    if (bytesRead === 0) break;
    const chunk = buf.subarray(0, bytesRead);
    hash.update(chunk);
    await onSide('write', dst, () => writeAll(out, chunk, pos));
    const readBack = await onSide('write', dst, () => readFull(out, back, bytesRead, pos));
    if (!back.subarray(0, readBack).equals(chunk)) throw notMatching(src, dst, pos + readBack, file.size);
    pos += bytesRead;
    opts.onBytes?.(pos);
  }
  if (pos !== file.size) throw changedError(src);
  // Nothing past the end either (a temp file only this copy writes, but a read costs little).
  const { bytesRead: extra } = await onSide('write', dst, () => out.read(back, 0, 1, pos));
  if (extra !== 0) throw notMatching(src, dst, pos + extra, file.size);
  return hash.digest('hex');
}

/**
 * Linux: the kernel copies (copy_file_range, a reflink where the file system has them) from our
 * verified source descriptor into our temp file's descriptor: copyFile opens both through
 * /proc/self/fd, which reaches the open files themselves, never a name another account could swap.
 * Then one pass reads source and copy side by side: the source is hashed, the copy must equal it
 * byte for byte. The source is read twice (the kernel's copy, our hash), both from the page cache
 * for files this size; in exchange no byte is copied through this process.
 */
async function kernelCopy(src: string, dst: string, input: FileHandle, out: FileHandle, file: WalkedFile, opts: CopyFileOptions): Promise<string> {
  await onSide('write', dst, () => copyFile(`/proc/self/fd/${input.fd}`, `/proc/self/fd/${out.fd}`));
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  const back = Buffer.allocUnsafe(CHUNK);
  let pos = 0;
  for (;;) {
    opts.signal?.throwIfAborted();
    const [got, copied] = await Promise.all([onSide('read', src, () => readFull(input, buf, CHUNK, pos)), onSide('write', dst, () => readFull(out, back, CHUNK, pos))]);
    const chunk = buf.subarray(0, got);
    hash.update(chunk);
    if (copied !== got || !back.subarray(0, copied).equals(chunk)) {
      // A source that changed under the copy is the likelier cause, and its message says what to do.
      const now = await onSide('read', src, () => input.stat());
      if (now.size !== file.size || now.mtimeMs !== file.mtimeMs) throw changedError(src);
      throw notMatching(src, dst, pos + copied, file.size);
    }
    if (got === 0) break;
    pos += got;
    opts.onBytes?.(pos);
  }
  if (pos !== file.size) throw changedError(src);
  return hash.digest('hex');
}

/** Reads up to `len` bytes at `pos` (a read may be short); fewer only at the end of the file. */
async function readFull(fh: FileHandle, buf: Buffer, len: number, pos: number): Promise<number> {
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, pos + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

function notMatching(src: string, dst: string, size: number, expected: number): UserError {
  return new UserError(
    'verify-failed',
    `The copy of ${src} does not match the original (size ${size} of ${expected}, or its bytes differ).`,
    'Check the share for disk or network errors, then run the copy again.',
    { path: dst },
  );
}

/** Writes all of `buf` at `pos` (a write may be short). */
async function writeAll(out: FileHandle, buf: Buffer, pos: number): Promise<void> {
  for (let off = 0; off < buf.length; ) off += (await out.write(buf, off, buf.length - off, pos + off)).bytesWritten;
}

async function hashHandleStreamed(fh: FileHandle, _expected: number, signal?: AbortSignal): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  let pos = 0;
  for (;;) {
    signal?.throwIfAborted();
    const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
    if (bytesRead === 0) break;
    hash.update(buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
  return { size: pos, sha256: hash.digest('hex') };
}

/** SHA-256 and size of a file on disk (used to re-check finished targets); a link is refused. */
export async function hashFile(filePath: string): Promise<{ size: number; sha256: string }> {
  const fh = await openNoFollow(filePath);
  try {
    return await hashHandleStreamed(fh, 0);
  } finally {
    await fh.close();
  }
}

/** The file read is still as the walk saw it, and still the one at its path. */
async function assertUnchanged(src: string, input: FileHandle, file: WalkedFile): Promise<void> {
  const now = await onSide('read', src, () => input.stat());
  const atPath = await onSide('read', src, () => lstat(src));
  if (now.size !== file.size || now.mtimeMs !== file.mtimeMs || !sameFile(atPath, file)) throw changedError(src);
}

/** The error for a source that changed during its copy. */
export function changedError(src: string): UserError {
  return new UserError(
    'conflict',
    `${src} changed while it was being copied.`,
    "Stop the product's services so that content does not change during the copy, then run it again. Files already copied and verified are not copied again.",
    { path: src },
  );
}
