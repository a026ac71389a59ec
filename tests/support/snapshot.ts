import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** What a file looks like, without its content (a hash only: snapshots never hold secrets). */
export interface FileEntry {
  readonly kind: 'file' | 'dir' | 'link' | 'other';
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly sha256?: string | undefined;
  readonly target?: string;
}

export interface DatabaseCatalog {
  /** "name attr,attr" per role (no password hashes). */
  readonly roles: readonly string[];
  /** "name owner=role" per database. */
  readonly databases: readonly string[];
  /** "db.schema.table" -> row count (or -1 when the database could not be read). */
  readonly tables: Readonly<Record<string, number>>;
}

export interface Snapshot {
  readonly files: Readonly<Record<string, FileEntry>>;
  readonly database?: DatabaseCatalog | { readonly unreachable: string };
  /** "serviceDir/name" -> sv status word and intent, e.g. "run" or "down (normally up)". */
  readonly services: Readonly<Record<string, string>>;
}

export interface PgSnapshotOptions {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password?: string;
  /** Database to read the catalog from (default postgres). */
  readonly database?: string;
}

export interface SnapshotOptions {
  readonly roots: readonly string[];
  readonly pg?: PgSnapshotOptions;
  readonly serviceDirs?: readonly string[];
  /** Paths matching any of these are left out (with everything under them). */
  readonly ignore?: readonly RegExp[];
}

/** Records the machine state a test cares about: files under roots, the database catalog, runit services. */
export async function takeSnapshot(options: SnapshotOptions): Promise<Snapshot> {
  const files: Record<string, FileEntry> = {};
  for (const root of options.roots) await walk(root, files, options.ignore ?? []);
  const services: Record<string, string> = {};
  for (const dir of options.serviceDirs ?? []) Object.assign(services, await serviceStates(dir));
  if (!options.pg) return { files, services };
  return { files, services, database: await readCatalog(options.pg) };
}

/** Human-readable differences from `a` to `b`; empty when they are the same. */
export function diffSnapshots(a: Snapshot, b: Snapshot): string[] {
  const out: string[] = [];
  for (const path of union(a.files, b.files)) {
    const x = a.files[path];
    const y = b.files[path];
    if (!x) out.push(`added ${y?.kind} ${path}`);
    else if (!y) out.push(`removed ${x.kind} ${path}`);
    else {
      if (x.kind !== y.kind) out.push(`kind of ${path}: ${x.kind} -> ${y.kind}`);
      if (x.mode !== y.mode) out.push(`mode of ${path}: ${octal(x.mode)} -> ${octal(y.mode)}`);
      if (x.uid !== y.uid || x.gid !== y.gid) out.push(`owner of ${path}: ${x.uid}:${x.gid} -> ${y.uid}:${y.gid}`);
      if (x.sha256 !== y.sha256) out.push(`content of ${path} changed`);
      if (x.target !== y.target) out.push(`link ${path}: ${x.target} -> ${y.target}`);
    }
  }
  for (const name of union(a.services, b.services)) {
    if (a.services[name] !== b.services[name]) out.push(`service ${name}: ${a.services[name] ?? 'absent'} -> ${b.services[name] ?? 'absent'}`);
  }
  out.push(...diffDatabase(a.database, b.database));
  return out;
}

function diffDatabase(a: Snapshot['database'], b: Snapshot['database']): string[] {
  if (a === undefined && b === undefined) return [];
  if (!a || !b || 'unreachable' in a || 'unreachable' in b) {
    const show = (d: Snapshot['database']): string => (d === undefined ? 'not taken' : 'unreachable' in d ? `unreachable (${d.unreachable})` : 'reachable');
    return show(a) === show(b) ? [] : [`database: ${show(a)} -> ${show(b)}`];
  }
  const out: string[] = [];
  const lists = (what: string, x: readonly string[], y: readonly string[]): void => {
    for (const item of x) if (!y.includes(item)) out.push(`${what} removed or changed: ${item}`);
    for (const item of y) if (!x.includes(item)) out.push(`${what} added or changed: ${item}`);
  };
  lists('role', a.roles, b.roles);
  lists('database', a.databases, b.databases);
  for (const table of union(a.tables, b.tables)) {
    const x = a.tables[table];
    const y = b.tables[table];
    if (x === undefined) out.push(`table added: ${table} (${y} rows)`);
    else if (y === undefined) out.push(`table removed: ${table}`);
    else if (x !== y) out.push(`rows of ${table}: ${x} -> ${y}`);
  }
  return out;
}

