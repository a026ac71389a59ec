import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { PosixFiles } from './posix-files.js';
import type { SecretStore } from './types.js';

/** Secrets as files with mode 0600 owned by the account that needs them (written atomically). */
export class PosixSecretStore implements SecretStore {
  constructor(private readonly files: PosixFiles) {}

  /** Stores `value` at `path` readable only by `account` (default: the current user) and root. */
  async put(path: string, value: string, account?: string): Promise<void> {
    const dir = dirname(path);
    if (!(await this.files.stat(dir))) {
      // A folder we create for secrets is private to the account too.
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await this.files.setAccess(dir, account ? { mode: 0o700, owner: account } : { mode: 0o700 });
    }
    // PosixFiles.writeAtomic creates its temp file with 0600 before writing a byte.
    await this.files.writeAtomic(path, value, account ? { mode: 0o600, owner: account } : { mode: 0o600 });
  }

  /** Reads a stored secret; undefined when there is none. */
  async get(path: string): Promise<string | undefined> {
    return this.files.readText(path);
  }
}
