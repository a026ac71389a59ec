/**
 * Copying content folders with the copy engine, shared by the backup and the copy to the share:
 * every file verified by size and SHA-256, resumable through one journal per folder, progress
 * in bytes and files with the time left, a missing source folder skipped and reported.
 */
import { createHash } from 'node:crypto';
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../../shared/errors.js';
import type { StepContext } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { copyTree, walkTree, type CopyProgress } from '../../../system/copy/index.js';
import { formatBytes, formatDuration } from '../../../shared/format.js';

export interface FolderCopy {
  readonly id: string;
  readonly label: string;
  readonly source: string;
  readonly target: string;
}

export interface FolderSurvey {
  readonly id: string;
  readonly present: boolean;
  readonly files: number;
  readonly bytes: number;
}

/** Files and bytes in each source folder (a missing folder is reported, not an error). */
export async function surveyFolders(folders: readonly FolderCopy[]): Promise<FolderSurvey[]> {
  const out: FolderSurvey[] = [];
  for (const f of folders) {
    if (!(await lstat(f.source).catch(() => undefined))?.isDirectory()) {
      out.push({ id: f.id, present: false, files: 0, bytes: 0 });
      continue;
    }
    const tree = await walkTree(f.source);
    out.push({ id: f.id, present: true, files: tree.files.length, bytes: tree.files.reduce((n, x) => n + x.size, 0) });
  }
  return out;
}

/** What the copy will do, in one line: counts, bytes, skipped folders. */
export function describeSurvey(folders: readonly FolderCopy[], survey: readonly FolderSurvey[]): string {
  const present = survey.filter((s) => s.present);
  const files = present.reduce((n, s) => n + s.files, 0);
  const bytes = present.reduce((n, s) => n + s.bytes, 0);
  const missing = survey.filter((s) => !s.present).map((s) => folders.find((f) => f.id === s.id)?.label ?? s.id);
  return `${files} file(s), ${formatBytes(bytes)} from ${present.length} folder(s)${missing.length ? `; not present, skipped: ${missing.join(', ')}` : ''}`;
}

/** One verified file of a finished copy. */
export interface VerifiedFile {
  readonly folder: string;
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

export interface CopyManifest {
  readonly files: readonly VerifiedFile[];
  readonly skippedFolders: readonly string[];
  readonly bytes: number;
}

/** Copies the folders in order with aggregated progress; returns the manifest of verified files. */
export async function copyFolders(folders: readonly FolderCopy[], journalDir: string, ctx: StepContext<System>): Promise<CopyManifest> {
  const survey = await surveyFolders(folders);
  const bytesTotal = survey.reduce((n, s) => n + s.bytes, 0);
  const filesTotal = survey.reduce((n, s) => n + s.files, 0);
  await ctx.sys.files.ensureDir(journalDir, { mode: 0o700 });
  const files: VerifiedFile[] = [];
  const skippedFolders: string[] = [];
  let bytesBefore = 0;
  let filesBefore = 0;
  let copied = 0;
  let skipped = 0;
  let lastReport = 0;
  for (const [i, folder] of folders.entries()) {
    if (!survey[i]?.present) {
      skippedFolders.push(folder.id);
      ctx.log(`${folder.label}: ${folder.source} does not exist; skipped (the product creates it when needed).`, 'warn');
      continue;
    }
    const onProgress = (p: CopyProgress) => {
      const now = Date.now();
      if (now - lastReport < 250 && p.filesDone < p.filesTotal) return;
      lastReport = now;
      const done = bytesBefore + p.bytesDone;
      const eta = p.bytesPerSecond > 0 ? ((bytesTotal - done) / p.bytesPerSecond) * 1000 : undefined;
      ctx.progress(
        bytesTotal ? (done / bytesTotal) * 100 : 100,
        `${formatBytes(done)} of ${formatBytes(bytesTotal)}, ${filesBefore + p.filesDone}/${filesTotal} files${eta === undefined ? '' : `, ${formatDuration(eta)} left`} (${folder.label})`,
      );
    };
    const journalPath = join(journalDir, `${folder.id.replace(/[^A-Za-z0-9-]+/g, '_')}.jsonl`);
    const result = await copyTree({ source: folder.source, target: folder.target, journalPath, signal: ctx.signal, onProgress });
    if (ctx.signal.aborted) throw new UserError('cancelled', 'The copy was cancelled.', 'Run the migration again to continue where it stopped.');
    for (const s of result.skippedEntries) ctx.log(`Not copied: ${folder.label} ${s.path} (${s.kind})`, 'warn');
    for (const f of result.files) files.push({ folder: folder.id, path: f.path, size: f.size, sha256: f.sha256 });
    copied += result.filesCopied;
    skipped += result.filesSkipped;
    bytesBefore += survey[i]?.bytes ?? 0;
    filesBefore += survey[i]?.files ?? 0;
  }
  ctx.log(`Copied and verified ${copied} file(s); ${skipped} already copied and verified before were not copied again.`);
  return { files, skippedFolders, bytes: bytesTotal };
}

/** Writes a manifest with a digest of itself, so a damaged one is noticed. */
export async function writeManifest(ctx: StepContext<System>, path: string, manifest: CopyManifest): Promise<void> {
  const body = JSON.stringify(manifest);
  const digest = createHash('sha256').update(body).digest('hex');
  await ctx.sys.files.writeAtomic(path, JSON.stringify({ digest, manifest }), { mode: 0o600 });
}

/** Reads a manifest written by writeManifest; undefined when missing or damaged. */
export async function readManifest(path: string): Promise<CopyManifest | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  try {
    const { digest, manifest } = JSON.parse(text) as { digest: string; manifest: CopyManifest };
    return createHash('sha256').update(JSON.stringify(manifest)).digest('hex') === digest ? manifest : undefined;
  } catch {
    return undefined;
  }
}

/** Files of the manifest that are missing or of another size in the target folders. */
export async function missingFiles(folders: readonly FolderCopy[], manifest: CopyManifest): Promise<string[]> {
  const targets = new Map(folders.map((f) => [f.id, f.target]));
  const out: string[] = [];
  for (const f of manifest.files) {
    const target = targets.get(f.folder);
    const st = target ? await lstat(join(target, f.path)).catch(() => undefined) : undefined;
    if (!st || st.size !== f.size) out.push(`${f.folder}/${f.path}`);
  }
  return out;
}

/** True when the manifest covers exactly the sources' present files (nothing added since). */
export async function manifestCoversSources(folders: readonly FolderCopy[], manifest: CopyManifest): Promise<boolean> {
  const survey = await surveyFolders(folders);
  for (const s of survey) {
    const n = manifest.files.filter((f) => f.folder === s.id).length;
    if (n !== s.files) return false;
  }
  return true;
}
