/**
 * Throwaway real PostgreSQL servers for tests: a fresh cluster in a temp dir, run as the
 * `postgres` OS user on a free port, its socket in the temp dir; always removed afterwards.
 */
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { connectPostgres } from '../../electron/system/postgres/client.js';
import type { PgConnection } from '../../electron/system/postgres/client.js';
import { readConfSetting, setConfSettings } from '../../electron/system/postgres/conf-editor.js';

import { binDirOf, debianMissing, ensureOsUser, freePort, OS_USER, testPostgres } from './pg-tools.js';

// Helpers that need no test runner live in pg-tools.ts (Playwright specs import them too).
export { binDirOf, debianMissing, ensureOsUser, freePort, OS_USER, testPostgres };

export interface TestServerOptions {
  readonly flavor: 'debian15' | 'embedded17';
  /** listen_addresses (default 127.0.0.1; in a namespace give its address). */
  readonly listenAddresses?: string;
  /** pg_hba.conf text to use instead of initdb's, or an edit of initdb's. */
  readonly hba?: string | ((initdbHba: string) => string);
  /** postgresql.conf text to use instead of initdb's (port/listen_addresses are set in it). */
  readonly conf?: string;
  readonly port?: number;
  /** Start the server inside this network namespace. */
  readonly netns?: string;
  readonly password?: string;
  /** Settings given on the server's command line (-c name=value). */
  readonly commandLine?: Readonly<Record<string, string>>;
  /** Runs after initdb and the conf/hba writes, before the start (extra files, certificates). */
  readonly beforeStart?: (dataDir: string) => Promise<void>;
}

export interface TestServer {
  readonly host: string;
  readonly port: number;
  readonly root: string;
  readonly dataDir: string;
  readonly binDir: string;
  readonly socketDir: string;
  readonly superuser: string;
  readonly password: string;
  readonly logFile: string;
  readonly confPath: string;
  readonly hbaPath: string;
  /** Connects as the superuser (over the Unix socket, which works whatever the namespace). */
  connect(options?: { user?: string; password?: string; database?: string; host?: string }): Promise<PgConnection>;
  stop(): Promise<void>;
}

const running = new Set<TestServer>();
// Benchmarks use these servers outside vitest (no suite to hook into); they stop theirs themselves.
if (process.env['VITEST']) {
  afterAll(async () => {
    for (const s of [...running]) await s.stop();
  });
}

/** Starts a fresh server; stop() (or the file's afterAll) removes everything. */
export async function startTestServer(opts: TestServerOptions): Promise<TestServer> {
  const ids = await ensureOsUser();
  const binDir = binDirOf(opts.flavor);
  const root = await mkdtemp(join(tmpdir(), 'sppg-'));
  await chmod(root, 0o755);
  const dataDir = join(root, 'data');
  const socketDir = join(root, 'sock');
  const password = opts.password ?? `T3st-${randomBytes(9).toString('base64url')}`;
  const superuser = 'postgres';
  let started = false;
  const stop = async () => {
    running.delete(server);
    if (started) await testPostgres.stopServer({ binDir, dataDir, osUser: OS_USER, timeoutMs: 30_000 }).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  };
  const confPath = join(dataDir, 'postgresql.conf');
  const hbaPath = join(dataDir, 'pg_hba.conf');
  const server: TestServer = {
    host: '',
    port: 0,
    root,
    dataDir,
    binDir,
    socketDir,
    superuser,
    password,
    logFile: join(dataDir, 'postmaster.log'),
    confPath,
    hbaPath,
    connect: (o = {}) =>
      connectPostgres({
        host: o.host ?? socketDir,
        port: server.port,
        user: o.user ?? superuser,
        password: o.password ?? password,
        database: o.database ?? 'postgres',
        timeoutMs: 10_000,
      }),
    stop,
  };
  running.add(server);
  try {
    await mkdir(socketDir, { mode: 0o755 });
    await chown(socketDir, ids.uid, ids.gid);
    await testPostgres.initCluster({ binDir, dataDir, superuser, password, osUser: OS_USER, noSync: true });
    const conf = opts.conf ?? (await readFile(confPath, 'utf8'));
    const port = opts.port ?? Number(opts.conf ? readConfSetting(opts.conf, 'port') ?? (await freePort()) : await freePort());
    const listen = opts.listenAddresses ?? (opts.conf ? readConfSetting(opts.conf, 'listen_addresses') : undefined) ?? '127.0.0.1';
    await writeFile(confPath, setConfSettings(conf, { port: String(port), listen_addresses: listen }).text);
    if (typeof opts.hba === 'string') await writeFile(hbaPath, opts.hba);
    if (typeof opts.hba === 'function') await writeFile(hbaPath, opts.hba(await readFile(hbaPath, 'utf8')));
    Object.assign(server, { port, host: listen === '*' ? '127.0.0.1' : (listen.split(',')[0] ?? '127.0.0.1').trim() });
    await opts.beforeStart?.(dataDir);
    await testPostgres.startServer({ binDir, dataDir, osUser: OS_USER, socketDir, timeoutMs: 30_000, prefix: opts.netns ? ['ip', 'netns', 'exec', opts.netns] : [], ...(opts.commandLine ? { settings: opts.commandLine } : {}) });
    started = true;
    return server;
  } catch (err) {
    await stop();
    throw err;
  }
}
