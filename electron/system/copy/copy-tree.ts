/**
 * copyTree: copies a content folder to the share, in parallel, verifying every file by size and
 * SHA-256, keeping mode and times, and resumable through a journal of verified files.
 *
 * Decisions:
 * - Symlinks and special files are reported in `skippedEntries` and not copied: a link into the
 *   local data folder would dangle once that folder is removed, and SMB shares rarely allow them.
 * - Ownership and Windows ACLs are not copied: the share's permissions come from the share step.
 * - Directories keep their mode (plus owner write, so a rerun can still write into them) and times.
 * - The target root's own mode and times are left alone: several sources may fill one share folder.
 * - The target may belong to the service account, so nothing is written through a link there: each
 *   target folder is created and opened without following links, its dev/ino recorded, and every
 *   later use opens it again and must find the same folder (see no-follow.ts); a link is refused.
 */
import { lstatSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../../shared/errors.js';
import { onSide, toCopyError } from './copy-errors.js';
import { copyFileVerified, hashFile } from './copy-file.js';
import { copySmallFileSync } from './copy-small-file.js';
import { createTargetDirs, parentOf, setDirModesAndTimes } from './target-dirs.js';
import { JournalWriter, readJournal } from './journal.js';
import { DirPool } from './dir-pool.js';
import { DirHandle } from '../no-follow.js';
import { ProgressTracker } from './progress.js';
import type { CopiedFile, CopyOptions, CopyResult, JournalEntry } from './types.js';
import { walkTree } from './walk-tree.js';
import type { WalkedFile } from './walk-tree.js';
import { formatBytes } from '../../shared/format.js';

const DEFAULT_CONCURRENCY = 8;
const LARGE_CONCURRENCY = 2;
const DEFAULT_LARGE_FILE_BYTES = 1024 * 1024;

/** Copies `source` into `target` (see the module comment); a missing source is reported, not an error. */
export async function copyTree(opts: CopyOptions): Promise<CopyResult> {
  const started = performance.now();
  const source = path.resolve(opts.source);
  const target = path.resolve(opts.target);
  const signal = opts.signal;
  try {
    signal?.throwIfAborted();
    checkPaths(source, target, path.resolve(opts.journalPath));
    const srcStat = await onSide('read', source, () => lstat(source)).catch((err: unknown) => {
      if (err instanceof UserError && err.details?.errno === 'ENOENT') return undefined;
      throw err;
    });
    if (srcStat === undefined) return missingResult(source, target, performance.now() - started);
    if (srcStat.isSymbolicLink()) await DirHandle.open(source); // refused with the reason
    if (!srcStat.isDirectory()) {
      throw new UserError('invalid-input', `${source} is not a folder.`, 'Choose the content folder itself as the source.');
    }

    const tree = await onSide('read', source, () => walkTree(source));
    const walkMs = performance.now() - started;
    const journal = await readJournal(opts.journalPath, source, target);

    await checkFreeSpace(target, tree.files, journal);
    const targetDirs = await onSide('write', target, () => createTargetDirs(target, tree.dirs));
    const openTarget = (rel: string): Promise<DirHandle> => DirHandle.open(rel === '' ? target : path.join(target, rel), targetDirs.get(rel));

    const largeBytes = opts.largeFileBytes ?? DEFAULT_LARGE_FILE_BYTES;
    // Large files first so their streaming overlaps the many small files instead of trailing them.
    const order = [...tree.files].sort((a, b) => (b.size >= largeBytes ? b.size : 0) - (a.size >= largeBytes ? a.size : 0));
    const progress = new ProgressTracker(tree.files.length, tree.bytes, opts.onProgress);
    const hashes = new Map<string, string>();
    const writer = await onSide('write', opts.journalPath, () => JournalWriter.open(opts.journalPath, source, target));
    const perDir = new Map<string, number>();
    for (const f of order) perDir.set(parentOf(f.rel), (perDir.get(parentOf(f.rel)) ?? 0) + 1);
    const dirs = new DirPool(perDir, openTarget);
    let journalFailure: { err: unknown } | undefined;
    let filesCopied = 0;
    let bytesCopied = 0;
    const copyStarted = performance.now();
    try {
      let largeSlots = LARGE_CONCURRENCY;
      const largeWaiters: (() => void)[] = [];
      const acquireLarge = async (): Promise<void> => {
        if (largeSlots > 0) {
          largeSlots--;
          return;
        }
        await new Promise<void>((resolve) => largeWaiters.push(resolve));
      };
      const releaseLarge = (): void => {
        const next = largeWaiters.shift();
        if (next) next();
        else largeSlots++;
      };

      const processFile = async (file: WalkedFile): Promise<void> => {
        try {
          await copyOrSkip(file);
        } finally {
          await dirs.done(parentOf(file.rel));
        }
      };
      const copyOrSkip = async (file: WalkedFile): Promise<void> => {
        const dst = path.join(target, file.rel);
        const done = journal.get(file.rel);
        if (done && (await isFinished(file, dst, done, opts.rehashFinished ?? false))) {
          hashes.set(file.rel, done.sha256);
          progress.skipped(file.rel, file.size);
          return;
        }
        const large = file.size >= largeBytes;
        if (large) await acquireLarge();
        try {
          const dir = await dirs.get(parentOf(file.rel));
          const to = { dir, name: path.posix.basename(file.rel), path: dst };
          const src = path.join(source, file.rel);
          const { sha256, targetMtimeMs } = large
            ? await copyFileVerified(src, to, file, { ...(signal ? { signal } : {}), onBytes: (n) => progress.partial(file.rel, n) })
            : copySmallFileSync(src, to, file);
          // Not awaited: workers go on while lines gather into the next batched write (close() waits).
          writer.record({ path: file.rel, size: file.size, mtimeMs: file.mtimeMs, sha256, targetMtimeMs }).catch((err: unknown) => {
            journalFailure ??= { err };
          });
          hashes.set(file.rel, sha256);
          filesCopied++;
          bytesCopied += file.size;
          progress.copied(file.rel, file.size);
        } finally {
          if (large) releaseLarge();
        }
      };

      let next = 0;
      let failure: { err: unknown } | undefined;
      const worker = async (): Promise<void> => {
        while (failure === undefined && !signal?.aborted) {
          const file = order[next++];
          if (file === undefined) return;
          try {
            await processFile(file);
          } catch (err) {
            failure ??= { err };
          }
        }
      };
      const concurrency = Math.max(1, Math.floor(opts.concurrency ?? DEFAULT_CONCURRENCY));
      await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, order.length)) }, worker));
      signal?.throwIfAborted();
      if (failure) throw failure.err;
    } finally {
      await dirs.closeAll();
      await writer.close();
    }
    if (journalFailure) throw toCopyError(journalFailure.err, 'write', opts.journalPath);

    await setDirModesAndTimes(target, tree.dirs, targetDirs);
    progress.finish();
    const end = performance.now();
    const files: CopiedFile[] = tree.files
      .map((f) => ({ path: f.rel, size: f.size, sha256: hashes.get(f.rel) ?? '' }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return {
      source,
      target,
      sourceMissing: false,
      filesTotal: tree.files.length,
      filesCopied,
      filesSkipped: tree.files.length - filesCopied,
      bytesTotal: tree.bytes,
      bytesCopied,
      dirs: tree.dirs.length,
      skippedEntries: tree.skipped,
      durationMs: { total: end - started, walk: walkMs, copy: end - copyStarted },
      files,
    };
  } catch (err) {
    if (signal?.aborted) {
      throw new UserError('cancelled', `The copy of ${source} was cancelled.`, 'Run it again to continue: files already copied and verified are not copied again.');
    }
    throw err;
  }
}

