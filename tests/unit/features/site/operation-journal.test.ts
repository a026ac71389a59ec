/** The node's journal of site operations (features/site/operation-journal.ts), on real files. */
import { readFile, stat, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OperationJournal } from '../../../../electron/features/site/operation-journal.js';
import { createPosixSystem } from '../../../../electron/system/system.js';
import { createTempDir, type TempDir } from '../../../support/temp.js';

describe('operation journal', () => {
  let tmp: TempDir;
  let dir: string;
  const files = createPosixSystem({ serviceManager: 'runit' }).files;
  beforeEach(async () => {
    tmp = await createTempDir('spsite-journal-');
    dir = join(tmp.path, 'site');
  });
  afterEach(async () => tmp.cleanup());

  it('knows nothing of an operation that never started here', async () => {
    expect(await new OperationJournal(files, dir).lastState('a')).toBeUndefined();
  });

  it('keeps every entry in order and answers with the newest state of each operation', async () => {
    const j = new OperationJournal(files, dir);
    await j.append({ id: 'a', kind: 'services', state: 'running', message: '' });
    await j.append({ id: 'b', kind: 'folders', state: 'running', message: '' });
    await j.append({ id: 'a', kind: 'services', state: 'done', message: 'stop: stopped x' });
    expect(await j.lastState('a')).toBe('done');
    expect((await j.last('a'))?.message).toBe('stop: stopped x');
    expect(await j.lastState('b')).toBe('running');
    // A restarted agent reads the same file.
    expect(await new OperationJournal(files, dir).lastState('a')).toBe('done');
    const lines = (await readFile(join(dir, 'operations.jsonl'), 'utf8')).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { id: string; state: string }).state)).toEqual(['running', 'running', 'done']);
  });

  it('is private to the administrator (folder 0700, file 0600)', async () => {
    await new OperationJournal(files, dir).append({ id: 'a', kind: 'status', state: 'done', message: '' });
    expect(((await stat(dir)).mode & 0o777).toString(8)).toBe('700');
    expect(((await stat(join(dir, 'operations.jsonl'))).mode & 0o777).toString(8)).toBe('600');
  });

  it('a torn last line from a kill leaves the entries before it standing', async () => {
    const j = new OperationJournal(files, dir);
    await j.append({ id: 'a', kind: 'services', state: 'running', message: '' });
    await appendFile(join(dir, 'operations.jsonl'), '{"id":"a","kind":"services","sta');
    expect(await j.lastState('a')).toBe('running');
    await writeFile(join(dir, 'operations.jsonl'), `${await readFile(join(dir, 'operations.jsonl'), 'utf8')}\n`);
    await j.append({ id: 'a', kind: 'services', state: 'done', message: 'ok' });
    expect(await j.lastState('a')).toBe('done');
  });
});
