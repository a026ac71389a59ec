/**
 * The repository database in a site backup: a pg_dump (custom format) taken from an exported
 * snapshot, with every product table's row count and content digest computed in that same
 * snapshot, so the digests describe exactly what the dump holds even while the site runs. spsetup's
 * own schema (operations, heartbeats) is left out: restoring it would replay or forget operations.
 * The restore runs pg_restore's script through psql in one transaction: all of it or nothing.
 */
import { UserError } from '../../shared/errors.js';
import type { PgConnection } from '../../system/postgres/index.js';
import type { System } from '../../system/system.js';
import type { DatabaseSsl } from '../../shared/settings.js';
import type { ManifestBody, TableDigest } from './manifest.js';

export const EXCLUDED_SCHEMAS = ['spsetup'] as const;

export interface DbLogin {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly ssl: DatabaseSsl;
  /** The CA that signed the server's certificate (verify-full). */
  readonly caFile?: string;
}

/** A connection for the backup's long queries (an hour per query at most). */
export function connectLogin(sys: System, login: DbLogin): Promise<PgConnection> {
  return sys.postgres.connect({ host: login.host, port: login.port, user: login.user, password: login.password, database: login.database, ssl: login.ssl, ...(login.caFile ? { caFile: login.caFile } : {}), timeoutMs: 60 * 60_000 });
}

export interface DbContent {
  readonly tables: TableDigest[];
  readonly sequences: ManifestBody['database']['sequences'];
}

const SYSTEM_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'spsetup') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'`;

/** The product tables and sequences, each name quoted by the server (format %I). */
async function listRelations(conn: PgConnection): Promise<{ tables: string[]; sequences: string[] }> {
  const rows = await conn.query<{ q: string; kind: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS q, c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'S') AND ${SYSTEM_SCHEMAS} ORDER BY 1`,
  );
  return { tables: rows.filter((r) => r.kind === 'r').map((r) => r.q), sequences: rows.filter((r) => r.kind === 'S').map((r) => r.q) };
}

/** Row count and an md5 over the sorted md5s of its rows' text of each product table (32 bytes a row in memory), and each sequence's position. */
export async function readContent(conn: PgConnection): Promise<DbContent> {
  const { tables, sequences } = await listRelations(conn);
  const digests: TableDigest[] = [];
  // The names come from the server's own format('%I.%I'), never from input.
  for (const t of tables) {
    const [row] = await conn.query<{ rows: string; md5: string }>(`SELECT count(*)::text AS rows, md5(coalesce(string_agg(md5(x::text), '' ORDER BY md5(x::text)), '')) AS md5 FROM ${t} x`);
    digests.push({ name: t, rows: Number(row!.rows), md5: row!.md5 });
  }
  const seqs: DbContent['sequences'] = [];
  for (const s of sequences) {
    const [row] = await conn.query<{ last_value: string; is_called: boolean }>(`SELECT last_value::text AS last_value, is_called FROM ${s}`);
    seqs.push({ name: s, lastValue: row!.last_value, isCalled: row!.is_called });
  }
  return { tables: digests, sequences: seqs };
}

/** How the database differs from what the backup holds (empty when equal). */
export function compareContent(backup: DbContent, now: DbContent): string[] {
  const out: string[] = [];
  const have = new Map(now.tables.map((t) => [t.name, t]));
  for (const t of backup.tables) {
    const n = have.get(t.name);
    if (!n) out.push(`table ${t.name} is missing (backup: ${t.rows} rows)`);
    else if (n.md5 !== t.md5) out.push(`table ${t.name}: ${n.rows} rows, content differs (backup: ${t.rows} rows)`);
  }
  const names = new Set(backup.tables.map((t) => t.name));
  for (const t of now.tables) if (!names.has(t.name)) out.push(`table ${t.name} is not in the backup (${t.rows} rows)`);
  const seqs = new Map(now.sequences.map((s) => [s.name, s]));
  for (const s of backup.sequences) {
    const n = seqs.get(s.name);
    if (!n) out.push(`sequence ${s.name} is missing`);
    else if (n.lastValue !== s.lastValue || n.isCalled !== s.isCalled) out.push(`sequence ${s.name} is at ${n.lastValue} (backup: ${s.lastValue})`);
  }
  return out;
}

/** PostgreSQL's client programs of this major version or the nearest newer one (pg_dump must not be older than the server). */
export async function clientBinDir(sys: System, major: number): Promise<{ binDir: string; major: number }> {
  for (let m = major; m <= 18; m++) {
    const binDir = `/usr/lib/postgresql/${m}/bin`;
    const found = await Promise.all(['pg_dump', 'pg_restore', 'psql'].map((p) => sys.files.stat(`${binDir}/${p}`)));
    if (found.every((s) => s?.kind === 'file')) return { binDir, major: m };
  }
  throw new UserError('not-found', `PostgreSQL ${major}'s client programs (pg_dump, pg_restore, psql) are not installed here.`, `Install postgresql-client-${major} (or the server package postgresql-${major}) on this node.`);
}