/** True when the journal's verified copy is still in place (and, if asked, still hashes the same). */
async function isFinished(file: WalkedFile, dst: string, done: JournalEntry, rehash: boolean): Promise<boolean> {
  if (done.size !== file.size || done.mtimeMs !== file.mtimeMs) return false; // the source changed since
  let st: Stats | undefined;
  try {
    st = lstatSync(dst); // synchronous: a resume checks every file, and this is all it does for most
  } catch {
    st = undefined;
  }
  if (!st || !st.isFile() || st.size !== done.size || st.mtimeMs !== done.targetMtimeMs) return false;
  if (!rehash) return true;
  const h = await hashFile(dst).catch(() => undefined);
  return h !== undefined && h.size === done.size && h.sha256 === done.sha256;
}

function checkPaths(source: string, target: string, journal: string): void {
  const inside = (child: string, parent: string) => child === parent || child.startsWith(parent + path.sep);
  if (inside(target, source) || inside(source, target)) {
    throw new UserError('invalid-input', `Cannot copy ${source} to ${target}: one folder contains the other.`, 'Choose a target outside the source folder.');
  }
  if (inside(journal, source) || inside(journal, target)) {
    throw new UserError('invalid-input', `The copy journal ${journal} must not be inside the source or the target.`, "Keep the journal in spsetup's state folder.");
  }
}

async function checkFreeSpace(target: string, files: readonly WalkedFile[], journal: ReadonlyMap<string, JournalEntry>): Promise<void> {
  let needed = 0;
  for (const f of files) {
    const j = journal.get(f.rel);
    if (!j || j.size !== f.size || j.mtimeMs !== f.mtimeMs) needed += f.size;
  }
  if (needed === 0) return;
  const fsStat = await statfs(await nearestExisting(target)).catch(() => undefined);
  if (!fsStat) return; // not every file system reports space; the copy reports ENOSPC itself
  const free = fsStat.bavail * fsStat.bsize;
  if (free < needed) {
    throw new UserError(
      'apply-failed',
      `Not enough space on ${target}: the copy needs ${formatBytes(needed)}, ${formatBytes(free)} is free.`,
      `Free at least ${formatBytes(needed - free)} on the share (or choose a larger one), then run the copy again.`,
      { path: target, neededBytes: needed, freeBytes: free },
    );
  }
}

/** The target itself or its closest existing parent (the target may not exist yet). */
async function nearestExisting(p: string): Promise<string> {
  for (let dir = p; ; dir = path.dirname(dir)) {
    if (await stat(dir).then(() => true, () => false)) return dir;
    if (path.dirname(dir) === dir) return dir;
  }
}


function missingResult(source: string, target: string, ms: number): CopyResult {
  return {
    source,
    target,
    sourceMissing: true,
    filesTotal: 0,
    filesCopied: 0,
    filesSkipped: 0,
    bytesTotal: 0,
    bytesCopied: 0,
    dirs: 0,
    skippedEntries: [],
    durationMs: { total: ms, walk: ms, copy: 0 },
    files: [],
  };
}
