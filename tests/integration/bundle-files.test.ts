import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../electron/shared/errors.js';
import { readBundleFile, readPassphraseFile, writeBundleFile, writeSecretTextFile } from '../../electron/features/bundle/files.js';
import { openBundle, sealBundle } from '../../electron/features/bundle/format.js';
import { bundleContentsFromSettings } from '../../electron/features/bundle/contents.js';
import { readSpcFile, writeSpcFile } from '../../electron/features/spc/spc-files.js';
import { settingsToSpc, spcToSettings } from '../../electron/features/spc/spc.js';
import { CENTRAL_PASSWORD, centralSettings } from '../unit/features/bundle/sample-settings.js';

const run = promisify(execFile);
const PASSPHRASE = 'correct horse battery staple';
const NOW = new Date('2030-01-01T00:00:00Z');

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spsetup-bundle-files-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

async function sealedBundle(): Promise<Buffer> {
  const contents = bundleContentsFromSettings(centralSettings(), { clusterId: 'c1', productVersion: '1.0.0', password: CENTRAL_PASSWORD, platform: 'win32' });
  return sealBundle(contents, PASSPHRASE, { expiresInMs: 3_600_000, now: NOW });
}

describe('secret files are written with mode 0600', () => {
  it('writes a new bundle with mode 0600 that reads back and opens', async () => {
    const path = join(dir, 'site.spbundle');
    const bytes = await sealedBundle();
    await writeBundleFile(path, bytes);
    expect(await modeOf(path)).toBe(0o600);
    const read = await readBundleFile(path);
    expect(read.equals(bytes)).toBe(true);
    expect((await openBundle(read, PASSPHRASE, { now: NOW })).database.password).toBe(CENTRAL_PASSWORD);
  });

  it('writes spc.cfg with mode 0600 and reads it back', async () => {
    const path = join(dir, 'spc.cfg');
    const xml = settingsToSpc(centralSettings(), CENTRAL_PASSWORD);
    await writeSpcFile(path, xml);
    expect(await modeOf(path)).toBe(0o600);
    expect(spcToSettings(await readSpcFile(path)).settings.database.password).toBe(CENTRAL_PASSWORD);
  });

  it('replaces a target that exists with a looser mode by a 0600 file', async () => {
    for (const [name, write] of [
      ['loose.spbundle', async (p: string) => writeBundleFile(p, await sealedBundle())],
      ['loose-spc.cfg', (p: string) => writeSpcFile(p, settingsToSpc(centralSettings(), 'pw'))],
      ['loose-passphrase.txt', (p: string) => writeSecretTextFile(p, `${PASSPHRASE}\n`)],
    ] as const) {
      const path = join(dir, name);
      await writeFile(path, 'old, readable by everyone');
      await chmod(path, 0o666);
      await write(path);
      expect({ name, mode: await modeOf(path) }).toEqual({ name, mode: 0o600 });
      expect(await readFile(path, 'utf8')).not.toContain('old, readable');
    }
  });

  it('stays 0600 whatever the umask', async () => {
    let previous: number;
    try {
      previous = process.umask(0);
    } catch {
      return; // worker threads cannot change the umask; the forks pool (the default) can
    }
    try {
      const path = join(dir, 'umask0.spbundle');
      await writeBundleFile(path, Buffer.from('x'));
      expect(await modeOf(path)).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });

  it('replaces a symlink at the target instead of writing through it', async () => {
    const victim = join(dir, 'victim.txt');
    await writeFile(victim, 'keep me');
    const path = join(dir, 'link.spbundle');
    await symlink(victim, path);
    await writeBundleFile(path, Buffer.from('bundle'));
    expect(await readFile(victim, 'utf8')).toBe('keep me');
    expect(await readFile(path, 'utf8')).toBe('bundle');
    expect(await modeOf(path)).toBe(0o600);
  });
});

describe('a failed write leaves no partial file', () => {
  it('leaves the folder as it was when the target is a folder', async () => {
    const sub = join(dir, 'fail-folder');
    await mkdir(join(sub, 'target.spbundle'), { recursive: true });
    const before = await readdir(sub);
    await expect(writeBundleFile(join(sub, 'target.spbundle'), Buffer.from('data'))).rejects.toThrow(UserError);
    expect(await readdir(sub)).toEqual(before);
    expect((await stat(join(sub, 'target.spbundle'))).isDirectory()).toBe(true);
  });

  it('creates nothing when the folder does not exist', async () => {
    const missing = join(dir, 'no-such-folder');
    await expect(writeBundleFile(join(missing, 'b.spbundle'), Buffer.from('data'))).rejects.toThrow(/Could not write .*no such file or folder/);
    await expect(stat(missing)).rejects.toThrow(/ENOENT/);
  });

  it('keeps the old file intact and leaves no temp file when the disk fills up mid-write', async () => {
    const mountPoint = join(dir, 'small-disk');
    await mkdir(mountPoint);
    await run('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', mountPoint]);
    try {
      const path = join(mountPoint, 'site.spbundle');
      await writeFile(path, 'previous bundle');
      await chmod(path, 0o600);
      const err = await writeBundleFile(path, Buffer.alloc(256 * 1024, 0x61)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).message).toMatch(/no space left/);
      expect(await readdir(mountPoint)).toEqual(['site.spbundle']);
      expect(await readFile(path, 'utf8')).toBe('previous bundle');
    } finally {
      await run('umount', [mountPoint]);
    }
  });
});

describe('readPassphraseFile', () => {
  it('reads a 0600 file, removing one trailing line end only', async () => {
    const path = join(dir, 'pass-ok');
    await writeSecretTextFile(path, `${PASSPHRASE}\r\n`);
    expect(await readPassphraseFile(path)).toBe(PASSPHRASE);
    await writeSecretTextFile(path, `${PASSPHRASE}  \n\n`);
    expect(await readPassphraseFile(path)).toBe(`${PASSPHRASE}  \n`);
  });

  it('refuses a passphrase file other users may read, saying how to fix it', async () => {
    const path = join(dir, 'pass-open');
    await writeFile(path, PASSPHRASE);
    for (const mode of [0o644, 0o640, 0o604, 0o660]) {
      await chmod(path, mode);
      const err = await readPassphraseFile(path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).message).toMatch(new RegExp(`may be read or changed by other users \\(mode ${mode.toString(8)}\\)`));
      expect((err as UserError).fix).toBe(`Restrict it to its owner: chmod 600 ${path}`);
      expect((err as UserError).message).not.toContain(PASSPHRASE);
    }
  });

  it('refuses an empty or missing passphrase file', async () => {
    const path = join(dir, 'pass-empty');
    await writeSecretTextFile(path, '\n');
    await expect(readPassphraseFile(path)).rejects.toThrow(/is empty/);
    await expect(readPassphraseFile(join(dir, 'nope'))).rejects.toThrow(/Cannot read the passphrase file .*no such file/);
  });
});

describe('readBundleFile', () => {
  it('refuses a missing file and a huge one', async () => {
    await expect(readBundleFile(join(dir, 'missing.spbundle'))).rejects.toThrow(/Cannot read the settings bundle/);
    const big = join(dir, 'big.spbundle');
    await writeFile(big, Buffer.alloc(2 * 1024 * 1024));
    await expect(readBundleFile(big)).rejects.toThrow(/is not a settings bundle/);
  });
});
