import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TempDir {
  readonly path: string;
  cleanup(): Promise<void>;
}

/** A fresh directory under the OS temp dir; `open` makes it 0755 so other accounts can reach inside. */
export async function createTempDir(prefix = 'spsetup-test-', open = false): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  if (open) await chmod(path, 0o755);
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

export interface TempUser {
  readonly name: string;
  cleanup(): Promise<void>;
}

/** A throwaway OS account `<prefix><random>` (no home, no login shell) with its own group; root only. */
export async function createTempUser(prefix = 'spsvc-'): Promise<TempUser> {
  const name = `${prefix}${randomBytes(4).toString('hex')}`;
  await run('useradd', ['--no-create-home', '--user-group', '--shell', '/usr/sbin/nologin', name]);
  return {
    name,
    cleanup: async () => {
      await run('userdel', [name]).catch(() => undefined);
      await run('groupdel', [name]).catch(() => undefined);
    },
  };
}