function clientEnv(login: DbLogin): Record<string, string> {
  return { PGPASSWORD: login.password, PGSSLMODE: login.ssl, ...(login.caFile ? { PGSSLROOTCERT: login.caFile } : {}), PGCONNECT_TIMEOUT: '10', PGAPPNAME: 'spsetup site backup' };
}

const connArgs = (l: DbLogin) => ['-h', l.host, '-p', String(l.port), '-U', l.user];
const firstLine = (text: string) => text.trim().split('\n').find((l) => l.trim()) ?? '';

/**
 * Dumps the database as of a snapshot exported from `conn` (which must hold it open), leaving out
 * spsetup's schema, and returns the product content of that same snapshot.
 */
export async function dumpDatabase(sys: System, conn: PgConnection, login: DbLogin, binDir: string, file: string): Promise<DbContent> {
  await conn.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
  try {
    const [snap] = await conn.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
    const content = await readContent(conn);
    const res = await sys.processes.run(
      `${binDir}/pg_dump`,
      ['--format=custom', '--no-password', `--snapshot=${snap!.id}`, ...EXCLUDED_SCHEMAS.map((s) => `--exclude-schema=${s}`), ...connArgs(login), '-f', file, login.database],
      { env: clientEnv(login), secrets: [login.password], allowFailure: true, timeoutMs: 6 * 60 * 60_000 },
    );
    if (res.code !== 0) throw new UserError('database', `pg_dump of ${login.database} failed: ${firstLine(res.stderr)}`, 'Check that the repository database runs and the repository user may read every table, then run the backup again.');
    return content;
  } finally {
    await conn.query('COMMIT').catch(() => undefined);
  }
}

/** pg_restore --list of a dump: proves pg_restore can read every entry of its table of contents. */
export async function listDump(sys: System, binDir: string, file: string): Promise<string[]> {
  const res = await sys.processes.run(`${binDir}/pg_restore`, ['--list', file], { allowFailure: true, timeoutMs: 10 * 60_000 });
  if (res.code !== 0) throw new UserError('invalid-input', `The database dump ${file} cannot be read by pg_restore: ${firstLine(res.stderr)}`, 'Use another backup, or make a new one.');
  return res.stdout.split('\n').filter((l) => l && !l.startsWith(';'));
}

/**
 * Replaces the product's objects with the dump's, in one transaction: tables the backup does not
 * know are dropped, then pg_restore's script (--clean --if-exists) runs through psql -1, so a
 * failure anywhere leaves the database as it was. `workDir` is a private folder for the script.
 */
export async function restoreDatabase(sys: System, conn: PgConnection, login: DbLogin, binDir: string, dump: string, backupTables: readonly string[], workDir: string): Promise<{ droppedTables: string[] }> {
  const script = `${workDir}/restore.sql`;
  const wrapper = `${workDir}/restore-wrapper.sql`;
  const made = await sys.processes.run(`${binDir}/pg_restore`, ['--clean', '--if-exists', '--no-owner', '--exit-on-error', '-f', script, dump], { allowFailure: true, timeoutMs: 60 * 60_000 });
  if (made.code !== 0) throw new UserError('invalid-input', `pg_restore cannot read the dump ${dump}: ${firstLine(made.stderr)}`, 'Use another backup.');
  await sys.files.setAccess(script, { mode: 0o600 });
  const known = new Set(backupTables);
  const extra = (await listRelations(conn)).tables.filter((t) => !known.has(t));
  const psqlPath = (p: string) => `'${p.replace(/'/g, "''")}'`;
  await sys.files.writeAtomic(wrapper, `${extra.map((t) => `DROP TABLE IF EXISTS ${t} CASCADE;\n`).join('')}\\i ${psqlPath(script)}\n`, { mode: 0o600 });
  const res = await sys.processes.run(`${binDir}/psql`, ['-X', '-q', '--no-password', '--single-transaction', '-v', 'ON_ERROR_STOP=1', ...connArgs(login), '-d', login.database, '-f', wrapper], {
    env: clientEnv(login),
    secrets: [login.password],
    allowFailure: true,
    timeoutMs: 6 * 60 * 60_000,
  });
  if (res.code !== 0) throw new UserError('database', `Restoring ${login.database} failed and was rolled back (the database is as it was): ${firstLine(res.stderr)}`, 'Read the message; fix the cause (e.g. a session holding a lock), then run the restore again.');
  return { droppedTables: extra };
}
