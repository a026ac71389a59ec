/** Removing a folder only when it is empty: the one way an undo may take away a folder that could hold content. */
import { rmdir } from 'node:fs/promises';

/** Removes `path` when it is an empty folder (true, also when already gone); false when it holds something. */
export async function removeEmptyDirectory(path: string): Promise<boolean> {
  try {
    await rmdir(path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return true;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw err;
  }
}
