/** Unified diffs of text files, as shown on the Ready screen and in `spsetup plan`. */
import { createTwoFilesPatch } from 'diff';

/** A unified diff with a/ and b/ headers; the empty string when the texts are equal. */
export function unifiedDiff(path: string, before: string, after: string): string {
  if (before === after) return '';
  const name = path.replace(/^\/+/, '');
  const patch = createTwoFilesPatch(`a/${name}`, `b/${name}`, before, after, undefined, undefined, { context: 3 });
  // Drop the "=====" banner line diff adds; readers expect plain git-style headers.
  return patch.replace(/^={10,}\n/m, '');
}
