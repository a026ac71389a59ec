/** Types of the content copy engine (copyTree). */

/** One file in the resumable journal: written only after the target was verified and renamed. */
export interface JournalEntry {
  /** Relative to the source and target roots, always with '/' separators. */
  readonly path: string;
  readonly size: number;
  /** The source's mtime when it was copied (the target gets the same). */
  readonly mtimeMs: number;
  readonly sha256: string;
  /** The target's mtime as the target file system stored it (shares may round it). */
  readonly targetMtimeMs: number;
}

export interface CopyProgress {
  readonly kind: 'copy-progress';
  readonly filesDone: number;
  readonly filesTotal: number;
  /** Files found finished in the journal and not copied again (included in filesDone). */
  readonly filesSkipped: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** Moving average of the copy rate (bytes verified per second); 0 until measured. */
  readonly bytesPerSecond: number;
  /** Estimated time left in ms; undefined until the rate is known. */
  readonly etaMs: number | undefined;
  /** Relative path of the last finished file. */
  readonly currentFile?: string;
}

export interface CopyOptions {
  readonly source: string;
  readonly target: string;
  /** JSON lines file of verified files; reused to resume an interrupted copy. */
  readonly journalPath: string;
  /** Files copied at the same time (default 8); large files are further limited to 2 at a time. */
  readonly concurrency?: number;
  readonly onProgress?: (p: CopyProgress) => void;
  readonly signal?: AbortSignal;
  /** Re-hash targets the journal says are finished instead of trusting size and mtime (slower). */
  readonly rehashFinished?: boolean;
  /** Files at least this big are streamed in chunks (default 1 MiB); smaller ones are read whole. */
  readonly largeFileBytes?: number;
}

/** An entry that was not copied because it is not a regular file or directory. */
export interface SkippedEntry {
  readonly path: string;
  readonly kind: 'symlink' | 'other';
  /** For a symlink: where it points. */
  readonly linkTarget?: string;
}

export interface CopiedFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

export interface CopyResult {
  readonly source: string;
  readonly target: string;
  /** The source folder does not exist: nothing was copied (the guide: the product creates folders when needed). */
  readonly sourceMissing: boolean;
  readonly filesTotal: number;
  /** Files copied and verified in this run. */
  readonly filesCopied: number;
  /** Files the journal showed finished and still intact: not copied again. */
  readonly filesSkipped: number;
  readonly bytesTotal: number;
  readonly bytesCopied: number;
  readonly dirs: number;
  /** Symlinks and special files: reported, not copied. */
  readonly skippedEntries: readonly SkippedEntry[];
  readonly durationMs: { readonly total: number; readonly walk: number; readonly copy: number };
  /** Every file of the tree (copied or skipped) with its SHA-256, sorted by path. */
  readonly files: readonly CopiedFile[];
}
