/** mkdir -p that reports the real cause: Node's recursive mkdir says ENOENT on a read-only file system. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

/** Creates `dir` and its missing parents one at a time, so EROFS/EACCES surface as themselves. */
export async function ensureDir(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try {
      await mkdir(d);
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') break;
      if (code !== 'ENOENT' || path.dirname(d) === d) throw err;
      missing.push(d);
    }
  }
  for (const d of missing.reverse()) {
    await mkdir(d).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  }
}
