/**
 * Where each setting's value in effect comes from, and so where a change must be written for it to
 * take effect: pg_settings (the value in use, its source, pending_restart) and pg_file_settings
 * (every line of every configuration file the server would read now, in the order it reads them).
 * The last pg_file_settings row of a name wins; a value in postgresql.auto.conf is changed with
 * ALTER SYSTEM, one in an included file in that file, and one from the command line cannot be
 * changed by a file at all.
 */
import type { PgConnection } from './client.js';

export interface FileSettingRow {
  readonly sourcefile: string;
  readonly sourceline: number;
  readonly seqno: number;
  readonly setting: string;
  readonly applied: boolean;
  readonly error: string | null;
}

export interface SettingSource {
  readonly name: string;
  /** The value in use (pg_settings.setting). */
  readonly setting: string;
  /** pg_settings.source: default, configuration file, command line, environment variable, ... */
  readonly source: string;
  readonly sourcefile: string | null;
  readonly sourceline: number | null;
  readonly context: string;
  readonly pendingRestart: boolean;
  /** Every line that sets it, in the order the server reads them (the last wins). */
  readonly fileRows: readonly FileSettingRow[];
}

export interface ConfigFileError {
  readonly sourcefile: string | null;
  readonly sourceline: number | null;
  readonly name: string | null;
  readonly error: string;
}

export interface SettingsFacts {
  readonly configFile: string;
  readonly dataDir: string;
  readonly sources: Readonly<Record<string, SettingSource>>;
  /** Lines the server cannot use (a restart-only change waiting for its restart is not one). */
  readonly fileErrors: readonly ConfigFileError[];
}

const NOT_APPLIED = /could not be applied/;

/** Reads pg_settings and pg_file_settings for `names` (as a superuser). */
export async function readSettingsFacts(conn: PgConnection, names: readonly string[]): Promise<SettingsFacts> {
  const lower = names.map((n) => n.toLowerCase());
  const paths = (await conn.query<{ conf: string; data: string }>("SELECT current_setting('config_file') AS conf, current_setting('data_directory') AS data"))[0]!;
  const settings = await conn.query<{ name: string; setting: string; source: string; sourcefile: string | null; sourceline: number | null; context: string; pending_restart: boolean }>(
    'SELECT name, setting, source, sourcefile, sourceline, context, pending_restart FROM pg_settings WHERE name = ANY($1::text[])',
    [lower],
  );
  const rows = await conn.query<{ sourcefile: string | null; sourceline: number | null; seqno: number; name: string | null; setting: string | null; applied: boolean; error: string | null }>(
    'SELECT sourcefile, sourceline, seqno, name, setting, applied, error FROM pg_file_settings ORDER BY seqno',
  );
  const sources: Record<string, SettingSource> = {};
  for (const s of settings) {
    const fileRows = rows
      .filter((r) => r.name === s.name && r.sourcefile !== null && r.setting !== null)
      .map((r) => ({ sourcefile: r.sourcefile!, sourceline: r.sourceline ?? 0, seqno: r.seqno, setting: r.setting!, applied: r.applied, error: r.error }));
    sources[s.name] = { name: s.name, setting: s.setting, source: s.source, sourcefile: s.sourcefile, sourceline: s.sourceline, context: s.context, pendingRestart: s.pending_restart, fileRows };
  }
  const fileErrors = rows.filter((r) => r.error !== null && !(r.name && NOT_APPLIED.test(r.error))).map((r) => ({ sourcefile: r.sourcefile, sourceline: r.sourceline, name: r.name, error: r.error! }));
  return { configFile: paths.conf, dataDir: paths.data, sources, fileErrors };
}

/** Where a setting's change goes. */
export type SettingTarget =
  /** Already in effect. */
  | { readonly kind: 'in-effect' }
  /** The files already hold it; it waits for a restart. */
  | { readonly kind: 'restart' }
  /** Edit this file (the one whose line wins, or postgresql.conf when no file sets it). */
  | { readonly kind: 'file'; readonly path: string; readonly line?: number }
  /** postgresql.auto.conf wins: ALTER SYSTEM, with the value it holds now (to undo). */
  | { readonly kind: 'alter-system'; readonly previous: string }
  /** No file can change it (the command line, the environment): why, in words. */
  | { readonly kind: 'refused'; readonly reason: string };

export interface SettingChange {
  readonly name: string;
  readonly value: string;
  readonly current: string;
  readonly target: SettingTarget;
}

/** Two values of a setting compare equal (list settings such as listen_addresses ignore spaces). */
export function sameSettingValue(name: string, a: string, b: string): boolean {
  if (name.toLowerCase() === 'listen_addresses') return a.split(',').map((x) => x.trim()).join(',') === b.split(',').map((x) => x.trim()).join(',');
  return a === b;
}

/** The postgresql.auto.conf of a data directory. */
export function autoConfPath(dataDir: string): string {
  return `${dataDir.replace(/[\\/]+$/, '')}/postgresql.auto.conf`;
}

function where(row: FileSettingRow): string {
  return `${row.sourcefile} line ${row.sourceline}`;
}

/** Decides, for each wanted value, where it must be written to take effect. Pure. */
export function settingTargets(facts: SettingsFacts, wanted: Readonly<Record<string, string>>): SettingChange[] {
  const auto = autoConfPath(facts.dataDir);
  return Object.entries(wanted).map(([name, value]): SettingChange => {
    const s = facts.sources[name.toLowerCase()];
    if (!s) return { name, value, current: '', target: { kind: 'refused', reason: `${name} is not a setting of this server` } };
    const base = { name, value, current: s.setting };
    const winner = s.fileRows.at(-1);
    const inUse = sameSettingValue(name, s.setting, value);
    if (inUse && !s.pendingRestart) return { ...base, target: { kind: 'in-effect' } };
    if (s.source !== 'default' && s.source !== 'configuration file') {
      return { ...base, target: { kind: 'refused', reason: `${name} = ${s.setting} comes from the ${s.source} (pg_settings.source), which overrides every configuration file: change it where the server is started (for example postmaster.opts or the service's start command)` } };
    }
    if (winner && sameSettingValue(name, winner.setting, value)) return { ...base, target: inUse ? { kind: 'in-effect' } : { kind: 'restart' } };
    if (winner && winner.sourcefile === auto) return { ...base, target: { kind: 'alter-system', previous: winner.setting } };
    if (winner) return { ...base, target: { kind: 'file', path: winner.sourcefile, line: winner.sourceline } };
    return { ...base, target: { kind: 'file', path: facts.configFile } };
  });
}

/** One line per change for a plan: what is set where and why there. */
export function describeTarget(change: SettingChange, facts: SettingsFacts): string {
  const t = change.target;
  const winner = facts.sources[change.name.toLowerCase()]?.fileRows.at(-1);
  switch (t.kind) {
    case 'in-effect':
      return `${change.name} = ${change.value} (in effect)`;
    case 'restart':
      return `${change.name} = ${change.value} (set in ${winner ? where(winner) : 'the files'}; waits for a restart)`;
    case 'alter-system':
      return `${change.name} = ${change.value} by ALTER SYSTEM (postgresql.auto.conf holds the value in effect, ${t.previous}, and overrides postgresql.conf)`;
    case 'file':
      return t.line !== undefined
        ? `${change.name} = ${change.value} in ${t.path} (line ${t.line} there holds the value in effect, ${change.current}${t.path === facts.configFile ? '' : ', and overrides postgresql.conf'})`
        : `${change.name} = ${change.value} in ${t.path} (no file sets it yet)`;
    case 'refused':
      return `${change.name}: ${t.reason}`;
  }
}
