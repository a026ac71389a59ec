/**
 * Target folders held open for the files still to be copied into them: each folder is opened (and
 * its identity checked) once, not once per file, and closed when its last file is done. Holding the
 * handle is at least as safe as opening it again: names keep resolving through the checked folder.
 */
import type { DirHandle } from '../no-follow.js';

export class DirPool {
  private readonly open = new Map<string, Promise<DirHandle>>();
  private readonly left: Map<string, number>;

  /** `counts`: how many files each folder (by relative path) will be asked for. */
  constructor(
    counts: ReadonlyMap<string, number>,
    private readonly opener: (rel: string) => Promise<DirHandle>,
  ) {
    this.left = new Map(counts);
  }

  /** The open folder `rel`, opened on first use. */
  get(rel: string): Promise<DirHandle> {
    let dir = this.open.get(rel);
    if (!dir) {
      dir = this.opener(rel);
      this.open.set(rel, dir);
    }
    return dir;
  }

  /** One file of `rel` is done; the last one closes the folder. */
  async done(rel: string): Promise<void> {
    const n = (this.left.get(rel) ?? 1) - 1;
    this.left.set(rel, n);
    if (n > 0) return;
    const dir = this.open.get(rel);
    this.open.delete(rel);
    await dir?.then((d) => d.close(), () => undefined);
  }

  /** Closes every folder still open (after a failure or cancellation). */
  async closeAll(): Promise<void> {
    const dirs = [...this.open.values()];
    this.open.clear();
    await Promise.all(dirs.map((d) => d.then((h) => h.close(), () => undefined)));
  }
}
