/**
 * A small PostgreSQL client over `pg` with bounded timeouts, idempotent role and database
 * creation, and errors a person can act on. Identifiers and literals only ever go through pg's
 * escapeIdentifier/escapeLiteral; passwords reach the server only as verifiers.
 */
import { readFile } from 'node:fs/promises';
import { Client, escapeIdentifier, escapeLiteral } from 'pg';
import type { ClientConfig } from 'pg';
import { UserError } from '../../shared/errors.js';
import type { DatabaseSsl } from '../../shared/settings.js';
import { md5Verifier, scramVerifier, verifierMatches } from './scram.js';

/** How the client uses SSL: the settings' choice, or verify-full with a CA (not to be confused with the vendor's Ssl Mode). */
export type PgSslMode = DatabaseSsl | 'verify-full';

export interface PgConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database?: string;
  readonly ssl?: PgSslMode;
  /** PEM CA certificate for verify-full. */
  readonly ca?: string;
  /** A file holding the PEM CA certificate for verify-full (read when connecting). */
  readonly caFile?: string | undefined;
  /** Bound on connecting and on each query (default 10 s). */
  readonly timeoutMs?: number;
}

export interface PgSetting {
  readonly name: string;
  readonly setting: string;
  readonly unit: string | null;
  readonly context: string;
  readonly pendingRestart: boolean;
  readonly sourcefile: string | null;
}

export interface EnsureResult {
  readonly created: boolean;
  readonly changed: boolean;
}

/** An open connection with the operations the installer needs. */
export interface PgConnection {
  readonly options: Readonly<Omit<PgConnectOptions, 'password'>>;
  serverVersionNum(): Promise<number>;
  readSettings(names: readonly string[]): Promise<Readonly<Record<string, PgSetting>>>;
  roleExists(role: string): Promise<boolean>;
  /** Creates the LOGIN role, or updates its password (and LOGIN) when they differ. */
  /** `storage` md5 (asked for): a new password stored as md5, a verifier of the same password kept whatever its kind. */
  ensureRole(role: string, password: string, storage?: 'scram' | 'md5'): Promise<EnsureResult>;
  databaseExists(name: string): Promise<boolean>;
  /** Creates the database owned by `owner`, or hands an existing one to `owner`. */
  ensureDatabase(name: string, owner: string): Promise<EnsureResult>;
  /** A parameterised query (values as $1..$n), for the few reads other modules need. */
  query<T extends Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNRESET']);

function mask(text: string, secret: string): string {
  return secret.length > 0 ? text.split(secret).join('***') : text;
}

/** Maps a pg or socket error to a UserError with a fix; never includes the password. */
export function toPgUserError(err: unknown, opts: Omit<PgConnectOptions, 'password'> & { password?: string }): UserError {
  if (err instanceof UserError) return err;
  const e = err as { code?: string; message?: string };
  const where = `${opts.host}:${opts.port}`;
  const raw = mask(String(e.message ?? err), opts.password ?? '');
  const db = opts.database ?? 'postgres';
  if (e.code === '28P01') {
    return new UserError('database', `The database refused the password for user ${opts.user}.`, `Check the password of ${opts.user} on the server at ${where}, or set it again with the superuser.`);
  }
  if (e.code === '28000' && /rejects connection/.test(raw) && /no encryption/.test(raw)) {
    return new UserError('database', `The database server at ${where} accepts user ${opts.user} only over SSL.`, 'Set database.ssl to "require" or "verify-full" (the server has SSL on and refuses unencrypted connections).');
  }
  const tlsCode = (err as { code?: string }).code ?? '';
  if (/^(ERR_TLS_CERT_ALTNAME_INVALID|CERT_HAS_EXPIRED|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|CERT_NOT_YET_VALID)$/.test(tlsCode)) {
    return new UserError('database', `The database server at ${where} presented a certificate that cannot be trusted (${tlsCode}): ${raw}.`, 'Check that database.host is a name in the server certificate and that database.tls.caFile is the CA that signed it.');
  }
  if (e.code === '28000') {
    const host = /host "([^"]+)"/.exec(raw)?.[1];
    const address = host ? `${host}/${host.includes(':') ? 128 : 32}` : '<this node address>/32';
    const type = opts.ssl && opts.ssl !== 'disable' ? 'hostssl' : 'host';
    return new UserError(
      'database',
      `The database server at ${where} has no pg_hba.conf entry that lets user ${opts.user} connect to ${db}${host ? ` from ${host}` : ''}`,
      `Add this line to pg_hba.conf before the other host lines, then reload: ${type} ${db} ${opts.user} ${address} scram-sha-256`,
    );
  }
  if (e.code === '3D000') return new UserError('database', `The database ${db} does not exist on ${where}.`, 'Create it, or check the database name.');
  if (e.code === '42501') return new UserError('permission-denied', `User ${opts.user} is not allowed to do this on ${where}: ${raw}.`, 'Use the database superuser (or a role with CREATEROLE and CREATEDB).');
  if (e.code === '57P03') return new UserError('database', `The database server at ${where} is starting up or shutting down.`, 'Wait a moment and try again.');
  if (e.code && NETWORK_CODES.has(e.code)) {
    return new UserError('network', `Cannot reach the database server at ${where} (${e.code}).`, `Check that PostgreSQL runs there, listens on port ${opts.port} (listen_addresses) and that no firewall blocks it.`);
  }
  if (/timeout/i.test(raw)) {
    return new UserError('network', `The database server at ${where} did not answer in time.`, `Check the host name, port ${opts.port} and the firewall.`);
  }
  if (/does not support SSL/i.test(raw)) return new UserError('database', `The database server at ${where} does not accept SSL connections.`, 'Turn SSL off for this connection, or enable ssl on the server.');
  return new UserError('database', `The database server at ${where} reported: ${raw}.`, 'Check the database settings and the server log.');
}

