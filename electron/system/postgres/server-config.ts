/**
 * Applying postgresql.conf / pg_hba.conf changes safely. On a running server: back up, write the
 * candidate, ask the server whether it can read it (pg_file_settings, pg_hba_file_rules), restore
 * and refuse when not, else reload and confirm. On a stopped one: `postgres -C` on a copy.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { unifiedDiff } from '../text-diff.js';
import type { Processes } from '../types.js';
import type { PgConnection } from './client.js';
import { validateConfig } from './validate-config.js';

export type ConfigFileKind = 'conf' | 'hba';

export interface ConfigChange {
  readonly kind: ConfigFileKind;
  /** The file the server reads (SHOW config_file / hba_file). */
  readonly path: string;
  readonly candidate: string;
  /** Copies the current file somewhere safe and returns where (e.g. Files.backup). */
  readonly backup: (path: string) => Promise<string | undefined>;
  /** Settings that must show these values once reloaded (or be pending a restart). */
  readonly expect?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  /**
   * Server binaries and account for `postgres -C`, which checks every value (the running server's
   * pg_file_settings checks only names and syntax). Default: pg_config's BINDIR and the file's owner.
   */
  readonly offline?: { readonly binDir: string; readonly osUser?: string };
}

export interface ConfigApplyResult {
  readonly changed: boolean;
  readonly backupPath?: string;
  readonly diff: string;
  /** Settings whose new value waits for a server restart. */
  readonly restartNeeded: readonly string[];
}

