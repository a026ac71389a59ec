/** Copy progress with a time-left estimate from an exponential moving average of the rate. */
import type { CopyProgress } from './types.js';

const SAMPLE_MS = 250;
/** Weight of the newest sample: about the last 2-3 seconds dominate the estimate. */
const ALPHA = 0.1;

export class ProgressTracker {
  private filesDone = 0;
  private filesSkipped = 0;
  private bytesDone = 0;
  /** Bytes of files in flight (streamed large files report as they go). */
  private readonly inFlight = new Map<string, number>();
  private rate = 0;
  private lastSampleAt: number;
  private lastSampleBytes = 0;
  private lastEmitAt = 0;

  constructor(
    private readonly filesTotal: number,
    private readonly bytesTotal: number,
    private readonly emit: ((p: CopyProgress) => void) | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.lastSampleAt = this.now();
  }

  /** A file found finished in the journal. */
  skipped(path: string, size: number): void {
    this.filesSkipped++;
    this.filesDone++;
    this.bytesDone += size;
    // Skipped bytes are not copy work: keep them out of the rate.
    this.lastSampleBytes += size;
    this.maybeEmit(path);
  }

  /** Bytes written so far of a file being streamed. */
  partial(path: string, bytes: number): void {
    this.inFlight.set(path, bytes);
    this.maybeEmit(undefined);
  }

  /** A file copied and verified. */
  copied(path: string, size: number): void {
    this.inFlight.delete(path);
    this.filesDone++;
    this.bytesDone += size;
    this.maybeEmit(path);
  }

  /** The current figures. */
  snapshot(currentFile?: string): CopyProgress {
    const done = this.doneBytes();
    const left = this.bytesTotal - done;
    const etaMs = left <= 0 ? 0 : this.rate > 0 ? (left / this.rate) * 1000 : undefined;
    const base = {
      kind: 'copy-progress' as const,
      filesDone: this.filesDone,
      filesTotal: this.filesTotal,
      filesSkipped: this.filesSkipped,
      bytesDone: done,
      bytesTotal: this.bytesTotal,
      bytesPerSecond: Math.round(this.rate),
      etaMs: etaMs === undefined ? undefined : Math.round(etaMs),
    };
    return currentFile === undefined ? base : { ...base, currentFile };
  }

  /** Emits the final figures whatever the throttle says. */
  finish(): void {
    this.sample();
    this.emit?.(this.snapshot());
  }

  private doneBytes(): number {
    let n = this.bytesDone;
    for (const b of this.inFlight.values()) n += b;
    return n;
  }

  private sample(): void {
    const t = this.now();
    const dt = t - this.lastSampleAt;
    if (dt < SAMPLE_MS) return;
    const bytes = this.doneBytes();
    const instant = ((bytes - this.lastSampleBytes) * 1000) / dt;
    this.rate = this.rate === 0 ? instant : ALPHA * instant + (1 - ALPHA) * this.rate;
    this.lastSampleAt = t;
    this.lastSampleBytes = bytes;
  }

  private maybeEmit(currentFile: string | undefined): void {
    this.sample();
    if (!this.emit) return;
    const t = this.now();
    if (t - this.lastEmitAt < 100) return;
    this.lastEmitAt = t;
    this.emit(this.snapshot(currentFile));
  }
}