/** node-postgres's ssl option: require encrypts without checking, verify-full checks the chain (against the CA) and the host name. */
export async function sslConfig(opts: Pick<PgConnectOptions, 'ssl' | 'ca' | 'caFile'>): Promise<ClientConfig['ssl']> {
  if (!opts.ssl || opts.ssl === 'disable') return false;
  if (opts.ssl === 'require') return { rejectUnauthorized: false };
  let ca = opts.ca;
  if (ca === undefined && opts.caFile !== undefined) {
    ca = await readFile(opts.caFile, 'utf8').catch((err: unknown) => {
      throw new UserError('not-found', `Cannot read the database CA certificate ${opts.caFile} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`, 'Give the site CA certificate (database.tls.caFile), or use database.ssl "require".');
    });
  }
  return ca ? { rejectUnauthorized: true, ca } : { rejectUnauthorized: true };
}

/**
 * Ends a client within `ms`: end() waits for the server to see the goodbye, which over a lost link
 * (a database machine cut off) takes until TCP gives up, minutes later; then the socket is dropped.
 */
export async function endClient(client: Client, ms = 2_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([
    client.end().then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]);
  clearTimeout(timer);
  if (!ended) (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

/** The node-postgres settings every spsetup connection shares: endpoint, login, TLS, connect timeout. */
export async function clientConfig(opts: PgConnectOptions, applicationName: string): Promise<ClientConfig> {
  return {
    host: opts.host,
    port: opts.port,
    user: opts.user,
    password: opts.password,
    database: opts.database ?? 'postgres',
    ssl: await sslConfig(opts),
    connectionTimeoutMillis: opts.timeoutMs ?? 10_000,
    application_name: applicationName,
  };
}

/** Connects within a bounded time; failures become UserErrors. */
export async function connectPostgres(opts: PgConnectOptions): Promise<PgConnection> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const client = new Client({ ...(await clientConfig(opts, 'spsetup')), query_timeout: timeoutMs });
  // An idle connection that drops must not crash the process.
  client.on('error', () => undefined);
  const { password: _password, ...publicOpts } = opts;
  try {
    await client.connect();
  } catch (err) {
    await endClient(client);
    throw toPgUserError(err, opts);
  }
  return createConnection(client, publicOpts, opts.password);
}

function createConnection(client: Client, options: Omit<PgConnectOptions, 'password'>, password: string): PgConnection {
  const errOpts = { ...options, password };
  const query = async <T extends Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<T[]> => {
    try {
      return (await client.query<T>(sql, [...params])).rows;
    } catch (err) {
      throw toPgUserError(err, errOpts);
    }
  };
  const serverVersionNum = async () => Number((await query<{ v: string }>("SELECT current_setting('server_version_num') AS v"))[0]?.v);
  const roleExists = async (role: string) => (await query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).length > 0;
  const databaseExists = async (name: string) => (await query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).length > 0;

  /** The verifier the server would store: SCRAM from PostgreSQL 10 on, md5 before. */
  const verifierFor = async (role: string, pw: string, storage: 'scram' | 'md5' = 'scram') => ((await serverVersionNum()) >= 100000 && storage === 'scram' ? scramVerifier(pw) : md5Verifier(pw, role));

  /** The stored verifier when we may read pg_authid (superuser), else undefined. */
  const storedVerifier = async (role: string): Promise<string | null | undefined> => {
    const canRead = (await query<{ ok: boolean }>('SELECT rolsuper AS ok FROM pg_roles WHERE rolname = current_user'))[0]?.ok === true;
    if (!canRead) return undefined;
    return (await query<{ p: string | null }>('SELECT rolpassword AS p FROM pg_authid WHERE rolname = $1', [role]))[0]?.p ?? null;
  };

  return {
    options,
    serverVersionNum,
    roleExists,
    databaseExists,
    query,
    async readSettings(names) {
      const rows = await query<{ name: string; setting: string; unit: string | null; context: string; pending_restart: boolean; sourcefile: string | null }>(
        'SELECT name, setting, unit, context, pending_restart, sourcefile FROM pg_settings WHERE name = ANY($1::text[])',
        [names.map((n) => n.toLowerCase())],
      );
      return Object.fromEntries(
        rows.map((r) => [r.name, { name: r.name, setting: r.setting, unit: r.unit, context: r.context, pendingRestart: r.pending_restart, sourcefile: r.sourcefile }]),
      );
    },
    async ensureRole(role, pw, storage = 'scram') {
      if (role === '' || pw === '') throw new UserError('invalid-input', 'A database role needs a name and a password.', 'Give both.');
      const ident = escapeIdentifier(role);
      if (!(await roleExists(role))) {
        await query(`CREATE ROLE ${ident} LOGIN PASSWORD ${escapeLiteral(await verifierFor(role, pw, storage))}`);
        return { created: true, changed: true };
      }
      const login = (await query<{ l: boolean }>('SELECT rolcanlogin AS l FROM pg_roles WHERE rolname = $1', [role]))[0]?.l === true;
      const stored = await storedVerifier(role);
      // An md5 verifier of the same password is stored again as SCRAM where the server has it.
      const scram = (await serverVersionNum()) >= 100000;
      const samePassword = typeof stored === 'string' && (storage === 'md5' || stored.startsWith('SCRAM-SHA-256$') === scram) && verifierMatches(stored, pw, role);
      if (login && samePassword) return { created: false, changed: false };
      const parts = [login ? '' : ' LOGIN', samePassword ? '' : ` PASSWORD ${escapeLiteral(await verifierFor(role, pw, storage))}`].join('');
      await query(`ALTER ROLE ${ident}${parts}`);
      return { created: false, changed: true };
    },
    async ensureDatabase(name, owner) {
      if (name === '' || owner === '') throw new UserError('invalid-input', 'A database needs a name and an owner.', 'Give both.');
      const row = (await query<{ owner: string }>('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [name]))[0];
      if (!row) {
        // CREATE DATABASE cannot take parameters: both names go through escapeIdentifier.
        await query(`CREATE DATABASE ${escapeIdentifier(name)} OWNER ${escapeIdentifier(owner)}`);
        return { created: true, changed: true };
      }
      if (row.owner === owner) return { created: false, changed: false };
      await query(`ALTER DATABASE ${escapeIdentifier(name)} OWNER TO ${escapeIdentifier(owner)}`);
      return { created: false, changed: true };
    },
    async close() {
      await endClient(client);
    },
  };
}