async function walk(path: string, files: Record<string, FileEntry>, ignore: readonly RegExp[]): Promise<void> {
  if (ignore.some((re) => re.test(path))) return;
  let s;
  try {
    s = await lstat(path);
  } catch {
    return;
  }
  const base = { mode: s.mode & 0o7777, uid: s.uid, gid: s.gid };
  if (s.isSymbolicLink()) files[path] = { kind: 'link', ...base, target: await readlink(path) };
  else if (s.isFile()) files[path] = { kind: 'file', ...base, sha256: await hashFile(path) };
  else if (s.isDirectory()) {
    files[path] = { kind: 'dir', ...base };
    const entries = await readdir(path).catch(() => []);
    for (const entry of entries.sort()) await walk(join(path, entry), files, ignore);
  } else files[path] = { kind: 'other', ...base };
}

async function hashFile(path: string): Promise<string> {
  try {
    return createHash('sha256').update(await readFile(path)).digest('hex');
  } catch {
    return 'unreadable';
  }
}

async function serviceStates(dir: string): Promise<Record<string, string>> {
  const states: Record<string, string> = {};
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const name of entries.filter((n) => !n.startsWith('.')).sort()) {
    const res = await run('sv', ['status', join(dir, name)], { timeout: 15_000 }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
    const line = res.stdout.trim().split('\n')[0] ?? '';
    const word = /^(\w+):/.exec(line)?.[1] ?? 'unknown';
    const intent = /normally (up|down)/.exec(line)?.[0];
    states[join(dir, name)] = intent ? `${word} (${intent})` : word;
  }
  return states;
}

async function readCatalog(options: PgSnapshotOptions): Promise<DatabaseCatalog | { unreachable: string }> {
  let main: pg.Client;
  try {
    main = await connect(options, options.database ?? 'postgres');
  } catch (err) {
    return { unreachable: (err as { code?: string }).code ?? 'connection failed' };
  }
  try {
    const roles = await main.query<{ line: string }>(
      `SELECT rolname || ' ' || concat_ws(',', CASE WHEN rolsuper THEN 'super' END, CASE WHEN rolcanlogin THEN 'login' END,
              CASE WHEN rolcreatedb THEN 'createdb' END, CASE WHEN rolcreaterole THEN 'createrole' END,
              CASE WHEN rolreplication THEN 'replication' END, 'connlimit=' || rolconnlimit) AS line
         FROM pg_roles WHERE rolname NOT LIKE 'pg\\_%' ORDER BY rolname`,
    );
    const dbs = await main.query<{ datname: string; owner: string; datallowconn: boolean }>(
      `SELECT datname, pg_get_userbyid(datdba) AS owner, datallowconn FROM pg_database WHERE NOT datistemplate ORDER BY datname`,
    );
    const tables: Record<string, number> = {};
    for (const db of dbs.rows) {
      if (!db.datallowconn) continue;
      Object.assign(tables, await countRows(options, db.datname));
    }
    return { roles: roles.rows.map((r) => r.line), databases: dbs.rows.map((d) => `${d.datname} owner=${d.owner}`), tables };
  } finally {
    await main.end();
  }
}

async function countRows(options: PgSnapshotOptions, database: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let client: pg.Client;
  try {
    client = await connect(options, database);
  } catch {
    counts[`${database}.*`] = -1;
    return counts;
  }
  try {
    const tables = await client.query<{ nspname: string; relname: string }>(
      `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
        ORDER BY 1, 2`,
    );
    for (const t of tables.rows) {
      const key = `${database}.${t.nspname}.${t.relname}`;
      try {
        const res = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${client.escapeIdentifier(t.nspname)}.${client.escapeIdentifier(t.relname)}`);
        counts[key] = Number(res.rows[0]?.n ?? -1);
      } catch {
        counts[key] = -1;
      }
    }
  } finally {
    await client.end();
  }
  return counts;
}

async function connect(options: PgSnapshotOptions, database: string): Promise<pg.Client> {
  const client = new pg.Client({
    host: options.host,
    port: options.port,
    user: options.user,
    password: options.password,
    database,
    connectionTimeoutMillis: 10_000,
    statement_timeout: 10_000,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

function union(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
}

function octal(mode: number): string {
  return `0${mode.toString(8)}`;
}
