/**
 * Files that hold secrets: bundles, spc.cfg, passphrase files.
 *
 * A secret file is created with mode 0600 from its first byte: it is written to a new temp name
 * opened with O_EXCL and mode 0600 in the target's folder, synced, then renamed over the target. A
 * target that exists with a looser mode is replaced by the new 0600 file (rename swaps the inode);
 * a failed write removes the temp file and leaves the target as it was.
 *
 * A passphrase file that its group or others may read is refused (like ssh does for private keys):
 * whoever can read it can open the bundle. On Windows POSIX modes mean nothing and are not checked.
 */
import { constants } from 'node:fs';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../../shared/errors.js';

/** Bundles are a few KiB; anything far larger is not one. */
const MAX_BUNDLE_BYTES = 1024 * 1024;
const MAX_PASSPHRASE_BYTES = 4096;

/** Writes a bundle with mode 0600 (atomically; nothing partial is left on failure). */
export async function writeBundleFile(path: string, bytes: Uint8Array): Promise<void> {
  await writeSecretFile(path, bytes);
}

/** Writes UTF-8 text (spc.cfg, a passphrase) with mode 0600, atomically. */
export async function writeSecretTextFile(path: string, text: string): Promise<void> {
  await writeSecretFile(path, Buffer.from(text, 'utf8'));
}

async function writeSecretFile(path: string, data: Uint8Array): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    // The umask can only take bits away from 0600, but be explicit in case of odd defaults.
    if (process.platform !== 'win32') await handle.chmod(0o600);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw new UserError('permission-denied', `Could not write ${path}: ${describe(err)}.`, 'Check that the folder exists and that you may write to it.');
  }
}

/** Reads a bundle file (refusing a missing, unreadable or oversized one). */
export async function readBundleFile(path: string): Promise<Buffer> {
  const info = await stat(path).catch((err: unknown) => {
    throw new UserError('not-found', `Cannot read the settings bundle ${path}: ${describe(err)}.`, 'Check the path of the .spbundle file.');
  });
  if (!info.isFile()) throw new UserError('bundle', `${path} is not a file.`, 'Give the path of the .spbundle file.');
  if (info.size > MAX_BUNDLE_BYTES) {
    throw new UserError('bundle', `${path} is not a settings bundle (${info.size} bytes; a bundle is a few KiB).`, 'Choose the .spbundle file exported on the central node.', { reason: 'not-a-bundle' });
  }
  return readFile(path).catch((err: unknown) => {
    throw new UserError('permission-denied', `Cannot read the settings bundle ${path}: ${describe(err)}.`, 'Check that you may read the file.');
  });
}

/** Reads a passphrase file: one trailing newline is removed; a file others may read is refused. */
export async function readPassphraseFile(path: string): Promise<string> {
  const info = await stat(path).catch((err: unknown) => {
    throw new UserError('not-found', `Cannot read the passphrase file ${path}: ${describe(err)}.`, 'Check the path given with --passphrase-file.');
  });
  if (!info.isFile()) throw new UserError('invalid-input', `The passphrase file ${path} is not a file.`, 'Give the path of a file that holds the passphrase.');
  if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(3, '0');
    throw new UserError('permission-denied', `The passphrase file ${path} may be read or changed by other users (mode ${mode}).`, `Restrict it to its owner: chmod 600 ${path}`);
  }
  if (info.size > MAX_PASSPHRASE_BYTES) throw new UserError('invalid-input', `The passphrase file ${path} is too large to be a passphrase (${info.size} bytes).`, 'Put only the passphrase in the file.');
  const text = await readFile(path, 'utf8').catch((err: unknown) => {
    throw new UserError('permission-denied', `Cannot read the passphrase file ${path}: ${describe(err)}.`, 'Check that you may read the file.');
  });
  const passphrase = text.replace(/\r?\n$/, '');
  if (passphrase.length === 0) throw new UserError('invalid-input', `The passphrase file ${path} is empty.`, 'Write the passphrase into the file.');
  return passphrase;
}

function describe(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a folder';
    case 'ENOSPC':
      return 'no space left on the disk';
    default:
      return typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
  }
}
