/** PostgreSQL helpers for tests that need no test runner hooks (vitest and Playwright alike). */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { PosixProcesses } from '../../electron/system/posix-processes.js';
import { createPostgres, type Postgres } from '../../electron/system/postgres/index.js';
import { findServerBinaries } from '../../electron/system/postgres/local-server.js';

export const OS_USER = 'postgres';

/** The production PostgreSQL adapter over real processes, for test fixtures. */
export const testPostgres: Postgres = createPostgres(new PosixProcesses());

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** The bin dir of a flavor. */
export function binDirOf(flavor: 'debian15' | 'embedded17'): string {
  const want = flavor === 'embedded17' ? 'embedded' : 'system';
  const found = findServerBinaries().find((b) => b.flavor === want && (want === 'embedded' || b.major === 15));
  if (!found) throw new Error(`PostgreSQL binaries for ${flavor} are not installed`);
  return found.binDir;
}

/** Why a test that needs Debian's packaged PostgreSQL 15 is skipped, if it is. */
export function debianMissing(): string | undefined {
  try {
    binDirOf('debian15');
    return undefined;
  } catch {
    return 'Debian PostgreSQL 15 is not installed';
  }
}

function run(file: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve) => execFile(file, [...args], { timeout: 15_000 }, (err) => resolve(err ? 1 : 0)));
}

/** Makes sure the `postgres` OS user exists (as root). */
export async function ensureOsUser(): Promise<{ uid: number; gid: number }> {
  const find = async () => {
    const line = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.startsWith(`${OS_USER}:`));
    return line ? { uid: Number(line.split(':')[2]), gid: Number(line.split(':')[3]) } : undefined;
  };
  const ids = (await find()) ?? ((await run('useradd', ['--system', '--user-group', '--no-create-home', OS_USER])) === 0 ? await find() : undefined);
  if (!ids) throw new Error(`cannot create the ${OS_USER} user`);
  return ids;
}