/** SHA-256 of a text, to prove a file did not change. */
export function hashText(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Writes through a temp file and rename, keeping the original's owner and mode. */
async function writeKeepingAccess(path: string, content: string): Promise<void> {
  const st = await stat(path);
  const tmp = join(dirname(path), `.${basename(path)}.spsetup-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(tmp, content, { mode: st.mode & 0o7777 });
    await chmod(tmp, st.mode & 0o7777);
    if (process.getuid?.() === 0) await chown(tmp, st.uid, st.gid);
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Where to find `postgres` and whom to run it as (the data directory's owner); undefined when not here. */
async function findOfflineValidator(processes: Processes, conn: PgConnection, change: ConfigChange, dataDir: string): Promise<{ binDir: string; osUser?: string } | undefined> {
  let binDir = change.offline?.binDir;
  if (!binDir) {
    const rows = await conn.query<{ setting: string }>("SELECT setting FROM pg_config WHERE name = 'BINDIR'").catch(() => []);
    binDir = rows[0]?.setting;
  }
  if (!binDir || !existsSync(join(binDir, 'postgres'))) return undefined;
  const owner = process.platform === 'win32' ? undefined : await stat(dataDir).catch(() => undefined);
  const osUser = change.offline?.osUser ?? (owner ? await processes.lookupUserName(owner.uid) : undefined);
  return osUser === undefined ? { binDir } : { binDir, osUser };
}

/** The server's own complaints about its config files, as read now from disk. */
export async function configErrors(conn: PgConnection, kind: ConfigFileKind): Promise<{ errors: string[]; notApplied: string[] }> {
  if (kind === 'conf') {
    const rows = await conn.query<{ sourcefile: string | null; sourceline: number | null; name: string | null; error: string }>(
      'SELECT sourcefile, sourceline, name, error FROM pg_file_settings WHERE error IS NOT NULL',
    );
    // A changed restart-only setting shows up as "could not be applied" without its value being
    // checked: that is not an error in the file, but its value needs `postgres -C` to be checked.
    const notApplied = rows.filter((r) => r.name && /could not be applied/.test(r.error)).map((r) => r.name!);
    const errors = rows
      .filter((r) => !(r.name && /could not be applied/.test(r.error)))
      .map((r) => `${r.sourcefile ? basename(r.sourcefile) : 'postgresql.conf'} line ${r.sourceline ?? '?'}${r.name ? ` (${r.name})` : ''}: ${r.error}`);
    return { errors, notApplied };
  }
  const rows = await conn.query<{ line_number: number | null; error: string }>('SELECT line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL');
  return { errors: rows.map((r) => `pg_hba.conf line ${r.line_number ?? '?'}: ${r.error}`), notApplied: [] };
}

async function currentValues(conn: PgConnection, names: readonly string[]) {
  return conn.query<{ name: string; setting: string; shown: string; context: string; pending_restart: boolean }>(
    'SELECT name, setting, current_setting(name) AS shown, context, pending_restart FROM pg_settings WHERE name = ANY($1::text[])',
    [names.map((n) => n.toLowerCase())],
  );
}

/** Waits until each expected setting shows its value, or is pending a restart; returns the latter. */
async function confirmReload(conn: PgConnection, expect: Readonly<Record<string, string>>, timeoutMs: number): Promise<string[]> {
  const names = Object.keys(expect);
  if (names.length === 0) return [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await currentValues(conn, names);
    const pending: string[] = [];
    const missing: string[] = [];
    for (const name of names) {
      const want = expect[name]!;
      const row = rows.find((r) => r.name === name.toLowerCase());
      if (!row) missing.push(`${name} (unknown setting)`);
      else if (row.setting === want || row.shown === want) continue;
      else if (row.pending_restart || row.context === 'postmaster') pending.push(name);
      else missing.push(`${name} (still ${row.shown})`);
    }
    // pending_restart can lag the reload by a moment, like any other setting.
    const pendingConfirmed = rows.filter((r) => pending.includes(r.name) && r.pending_restart).length === pending.length;
    if (missing.length === 0 && pendingConfirmed) return pending;
    if (Date.now() > deadline) {
      throw new UserError('verify-failed', `PostgreSQL reloaded its configuration but does not show the new value of ${[...missing, ...pending].join(', ')}`, 'Another file (postgresql.auto.conf, an include, or the command line) may set it; check SELECT * FROM pg_file_settings.');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Applies a config file change to a running server: backup, write, validate by the server,
 * restore and throw 'config-invalid' when refused, else reload and confirm.
 */
export async function applyConfigToRunningServer(processes: Processes, conn: PgConnection, change: ConfigChange): Promise<ConfigApplyResult> {
  const before = await readFile(change.path, 'utf8').catch(() => {
    throw new UserError('not-found', `Cannot read ${change.path}`, 'Check the path of the PostgreSQL configuration file (SHOW config_file / SHOW hba_file).');
  });
  const diff = unifiedDiff(change.path, before, change.candidate);
  if (before === change.candidate) {
    const restartNeeded = await confirmReload(conn, change.expect ?? {}, change.timeoutMs ?? 5_000);
    return { changed: false, diff, restartNeeded };
  }
  // pg_file_settings checks names and syntax, not values: postgres -C checks every value, with
  // every include present, before anything is written.
  if (change.kind === 'conf') await validateRunningConfig(processes, conn, change);
  const backupPath = await change.backup(change.path);
  await writeKeepingAccess(change.path, change.candidate);
  let errors: string[];
  try {
    errors = (await configErrors(conn, change.kind)).errors;
  } catch (err) {
    await writeKeepingAccess(change.path, before);
    throw err;
  }
  if (errors.length > 0) {
    await writeKeepingAccess(change.path, before);
    throw new UserError(
      'config-invalid',
      `PostgreSQL refused the new ${basename(change.path)}; the file was left as it was. ${errors.slice(0, 5).join('; ')}`,
      'Correct the settings named above and try again.',
    );
  }
  await reload(conn);
  let restartNeeded: string[];
  try {
    restartNeeded = await confirmReload(conn, change.expect ?? {}, change.timeoutMs ?? 5_000);
  } catch (err) {
    // The server does not take the value from this file: put the file back as it was.
    await writeKeepingAccess(change.path, before);
    await reload(conn);
    throw err;
  }
  return backupPath === undefined ? { changed: true, diff, restartNeeded } : { changed: true, diff, backupPath, restartNeeded };
}

async function reload(conn: PgConnection): Promise<void> {
  const reloaded = await conn.query<{ ok: boolean }>('SELECT pg_reload_conf() AS ok');
  if (reloaded[0]?.ok !== true) {
    throw new UserError('apply-failed', 'PostgreSQL did not accept the reload signal', 'Reload it by hand (pg_ctl reload) and check the server log.');
  }
}

async function validateRunningConfig(processes: Processes, conn: PgConnection, change: ConfigChange): Promise<void> {
  const paths = await configPaths(conn);
  const offline = await findOfflineValidator(processes, conn, change, paths.dataDir);
  if (!offline) return;
  try {
    await validateConfig(processes, { ...offline, configFile: paths.conf, dataDir: paths.dataDir, edits: new Map([[change.path, change.candidate]]), names: ['port'] });
  } catch (err) {
    const detail = err instanceof Error ? err.message.replace(/^PostgreSQL cannot use this configuration: /, '') : String(err);
    throw new UserError('config-invalid', `PostgreSQL refused the new ${basename(change.path)}; the file was left as it was. ${detail}`, 'Correct the settings named above and try again.');
  }
}

/**
 * `postgres -C` on the running server's configuration with `edits` (real path -> candidate text)
 * in place, every include present; the effective values of `names`, or undefined when the server's
 * programs are not on this machine. Throws 'config-invalid' naming the real problem.
 */
export async function validateEdits(processes: Processes, conn: PgConnection, edits: ReadonlyMap<string, string>, names: readonly string[]): Promise<Readonly<Record<string, string>> | undefined> {
  const paths = await configPaths(conn);
  const offline = await findOfflineValidator(processes, conn, { kind: 'conf', path: paths.conf, candidate: '', backup: async () => undefined }, paths.dataDir);
  if (!offline) return undefined;
  return validateConfig(processes, { ...offline, configFile: paths.conf, dataDir: paths.dataDir, edits, names: names.length ? names : ['port'] });
}

export interface OfflineValidation {
  readonly binDir: string;
  /** The data (or config) directory holding postgresql.conf. */
  readonly dataDir: string;
  /** OS user that runs postgres (it refuses root). */
  readonly osUser?: string;
  /** Candidate postgresql.conf text (default: the current file). */
  readonly conf?: string;
  /** Settings to read back; their effective values are returned. */
  readonly names: readonly string[];
  readonly timeoutMs?: number;
}

/** Validates postgresql.conf for a stopped server whose config lives in its data directory. */
export async function validateConfigOffline(processes: Processes, opts: OfflineValidation): Promise<Readonly<Record<string, string>>> {
  const configFile = join(opts.dataDir, 'postgresql.conf');
  const edits = new Map(opts.conf === undefined ? [] : [[configFile, opts.conf]]);
  return validateConfig(processes, { binDir: opts.binDir, osUser: opts.osUser, configFile, dataDir: opts.dataDir, edits, names: opts.names, ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) });
}

/** The paths of the files a running server reads. */
export async function configPaths(conn: PgConnection): Promise<{ conf: string; hba: string; dataDir: string }> {
  const rows = await conn.query<{ conf: string; hba: string; data: string }>(
    "SELECT current_setting('config_file') AS conf, current_setting('hba_file') AS hba, current_setting('data_directory') AS data",
  );
  const r = rows[0];
  if (!r) throw new UserError('database', 'The server did not report its configuration file paths', 'Connect as a superuser.');
  return { conf: r.conf, hba: r.hba, dataDir: r.data };
}
