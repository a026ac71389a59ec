/** Issue 13: the system layer's file errors name the path and the cause, and tell a full disk from one out of inodes. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../electron/shared/errors.js';
import { onPath, toFsError } from '../../../electron/system/fs-errors.js';
import { PosixFiles } from '../../../electron/system/posix-files.js';
import { PosixProcesses } from '../../../electron/system/posix-processes.js';

const dir = mkdtempSync(join(tmpdir(), 'fs-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('system file errors', () => {
  it('a real failing mkdir through Files names the folder and the cause', async () => {
    const files = new PosixFiles(new PosixProcesses());
    const file = join(dir, 'a-file');
    await files.writeAtomic(file, 'x');
    const err = await files.ensureDir(join(file, 'sub')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe('filesystem');
    expect((err as UserError).message).toBe(`Cannot create the folder ${join(file, 'sub')}: a part of the path is a file, not a folder.`);
  });

  it('ENOSPC on a file system with inodes left says full, with what is free', () => {
    const e = Object.assign(new Error('ENOSPC'), { code: 'ENOSPC', syscall: 'write', path: join(dir, 'x') });
    expect((toFsError(e) as UserError).message).toMatch(new RegExp(`^Cannot write ${join(dir, 'x')}: its file system is full \\(\\d+ KiB free\\)\\.$`));
  });

  it('leaves errors that are not fs errors alone', async () => {
    const bug = new TypeError('x');
    expect(toFsError(bug)).toBe(bug);
    await expect(onPath('/p', () => Promise.reject(bug))).rejects.toBe(bug);
  });
});
