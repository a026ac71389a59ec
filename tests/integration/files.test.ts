import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../electron/shared/errors.js';
import { PosixFiles } from '../../electron/system/posix-files.js';
import { PosixProcesses } from '../../electron/system/posix-processes.js';
import { PosixSecretStore } from '../../electron/system/posix-secret-store.js';
import { createTempDir, createTempUser, type TempDir, type TempUser } from '../support/temp.js';

const run = promisify(execFile);
const processes = new PosixProcesses();
const files = new PosixFiles(processes);
let temp: TempDir;
let user: TempUser;
let uid: number;
let gid: number;

beforeAll(async () => {
  temp = await createTempDir('spsetup-files-', true);
  user = await createTempUser();
  const entry = await processes.lookupUser(user.name);
  if (!entry) throw new Error('test user missing');
  ({ uid, gid } = entry);
});
afterAll(async () => {
  await temp?.cleanup();
  await user?.cleanup();
});

const modeOf = async (p: string): Promise<number> => (await stat(p)).mode & 0o7777;

describe('writeAtomic', () => {
  it('writes a new file with the mode, owner and group given, leaving no temp file', async () => {
    const dir = join(temp.path, 'w1');
    await mkdir(dir);
    const path = join(dir, 'app.conf');
    await files.writeAtomic(path, 'a=1\n', { mode: 0o640, owner: user.name, group: user.name });
    const s = await stat(path);
    expect(await readFile(path, 'utf8')).toBe('a=1\n');
    expect(s.mode & 0o7777).toBe(0o640);
    expect([s.uid, s.gid]).toEqual([uid, gid]);
    expect(await readdir(dir)).toEqual(['app.conf']);
  });

  it('replaces the file by rename (new inode) and keeps its mode and owner when no access is given', async () => {
    const path = join(temp.path, 'keep.conf');
    await writeFile(path, 'old');
    await chmod(path, 0o600);
    await chown(path, uid, gid);
    const before = await stat(path);
    await files.writeAtomic(path, 'new');
    const after = await stat(path);
    expect(await readFile(path, 'utf8')).toBe('new');
    expect(after.ino).not.toBe(before.ino);
    expect([after.mode & 0o7777, after.uid, after.gid]).toEqual([0o600, uid, gid]);
  });

  it('removes the temp file a killed earlier write of the same file left, and nothing else', async () => {
    const dir = join(temp.path, 'stale');
    await mkdir(dir);
    await writeFile(join(dir, '.app.json.0123456789ab.tmp'), 'half written'); // as a SIGKILL mid-write leaves it
    await writeFile(join(dir, '.other.json.0123456789ab.tmp'), 'not ours to remove');
    await writeFile(join(dir, '.app.json.notours.tmp'), 'not our naming');
    await files.writeAtomic(join(dir, 'app.json'), '{}');
    expect((await readdir(dir)).sort()).toEqual(['.app.json.notours.tmp', '.other.json.0123456789ab.tmp', 'app.json']);
  });

  it('refuses an unknown owner and leaves the old file and the directory untouched', async () => {
    const dir = join(temp.path, 'w2');
    await mkdir(dir);
    const path = join(dir, 'x.conf');
    await writeFile(path, 'original');
    const err = await files.writeAtomic(path, 'changed', { owner: 'no-such-user-spsetup' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe('not-found');
    expect(await readFile(path, 'utf8')).toBe('original');
    expect(await readdir(dir)).toEqual(['x.conf']);
  });
});

describe('backup', () => {
  it('copies the file into the backup dir with a timestamp, keeping content and mode; two backups differ', async () => {
    const path = join(temp.path, 'pg_hba.conf');
    await writeFile(path, 'host all all 127.0.0.1/32 scram-sha-256\n');
    await chmod(path, 0o640);
    const backupDir = join(temp.path, 'state', 'backups');
    const first = await files.backup(path, backupDir);
    const second = await files.backup(path, backupDir);
    expect(first).toMatch(/pg_hba\.conf\.\d{4}-\d\d-\d\dT[\d-]+Z(\.\d+)?\.bak$/);
    expect(second).not.toBe(first);
    for (const b of [first, second]) {
      expect(await readFile(b as string, 'utf8')).toBe('host all all 127.0.0.1/32 scram-sha-256\n');
      expect(await modeOf(b as string)).toBe(0o640);
    }
    expect(await modeOf(backupDir)).toBe(0o700);
  });

  it('returns undefined for a file that does not exist', async () => {
    expect(await files.backup(join(temp.path, 'absent'), join(temp.path, 'b2'))).toBeUndefined();
  });
});

describe('ensureDir and setAccess', () => {
  it('creates nested folders and applies mode, owner and group to the leaf', async () => {
    const path = join(temp.path, 'root', 'Apps');
    await files.ensureDir(path, { mode: 0o2750, owner: user.name, group: user.name });
    const s = await stat(path);
    expect([s.mode & 0o7777, s.uid, s.gid]).toEqual([0o2750, uid, gid]);
    await files.ensureDir(path, { mode: 0o2750, owner: user.name });
    expect(await modeOf(path)).toBe(0o2750);
  });

  it('refuses to turn a file into a folder', async () => {
    const path = join(temp.path, 'is-a-file');
    await writeFile(path, 'x');
    await expect(files.ensureDir(path)).rejects.toThrow(/a file with that name exists/);
    expect(await readFile(path, 'utf8')).toBe('x');
  });

  it('applies access recursively: folders get the mode, files keep execute bits only if they had them', async () => {
    const root = join(temp.path, 'tree');
    await mkdir(join(root, 'sub'), { recursive: true });
    await writeFile(join(root, 'sub', 'data.txt'), 'd', { mode: 0o600 });
    await writeFile(join(root, 'tool.sh'), '#!/bin/sh\n', { mode: 0o700 });
    await files.setAccess(root, { mode: 0o750, owner: user.name }, true);
    expect(await modeOf(join(root, 'sub'))).toBe(0o750);
    expect(await modeOf(join(root, 'sub', 'data.txt'))).toBe(0o640);
    expect(await modeOf(join(root, 'tool.sh'))).toBe(0o750);
    for (const p of [root, join(root, 'sub'), join(root, 'sub', 'data.txt'), join(root, 'tool.sh')]) {
      expect((await stat(p)).uid).toBe(uid);
    }
  });
});

describe('canWrite', () => {
  it('is false for an account without write access and true once it owns the folder; no probe is left', async () => {
    const dir = join(temp.path, 'share');
    await mkdir(dir, { mode: 0o755 });
    expect(await files.canWrite(dir, user.name)).toBe(false);
    await chown(dir, uid, gid);
    expect(await files.canWrite(dir, user.name)).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });

  it('is false for a folder the account owns but that has no write permission (0555)', async () => {
    const dir = join(temp.path, 'readonly');
    await mkdir(dir);
    await chmod(dir, 0o555);
    await chown(dir, uid, gid);
    expect(await files.canWrite(dir, user.name)).toBe(false);
    expect(await readdir(dir)).toEqual([]);
  });

  it('tests the current user directly, and reports an unknown account', async () => {
    expect(await files.canWrite(temp.path)).toBe(true);
    await expect(files.canWrite(temp.path, 'no-such-user-spsetup')).rejects.toThrow(/does not exist/);
  });
});

describe('freeBytes', () => {
  it('matches what df reports for the file system (within 64 MiB)', async () => {
    const free = await files.freeBytes(temp.path);
    const { stdout } = await run('df', ['--output=avail', '-B1', temp.path]);
    const dfFree = Number(stdout.trim().split('\n')[1]);
    expect(free).toBeGreaterThan(0);
    expect(Math.abs(free - dfFree)).toBeLessThan(64 * 1024 * 1024);
  });
});

describe('PosixSecretStore', () => {
  it('stores a secret readable by the account only (0600, owned by it) and reads it back', async () => {
    const store = new PosixSecretStore(files);
    const path = join(temp.path, 'secrets', 'connection-string');
    await store.put(path, 'postgres://u:s3cr3t@db/x', user.name);
    const s = await stat(path);
    expect([s.mode & 0o7777, s.uid]).toEqual([0o600, uid]);
    expect(await store.get(path)).toBe('postgres://u:s3cr3t@db/x');
    const asAccount = await processes.run('cat', [path], { user: user.name, allowFailure: true });
    expect(asAccount.stdout).toBe('postgres://u:s3cr3t@db/x');
    const asNobody = await processes.run('cat', [path], { user: 'nobody', allowFailure: true });
    expect(asNobody.code).not.toBe(0);
    expect(asNobody.stdout).toBe('');
    expect(await store.get(join(temp.path, 'secrets', 'absent'))).toBeUndefined();
  });
});
