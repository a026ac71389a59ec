import { mkdtemp, readFile, rm, stat, writeFile, appendFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JournalWriter, readJournal } from '../../../../electron/system/copy/journal.js';
import { UserError } from '../../../../electron/shared/errors.js';
import type { JournalEntry } from '../../../../electron/system/copy/types.js';

const entry = (p: string, sha = 'a'.repeat(64)): JournalEntry => ({ path: p, size: 3, mtimeMs: 1_600_000_000_123, sha256: sha, targetMtimeMs: 1_600_000_000_123 });

describe('copy journal', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'spsetup-journal-'));
    file = path.join(dir, 'copy.jsonl');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads back what was recorded, and nothing when there is no journal yet', async () => {
    expect((await readJournal(file, '/src', '/dst')).size).toBe(0);
    const w = await JournalWriter.open(file, '/src', '/dst');
    await Promise.all([w.record(entry('a.txt')), w.record(entry('sub/b.txt'))]);
    await w.close();
    const read = await readJournal(file, '/src', '/dst');
    expect([...read.keys()].sort()).toEqual(['a.txt', 'sub/b.txt']);
    expect(read.get('sub/b.txt')).toEqual(entry('sub/b.txt'));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('ignores a line cut short by a crash and keeps appending on a fresh line', async () => {
    const w = await JournalWriter.open(file, '/src', '/dst');
    await w.record(entry('a.txt'));
    await w.close();
    await appendFile(file, '{"path":"half.txt","si');
    expect([...(await readJournal(file, '/src', '/dst')).keys()]).toEqual(['a.txt']);
    const w2 = await JournalWriter.open(file, '/src', '/dst');
    await w2.record(entry('c.txt'));
    await w2.close();
    expect([...(await readJournal(file, '/src', '/dst')).keys()].sort()).toEqual(['a.txt', 'c.txt']);
  });

  it('lets the last record of a path win (a file copied again)', async () => {
    const w = await JournalWriter.open(file, '/src', '/dst');
    await w.record(entry('a.txt', 'a'.repeat(64)));
    await w.record(entry('a.txt', 'b'.repeat(64)));
    await w.close();
    expect((await readJournal(file, '/src', '/dst')).get('a.txt')?.sha256).toBe('b'.repeat(64));
  });

  it('refuses a journal that belongs to another copy, and leaves it unchanged', async () => {
    const w = await JournalWriter.open(file, '/src', '/dst');
    await w.record(entry('a.txt'));
    await w.close();
    const before = await readFile(file, 'utf8');
    const err = await readJournal(file, '/src', '/elsewhere').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe('conflict');
    expect((err as UserError).message).toContain('/dst');
    expect((err as UserError).fix).toMatch(/another journal path/);
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('refuses a file that is not a copy journal', async () => {
    await writeFile(file, '{"hello":1}\n');
    await expect(readJournal(file, '/src', '/dst')).rejects.toMatchObject({ code: 'conflict' });
  });

  it('skips records that are not well formed', async () => {
    const w = await JournalWriter.open(file, '/src', '/dst');
    await w.close();
    await appendFile(file, `${JSON.stringify({ path: 'x', size: 1, mtimeMs: 1, sha256: 'nothex', targetMtimeMs: 1 })}\n`);
    expect((await readJournal(file, '/src', '/dst')).size).toBe(0);
  });
});
