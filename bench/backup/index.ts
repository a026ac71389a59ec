/**
 * bench/backup: the site backup's two halves (the repository dump from one exported snapshot with
 * every table's digest, and the share copied by the verified copy engine with SHA-256 per file)
 * and the restore (one-transaction pg_restore through psql, the share copied back and compared),
 * against the floor measured in the same run on the same data: `pg_dump -Fc` + `cp -a`, and
 * `pg_restore --clean` + `cp -a`. A real PostgreSQL 15; the services' stop and start (seconds,
 * through the node agents) are not in these figures: the netns test records them in the manifest.
 * Run as root: `npx tsx bench/backup/index.ts [shareMiB]`. The last line printed is the JSON result.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientBinDir, compareContent, connectLogin, dumpDatabase, readContent, restoreDatabase, type DbLogin } from '../../electron/features/backup/database.js';
import { backupShare, restoreShare } from '../../electron/features/backup/share.js';
import { hashFile } from '../../electron/system/copy/index.js';
import { createPosixSystem } from '../../electron/system/system.js';
import { connectPostgres } from '../../electron/system/postgres/client.js';
import { freeTcpPort, randomPassword } from '../../tests/support/cluster.js';
import { binDirOf, ensureOsUser, testPostgres } from '../../tests/support/pg-tools.js';
import { measure, printResult, round } from '../lib/index.js';

const shareMiB = Number(process.argv[2] ?? 64);
const run = (file: string, args: string[], env: Record<string, string> = {}) =>
  new Promise<void>((resolve, reject) => execFile(file, args, { env: { ...process.env, ...env }, timeout: 600_000 }, (err, _o, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve())));

const sys = createPosixSystem({ serviceManager: 'runit' });
const root = await mkdtemp(join(tmpdir(), 'spbench-backup-'));
const pg = { binDir: binDirOf('debian15'), dataDir: join(root, 'pgdata'), osUser: 'postgres' };
const server = { host: '127.0.0.1', port: await freeTcpPort(), superuser: 'postgres', password: randomPassword() };
try {
  await chmod(root, 0o755);
  const ids = await ensureOsUser();
  const socketDir = join(root, 'sock');
  await mkdir(socketDir, { mode: 0o755 });
  await chown(socketDir, ids.uid, ids.gid);
  await testPostgres.initCluster({ ...pg, superuser: 'postgres', password: server.password });
  await testPostgres.startServer({ ...pg, socketDir, port: server.port, settings: { listen_addresses: '127.0.0.1' }, timeoutMs: 60_000 });
  const admin = await connectPostgres({ host: server.host, port: server.port, user: 'postgres', password: server.password, database: 'postgres', timeoutMs: 10_000 });
  await admin.query('CREATE DATABASE "QSR"');
  await admin.close();
  const login: DbLogin = { host: server.host, port: server.port, user: server.superuser, password: server.password, database: 'QSR', ssl: 'disable' };
  const seed = await connectLogin(sys, login);
  // A repository-like content: one wide table, one narrow, a sequence.
  await seed.query('CREATE TABLE apps (id bigserial PRIMARY KEY, name text, owner text, file_name text, body text)');
  await seed.query("INSERT INTO apps (name, owner, file_name, body) SELECT md5(g::text), 'user' || (g % 50), g || '.qvf', repeat(md5(g::text), 20) FROM generate_series(1, 200000) g");
  await seed.query('CREATE TABLE events (id bigserial PRIMARY KEY, at timestamptz DEFAULT now(), kind int)');
  await seed.query('INSERT INTO events (kind) SELECT g % 7 FROM generate_series(1, 300000) g');
  const [size] = await seed.query<{ b: string }>('SELECT pg_database_size(current_database())::text AS b');
  await seed.close();
  const dbBytes = Number(size!.b);

  // The share: large app files, many small static files, nested folders.
  const share = join(root, 'share');
  const big = Math.max(1, Math.floor(shareMiB / 2));
  await mkdir(join(share, 'Apps'), { recursive: true });
  for (let i = 0; i < big; i++) await writeFile(join(share, 'Apps', `app-${i}.qvf`), randomBytes(1024 * 1024));
  for (let d = 0; d < 20; d++) {
    await mkdir(join(share, 'StaticContent', `d${d}`), { recursive: true });
    for (let i = 0; i < 100; i++) await writeFile(join(share, 'StaticContent', `d${d}`, `f${i}.bin`), randomBytes(Math.round((shareMiB * 1024 * 1024) / 2 / 2000)));
  }
  const { binDir } = await clientBinDir(sys, 15);
  const env = { PGPASSWORD: server.password };
  const conn = ['-h', server.host, '-p', String(server.port), '-U', server.superuser];
  const out = join(root, 'out');
  const floorOut = join(root, 'floor');
  const fresh = async (dir: string) => {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true, mode: 0o700 });
  };
  const log = () => undefined;

  let content: Awaited<ReturnType<typeof dumpDatabase>> | undefined;
  let shareRecord: Awaited<ReturnType<typeof backupShare>> | undefined;
  const backupOnce = async () => {
    const c = await connectLogin(sys, login);
    try {
      content = await dumpDatabase(sys, c, login, binDir, join(out, 'repository.dump'));
    } finally {
      await c.close();
    }
    await hashFile(join(out, 'repository.dump'));
    shareRecord = await backupShare(sys, share, join(out, 'share'), join(out, 'share.journal'), log);
  };
  const backupMs = await measure(backupOnce, { setup: () => fresh(out) });
  const floorBackupMs = await measure(
    async () => {
      await run(join(binDir, 'pg_dump'), ['--format=custom', '--no-password', ...conn, '-f', join(floorOut, 'repository.dump'), 'QSR'], env);
      await run('cp', ['-a', share, join(floorOut, 'share')]);
    },
    { setup: () => fresh(floorOut) },
  );
  // A second backup into the same folder after one app file changed: only changed files are copied.
  await writeFile(join(share, 'Apps', 'app-0.qvf'), randomBytes(1024 * 1024));
  const incrementalMs = await measure(backupOnce, { runs: 1 });

  // Restore: both onto a damaged database and an emptied share.
  const work = join(root, 'work');
  const damage = async () => {
    const c = await connectLogin(sys, login);
    await c.query('DELETE FROM apps WHERE id % 2 = 0');
    await c.close();
    await rm(share, { recursive: true, force: true });
    await fresh(work);
  };
  const restoreMs = await measure(
    async () => {
      const c = await connectLogin(sys, login);
      try {
        await restoreDatabase(sys, c, login, binDir, join(out, 'repository.dump'), content!.tables.map((t) => t.name), work);
        const share2 = await restoreShare(sys, join(out, 'share'), share, { ...shareRecord!, dir: 'share' }, 'root', join(work, 'share.journal'));
        const problems = [...compareContent(content!, await readContent(c)), ...share2.problems];
        if (problems.length) throw new Error(`restore differs: ${problems.slice(0, 3).join('; ')}`);
      } finally {
        await c.close();
      }
    },
    { setup: damage },
  );
  const floorRestoreMs = await measure(
    async () => {
      await run(join(binDir, 'pg_restore'), ['--clean', '--if-exists', '--no-owner', '--no-password', ...conn, '-d', 'QSR', join(floorOut, 'repository.dump')], env);
      await run('cp', ['-a', join(floorOut, 'share'), share]);
    },
    { setup: damage },
  );
  const mib = (dbBytes + (shareRecord?.bytes ?? 0)) / 1024 / 1024;
  printResult({
    bench: 'backup',
    databaseMiB: round(dbBytes / 1024 / 1024, 1),
    shareMiB: round((shareRecord?.bytes ?? 0) / 1024 / 1024, 1),
    shareFiles: shareRecord?.files.length ?? 0,
    backupMs: round(backupMs),
    floorBackupMs: round(floorBackupMs),
    backupRatio: round(backupMs / floorBackupMs),
    backupMiBps: round(mib / (backupMs / 1000)),
    incrementalBackupMs: round(incrementalMs),
    restoreMs: round(restoreMs),
    floorRestoreMs: round(floorRestoreMs),
    restoreRatio: round(restoreMs / floorRestoreMs),
    restoreMiBps: round(mib / (restoreMs / 1000)),
    // Services are stopped for the whole capture: the downtime is this plus the agents' stop and start.
    backupDowntimeMs: round(backupMs),
    restoreDowntimeMs: round(restoreMs),
    floor: 'pg_dump -Fc + cp -a (backup) and pg_restore --clean + cp -a (restore) of the same data in this run; ours adds the snapshot digests of every table, SHA-256 of every file read back, the one-transaction restore and the comparison after it; service stop/start not included',
  });
} finally {
  await testPostgres.stopServer({ ...pg, timeoutMs: 30_000 }).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
}
