/**
 * Copies one file: hashes the source while reading it, writes a temp file beside the target,
 * re-hashes what was written, sets mode and times, then renames it into place. A target that
 * exists under its real name is therefore always complete and verified.
 *
 * Root may run this in folders other accounts can change, so: the source is opened without
 * following a link and read only from the handle whose dev/ino the walk saw; the temp file is
 * created O_EXCL|O_NOFOLLOW inside the target folder's handle; mode and times go to the handle.
 */
import { createHash } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { UserError } from '../../shared/errors.js';
import { onSide } from './copy-errors.js';
import { openNoFollow, sameFile } from '../no-follow.js';
import type { DirHandle } from '../no-follow.js';
import type { WalkedFile } from './walk-tree.js';

/** Suffix of the temp file a copy writes before renaming it into place. */
export const PARTIAL_SUFFIX = '.spsetup-partial';
const CHUNK = 1024 * 1024;

export interface CopyFileOptions {
  readonly signal?: AbortSignal;
  /** Stream in chunks (large files) instead of reading the whole file. */
  readonly stream: boolean;
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
  await target.dir.unlink(tmp).catch(() => undefined); // a leftover of an interrupted run, possibly read-only
  const input = await openSource(src, file);
  let out: FileHandle | undefined;
  try {
    out = await onSide('write', dst, () => target.dir.createFile(tmp, 0o600));
    const sha256 = opts.stream ? await streamCopy(src, input, out, file, opts) : await wholeCopy(src, input, out, file);
    opts.signal?.throwIfAborted();
    const written = opts.stream ? await hashHandleStreamed(out, file.size, opts.signal) : await hashHandleWhole(out, file.size);
    if (written.size !== file.size || written.sha256 !== sha256) {
      throw new UserError(
        'verify-failed',
        `The copy of ${src} does not match the original (size ${written.size} of ${file.size}, or SHA-256 differs).`,
        'Check the share for disk or network errors, then run the copy again.',
        { path: dst },
      );
    }
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

async function wholeCopy(src: string, input: FileHandle, out: FileHandle, file: WalkedFile): Promise<string> {
  const buf = await onSide('read', src, () => input.readFile());
  if (buf.length !== file.size) throw changedError(src);
  await onSide('write', src, () => out.write(buf, 0, buf.length, 0));
  return createHash('sha256').update(buf).digest('hex');
}

async function streamCopy(src: string, input: FileHandle, out: FileHandle, file: WalkedFile, opts: CopyFileOptions): Promise<string> {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  let pos = 0;
  for (;;) {
    opts.signal?.throwIfAborted();
    const { bytesRead } = await onSide('read', src, () => input.read(buf, 0, CHUNK, pos));
    if (bytesRead === 0) break;
    hash.update(buf.subarray(0, bytesRead));
    await onSide('write', src, () => out.write(buf, 0, bytesRead, pos));
    pos += bytesRead;
    opts.onBytes?.(pos);
  }
  if (pos !== file.size) throw changedError(src);
  return hash.digest('hex');
}

async function hashHandleWhole(fh: FileHandle, expected: number): Promise<{ size: number; sha256: string }> {
  const buf = Buffer.allocUnsafe(expected + 1); // one extra byte reveals a longer file
  const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
  return { size: bytesRead, sha256: createHash('sha256').update(buf.subarray(0, bytesRead)).digest('hex') };
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

function changedError(src: string): UserError {
  return new UserError(
    'conflict',
    `${src} changed while it was being copied.`,
    "Stop the product's services so that content does not change during the copy, then run it again. Files already copied and verified are not copied again.",
    { path: src },
  );
}
