/**
 * The resumable copy journal: JSON lines, a header naming source and target, then one line per
 * verified file. Lines that arrive while a write is under way go out together in the next write
 * (one syscall per batch, not per file); a line cut short by a crash is ignored.
 */
import { open, readFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../../shared/errors.js';
import type { JournalEntry } from './types.js';

export const JOURNAL_VERSION = 1;

interface JournalHeader {
  readonly kind: 'copy-journal';
  readonly version: number;
  readonly source: string;
  readonly target: string;
}

/** Reads the finished files of a journal (last entry per path wins); empty when there is none. */
export async function readJournal(journalPath: string, source: string, target: string): Promise<Map<string, JournalEntry>> {
  let text: string;
  try {
    text = await readFile(journalPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw err;
  }
  const entries = new Map<string, JournalEntry>();
  const lines = text.split('\n');
  let headerSeen = false;
  for (const line of lines) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue; // a line cut short by a crash: that file is copied again
    }
    if (!headerSeen) {
      const h = value as Partial<JournalHeader>;
      if (h.kind !== 'copy-journal' || h.version !== JOURNAL_VERSION) {
        throw new UserError('conflict', `${journalPath} is not a copy journal of this version.`, 'Delete it or choose another journal path, then run again.');
      }
      if (h.source !== path.resolve(source) || h.target !== path.resolve(target)) {
        throw new UserError(
          'conflict',
          `The copy journal ${journalPath} belongs to a copy from ${String(h.source)} to ${String(h.target)}.`,
          'Use one journal per copy: choose another journal path, or delete this one to start over.',
        );
      }
      headerSeen = true;
      continue;
    }
    if (isEntry(value)) entries.set(value.path, value);
  }
  return entries;
}

function isEntry(v: unknown): v is JournalEntry {
  const e = v as Partial<JournalEntry> | null;
  return (
    typeof e === 'object' && e !== null &&
    typeof e.path === 'string' && typeof e.size === 'number' && typeof e.mtimeMs === 'number' &&
    typeof e.sha256 === 'string' && /^[0-9a-f]{64}$/.test(e.sha256) && typeof e.targetMtimeMs === 'number'
  );
}

/** An open journal; appends are serialised and batched so lines never interleave. */
export class JournalWriter {
  private pending: string[] = [];
  private waiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private constructor(private readonly fh: FileHandle) {}

  /** Opens (creating it with its header when new) the journal for appending. */
  static async open(journalPath: string, source: string, target: string): Promise<JournalWriter> {
    const fh = await open(journalPath, 'a', 0o600);
    const { size } = await fh.stat();
    const writer = new JournalWriter(fh);
    if (size === 0) {
      const header: JournalHeader = { kind: 'copy-journal', version: JOURNAL_VERSION, source: path.resolve(source), target: path.resolve(target) };
      await writer.append(header);
    } else {
      // Start on a fresh line in case the last write was cut short.
      await writer.append(undefined);
    }
    return writer;
  }

  /** Records one verified file; resolves once its line is written. */
  record(entry: JournalEntry): Promise<void> {
    return this.append(entry);
  }

  private append(value: unknown): Promise<void> {
    this.pending.push(value === undefined ? '\n' : `${JSON.stringify(value)}\n`);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.flushing ??= this.drain();
    return done;
  }

  /** Writes whatever is pending, batch after batch, until nothing is left. */
  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const data = Buffer.from(this.pending.join(''));
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      try {
        for (let off = 0; off < data.length; ) off += (await this.fh.write(data, off, data.length - off)).bytesWritten;
        for (const w of waiters) w.resolve();
      } catch (err) {
        for (const w of waiters) w.reject(err);
      }
    }
    this.flushing = undefined;
  }

  async close(): Promise<void> {
    await this.flushing;
    await this.fh.close();
  }
}
