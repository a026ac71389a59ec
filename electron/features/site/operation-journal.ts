/**
 * The node's own record of the site operations it ran (JSON lines, never a secret): what lets a
 * restarted agent finish an interrupted operation or report one it finished, and never run one twice.
 */
import type { Files } from '../../system/types.js';

export interface JournalEntry {
  readonly id: string;
  readonly kind: string;
  readonly state: 'running' | 'done' | 'failed' | 'expired';
  readonly message: string;
  readonly at?: string;
}

export class OperationJournal {
  private readonly path: string;

  constructor(
    private readonly files: Files,
    private readonly dir: string,
  ) {
    this.path = `${dir}/operations.jsonl`;
  }

  private async entries(): Promise<JournalEntry[]> {
    const text = (await this.files.readText(this.path)) ?? '';
    const out: JournalEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as JournalEntry);
      } catch {
        // a torn last line from a kill: the entry before it still stands
      }
    }
    return out;
  }

  /** The newest entry of an operation. */
  async last(id: string): Promise<JournalEntry | undefined> {
    return (await this.entries()).filter((e) => e.id === id).at(-1);
  }

  /** The newest state of an operation on this node, if it ever started here. */
  async lastState(id: string): Promise<JournalEntry['state'] | undefined> {
    return (await this.last(id))?.state;
  }

  /** Adds an entry (rewritten atomically: the file stays small, one line per step of an operation). */
  async append(entry: JournalEntry): Promise<void> {
    const text = (await this.files.readText(this.path)) ?? '';
    await this.files.ensureDir(this.dir, { mode: 0o700 });
    await this.files.writeAtomic(this.path, `${text}${JSON.stringify({ ...entry, at: new Date().toISOString() })}\n`, { mode: 0o600 });
  }
}
