/**
 * The repository connection string in the vendor's (Npgsql / ADO.NET) format:
 *   User ID=qliksenserepository;Host=db;Password='secret';Port=4432;Database=QSR;Pooling=true;
 *   Min Pool Size=0;Max Pool Size=90;Connection Lifetime=3600;Unicode=true;[Ssl Mode=Require;]
 * Pure (it imports only pure shared modules), so the reference product's programs can carry it
 * to the installed node.
 * Error messages name keys and positions, never values (a value may be the password).
 */

import { REPOSITORY_DATABASE } from './repository-database.js';

/** The vendor's Ssl Mode values (Npgsql's names). */
export const SSL_MODES = ['Disable', 'Allow', 'Prefer', 'Require', 'VerifyCA', 'VerifyFull'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** What a caller supplies; everything but user, host and password has the vendor's default. */
export interface ConnectionFieldsInput {
  readonly userId: string;
  readonly host: string;
  readonly password: string;
  readonly port?: number | undefined;
  readonly database?: string | undefined;
  readonly pooling?: boolean | undefined;
  readonly minPoolSize?: number | undefined;
  readonly maxPoolSize?: number | undefined;
  readonly connectionLifetime?: number | undefined;
  readonly unicode?: boolean | undefined;
  /** Absent means no `Ssl Mode` key (unencrypted, as the vendor writes it). */
  readonly sslMode?: SslMode | undefined;
  /** Npgsql's `Root Certificate`: the CA file a VerifyCA/VerifyFull connection trusts. */
  readonly rootCertificate?: string | undefined;
  /** Keys we do not model, kept in order so an edit round-trips. */
  readonly extra?: readonly (readonly [string, string])[];
}

/** A parsed connection string with the vendor's defaults filled in. */
export interface ConnectionFields {
  readonly userId: string;
  readonly host: string;
  readonly password: string;
  readonly port: number;
  readonly database: string;
  readonly pooling: boolean;
  readonly minPoolSize: number;
  readonly maxPoolSize: number;
  readonly connectionLifetime: number;
  readonly unicode: boolean;
  readonly sslMode?: SslMode;
  readonly rootCertificate?: string;
  readonly extra: readonly (readonly [string, string])[];
}

/** A connection string that cannot be read; the message never contains a value. */
export class ConnectionStringError extends Error {
  override readonly name = 'ConnectionStringError';
}

export const CONNECTION_DEFAULTS = {
  port: REPOSITORY_DATABASE.port,
  database: REPOSITORY_DATABASE.name,
  pooling: true,
  minPoolSize: 0,
  maxPoolSize: 90,
  connectionLifetime: 3600,
  unicode: true,
} as const;

/** Fills the vendor's defaults into connection fields. */
export function withConnectionDefaults(input: ConnectionFieldsInput): ConnectionFields {
  const fields: ConnectionFields = {
    userId: input.userId,
    host: input.host,
    password: input.password,
    port: input.port ?? CONNECTION_DEFAULTS.port,
    database: input.database ?? CONNECTION_DEFAULTS.database,
    pooling: input.pooling ?? CONNECTION_DEFAULTS.pooling,
    minPoolSize: input.minPoolSize ?? CONNECTION_DEFAULTS.minPoolSize,
    maxPoolSize: input.maxPoolSize ?? CONNECTION_DEFAULTS.maxPoolSize,
    connectionLifetime: input.connectionLifetime ?? CONNECTION_DEFAULTS.connectionLifetime,
    unicode: input.unicode ?? CONNECTION_DEFAULTS.unicode,
    extra: input.extra ?? [],
  };
  return {
    ...fields,
    ...(input.sslMode === undefined ? {} : { sslMode: input.sslMode }),
    ...(input.rootCertificate === undefined ? {} : { rootCertificate: input.rootCertificate }),
  };
}

/** Wraps in single quotes, doubling inner ones (the vendor's form for the password). */
function singleQuote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Quotes a value when ADO.NET would need it; double quotes when it holds a single quote and no double one. */
function quoteValue(value: string): string {
  const needs = value === '' || /[;'"=\s]/.test(value) || value !== value.trim();
  if (!needs) return value;
  if (value.includes("'") && !value.includes('"')) return `"${value}"`;
  return singleQuote(value);
}

/** A key with '=' must double it (ADO.NET); keys with ';' or quotes cannot be written at all. */
function quoteKey(key: string): string {
  if (key.trim() === '' || /[;'"]/.test(key) || key !== key.trim()) {
    throw new ConnectionStringError('A connection string key must not be empty or contain ; or quotes');
  }
  return key.replace(/=/g, '==');
}

function checkNumber(name: string, n: number, min: number, max: number): void {
  if (!Number.isInteger(n) || n < min || n > max) throw new ConnectionStringError(`${name} must be a whole number from ${min} to ${max}`);
}

/** Writes the connection string in the vendor's format (the password always in single quotes). */
export function formatConnectionString(input: ConnectionFieldsInput): string {
  const f = withConnectionDefaults(input);
  checkNumber('Port', f.port, 1, 65535);
  checkNumber('Min Pool Size', f.minPoolSize, 0, 1_000_000);
  checkNumber('Max Pool Size', f.maxPoolSize, 1, 1_000_000);
  checkNumber('Connection Lifetime', f.connectionLifetime, 0, 2_147_483_647);
  if (f.userId === '') throw new ConnectionStringError('User ID is required');
  if (f.host === '') throw new ConnectionStringError('Host is required');
  const pairs: [string, string][] = [
    ['User ID', quoteValue(f.userId)],
    ['Host', quoteValue(f.host)],
    ['Password', singleQuote(f.password)],
    ['Port', String(f.port)],
    ['Database', quoteValue(f.database)],
    ['Pooling', String(f.pooling)],
    ['Min Pool Size', String(f.minPoolSize)],
    ['Max Pool Size', String(f.maxPoolSize)],
    ['Connection Lifetime', String(f.connectionLifetime)],
    ['Unicode', String(f.unicode)],
  ];
  if (f.sslMode !== undefined) pairs.push(['Ssl Mode', f.sslMode]);
  if (f.rootCertificate !== undefined) pairs.push(['Root Certificate', quoteValue(f.rootCertificate)]);
  for (const [k, v] of f.extra) pairs.push([quoteKey(k), quoteValue(v)]);
  return pairs.map(([k, v]) => `${k}=${v};`).join('');
}

/** Splits a connection string into [key, value] pairs by the ADO.NET rules. */
export function tokenizeConnectionString(text: string): [string, string][] {
  const pairs: [string, string][] = [];
  let i = 0;
  const n = text.length;
  const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);
  while (i < n) {
    while (i < n && (isSpace(text[i]) || text[i] === ';')) i++;
    if (i >= n) break;
    // Key: up to a single '='; '==' stands for a literal '='.
    let key = '';
    for (;;) {
      if (i >= n || text[i] === ';') throw new ConnectionStringError(`Missing '=' after a key at position ${i}`);
      if (text[i] === '=') {
        if (text[i + 1] === '=') {
          key += '=';
          i += 2;
          continue;
        }
        i++;
        break;
      }
      key += text[i];
      i++;
    }
    key = key.trim();
    if (key === '') throw new ConnectionStringError(`Empty key at position ${i}`);
    while (i < n && isSpace(text[i])) i++;
    let value = '';
    const quote = text[i];
    if (quote === "'" || quote === '"') {
      i++;
      for (;;) {
        if (i >= n) throw new ConnectionStringError(`Unterminated quoted value for key ${key}`);
        const c = text[i] as string;
        if (c === quote) {
          if (text[i + 1] === quote) {
            value += quote;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += c;
        i++;
      }
      while (i < n && isSpace(text[i])) i++;
      if (i < n && text[i] !== ';') throw new ConnectionStringError(`Unexpected text after the quoted value for key ${key}`);
    } else {
      const start = i;
      while (i < n && text[i] !== ';') i++;
      value = text.slice(start, i).trim();
    }
    pairs.push([key, value]);
  }
  return pairs;
}

type Known = 'userId' | 'host' | 'password' | 'port' | 'database' | 'pooling' | 'minPoolSize' | 'maxPoolSize' | 'connectionLifetime' | 'unicode' | 'sslMode' | 'rootCertificate';

// Npgsql's synonyms, compared without spaces and case.
const SYNONYMS: Readonly<Record<string, Known>> = {
  userid: 'userId', username: 'userId', user: 'userId', uid: 'userId',
  host: 'host', server: 'host',
  password: 'password', psw: 'password', pwd: 'password',
  port: 'port',
  database: 'database', db: 'database',
  pooling: 'pooling',
  minpoolsize: 'minPoolSize',
  maxpoolsize: 'maxPoolSize',
  connectionlifetime: 'connectionLifetime', connectionidlelifetime: 'connectionLifetime',
  unicode: 'unicode',
  sslmode: 'sslMode',
  rootcertificate: 'rootCertificate',
};

function parseInteger(key: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value)) throw new ConnectionStringError(`${key} must be a whole number`);
  const n = Number(value);
  checkNumber(key, n, min, max);
  return n;
}

function parseBoolean(key: string, value: string): boolean {
  const v = value.toLowerCase();
  if (v === 'true' || v === 'yes') return true;
  if (v === 'false' || v === 'no') return false;
  throw new ConnectionStringError(`${key} must be true or false`);
}

/** Reads a vendor-format connection string; Host and User ID are required. */
export function parseConnectionString(text: string): ConnectionFields {
  const seen = new Map<Known, string>();
  const extra: [string, string][] = [];
  for (const [key, value] of tokenizeConnectionString(text)) {
    const known = SYNONYMS[key.replace(/\s+/g, '').toLowerCase()];
    if (known === undefined) extra.push([key, value]);
    else seen.set(known, value); // the last occurrence wins, as in ADO.NET
  }
  const userId = seen.get('userId');
  const host = seen.get('host');
  if (userId === undefined || userId === '') throw new ConnectionStringError('The connection string has no User ID');
  if (host === undefined || host === '') throw new ConnectionStringError('The connection string has no Host');
  const get = <T>(k: Known, read: (v: string) => T): T | undefined => {
    const v = seen.get(k);
    return v === undefined ? undefined : read(v);
  };
  const ssl = seen.get('sslMode');
  let sslMode: SslMode | undefined;
  if (ssl !== undefined) {
    sslMode = SSL_MODES.find((m) => m.toLowerCase() === ssl.replace(/[\s-]/g, '').toLowerCase());
    if (sslMode === undefined) throw new ConnectionStringError(`Ssl Mode must be one of ${SSL_MODES.join(', ')}`);
  }
  return withConnectionDefaults({
    userId,
    host,
    password: seen.get('password') ?? '',
    port: get('port', (v) => parseInteger('Port', v, 1, 65535)),
    database: seen.get('database'),
    pooling: get('pooling', (v) => parseBoolean('Pooling', v)),
    minPoolSize: get('minPoolSize', (v) => parseInteger('Min Pool Size', v, 0, 1_000_000)),
    maxPoolSize: get('maxPoolSize', (v) => parseInteger('Max Pool Size', v, 1, 1_000_000)),
    connectionLifetime: get('connectionLifetime', (v) => parseInteger('Connection Lifetime', v, 0, 2_147_483_647)),
    unicode: get('unicode', (v) => parseBoolean('Unicode', v)),
    sslMode,
    rootCertificate: seen.get('rootCertificate'),
    extra,
  });
}

/** node-postgres's ssl option for an Ssl Mode: VerifyCA checks the chain only, VerifyFull also the host name. */
export type ClientSsl = false | { rejectUnauthorized: boolean; ca?: string; checkServerIdentity?: () => undefined };

/**
 * Client settings for node-postgres from connection fields (Require: encrypted, not verified, as
 * Npgsql). `ca`: the text of the Root Certificate file, read by the caller.
 */
export function toClientConfig(f: ConnectionFields, ca?: string): {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  ssl: ClientSsl;
} {
  const verify = f.sslMode === 'VerifyCA' || f.sslMode === 'VerifyFull';
  const ssl: ClientSsl =
    f.sslMode === undefined || f.sslMode === 'Disable' || f.sslMode === 'Allow' || f.sslMode === 'Prefer'
      ? false
      : {
          rejectUnauthorized: verify,
          ...(verify && ca !== undefined ? { ca } : {}),
          ...(f.sslMode === 'VerifyCA' ? { checkServerIdentity: () => undefined } : {}),
        };
  return { host: f.host, port: f.port, user: f.userId, password: f.password, database: f.database, ssl };
}

/** Passwords in the vendor's XML configs are XML escaped (one decoder for all of them). */
export { decodeXmlEscapes } from './xml-text.js';
