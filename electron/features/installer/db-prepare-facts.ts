/**
 * What `db prepare` reads from the server before it plans anything (as its superuser, on the
 * database machine): version, the files it reads, its programs and account, pg_hba_file_rules,
 * SSL, password_encryption and how the superuser's and the role's passwords are stored. From these
 * the access rules are chosen so that no existing login is locked out and every node can log in.
 */
import { UserError } from '../../shared/errors.js';
import type { Settings } from '../../shared/settings.js';
import type { PgConnection } from '../../system/postgres/client.js';
import { verifierMatches } from '../../system/postgres/scram.js';
import type { System } from '../../system/system.js';
import { sslHbaRules } from '../tls/plan-tls.js';

export type VerifierKind = 'scram' | 'md5' | 'none' | 'absent';

export interface HbaFileRule {
  readonly line: number;
  readonly type: string;
  readonly database: readonly string[];
  readonly user: readonly string[];
  readonly address: string | null;
  readonly method: string | null;
  readonly error: string | null;
}

export interface DbServerFacts {
  readonly version: string;
  readonly versionNum: number;
  readonly configFile: string;
  readonly hbaFile: string;
  readonly dataDir: string;
  readonly binDir: string | undefined;
  /** The data directory's owner (who runs the server). */
  readonly owner: string | undefined;
  readonly ssl: boolean;
  readonly passwordEncryption: string;
  readonly superuserVerifier: VerifierKind;
  readonly roleVerifier: VerifierKind;
  /** The role exists and its stored verifier is the one of the planned password. */
  readonly rolePasswordMatches: boolean;
  readonly hbaRules: readonly HbaFileRule[];
  /** How the admin connection was made. */
  readonly adminSsl: 'disable' | 'require';
}

function kindOf(verifier: string | null | undefined): VerifierKind {
  if (verifier === undefined) return 'absent';
  if (verifier === null) return 'none';
  if (verifier.startsWith('SCRAM-SHA-256$')) return 'scram';
  if (/^md5[0-9a-f]{32}$/.test(verifier)) return 'md5';
  return 'none';
}

/**
 * The superuser connection over 127.0.0.1 as libpq's sslmode=prefer makes it: SSL when the server
 * offers it (a hostssl-only server needs it), plain when it does not (database.ssl require or
 * verify-full may be what turns SSL on, later in this plan). Loopback: no certificate name to check.
 */
export async function connectAsSuperuser(sys: System, settings: Settings, password: string): Promise<{ conn: PgConnection; ssl: 'disable' | 'require' }> {
  const db = settings.database;
  const base = { host: '127.0.0.1', port: db.port, user: db.superuser, password, timeoutMs: 10_000 };
  try {
    return { conn: await sys.postgres.connect({ ...base, ssl: 'require' }), ssl: 'require' };
  } catch (err) {
    if (!(err instanceof UserError) || !/does not accept SSL|does not support SSL/i.test(err.message)) throw err;
  }
  return { conn: await sys.postgres.connect({ ...base, ssl: 'disable' }), ssl: 'disable' };
}

/** Reads the facts; the connection stays the caller's. */
export async function readDbServerFacts(sys: System, conn: PgConnection, settings: Settings, rolePassword: string, adminSsl: 'disable' | 'require'): Promise<DbServerFacts> {
  const db = settings.database;
  const one = async <T extends Record<string, unknown>>(sql: string, params: unknown[] = []) => (await conn.query<T>(sql, params))[0];
  const s = (await one<{ version: string; num: string; conf: string; hba: string; data: string; ssl: string; enc: string; su: boolean }>(
    "SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num, current_setting('config_file') AS conf, current_setting('hba_file') AS hba, current_setting('data_directory') AS data, current_setting('ssl') AS ssl, current_setting('password_encryption') AS enc, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su",
  ))!;
  if (!s.su) throw new UserError('preflight-failed', `${db.superuser} is not a superuser on this server, so it cannot read the configuration or prepare the server.`, 'Give a PostgreSQL superuser (database.superuser).');
  const binDir = (await conn.query<{ setting: string }>("SELECT setting FROM pg_config WHERE name = 'BINDIR'").catch(() => []))[0]?.setting;
  const verifier = async (role: string) => (await conn.query<{ p: string | null }>('SELECT rolpassword AS p FROM pg_authid WHERE rolname = $1', [role]))[0]?.p;
  const suVerifier = await verifier(db.superuser);
  const roleVerifier = await verifier(db.user);
  const hbaRules = (
    await conn.query<{ line_number: number; type: string | null; database: string[] | null; user_name: string[] | null; address: string | null; auth_method: string | null; error: string | null }>(
      'SELECT line_number, type, database, user_name, address, auth_method, error FROM pg_hba_file_rules ORDER BY line_number',
    )
  ).map((r) => ({ line: r.line_number, type: r.type ?? '', database: r.database ?? [], user: r.user_name ?? [], address: r.address, method: r.auth_method, error: r.error }));
  const stat = await sys.files.stat(s.data);
  const owner = stat ? await sys.processes.lookupUserName(stat.uid) : undefined;
  return {
    version: s.version,
    versionNum: Number(s.num),
    configFile: s.conf,
    hbaFile: s.hba,
    dataDir: s.data,
    binDir,
    owner,
    ssl: s.ssl === 'on',
    passwordEncryption: s.enc,
    superuserVerifier: kindOf(suVerifier),
    roleVerifier: kindOf(roleVerifier),
    rolePasswordMatches: typeof roleVerifier === 'string' && verifierMatches(roleVerifier, rolePassword, db.user),
    hbaRules,
    adminSsl,
  };
}

export interface AccessRule {
  readonly type: 'host' | 'hostssl' | 'hostnossl';
  readonly database: string;
  readonly user: string;
  readonly address: string;
  readonly method: string;
}

/**
 * The rules db prepare adds, chosen by the server: with database.ssl require/verify-full issue
 * 15's hostssl rules and hostnossl reject for the role; on an SSL-only server (ssl on and no plain
 * `host` rule) hostssl; host otherwise. scram-sha-256 (an md5 password of the role is stored again
 * as SCRAM by the role step), md5 on a server older than PostgreSQL 10 or where database.authMethod
 * asks for the guide's md5 (the plan says how the role's password is then stored, and offers SCRAM).
 * No rule is added for the superuser: it is connected already, through the server's own rule,
 * and a rule of ours placed before that one could lock it out (an md5 verifier under a SCRAM rule,
 * trust or peer logins).
 */
export function accessRules(settings: Settings, facts: DbServerFacts, opts: { keepPlain?: boolean } = {}): { rules: AccessRule[]; notes: string[] } {
  const db = settings.database;
  const notes: string[] = [];
  const scram = facts.versionNum >= 100000;
  const method = scram ? db.authMethod : 'md5';
  if (db.authMethod === 'md5' && scram) {
    const stored = facts.roleVerifier === 'md5' || facts.roleVerifier === 'scram' ? (facts.rolePasswordMatches ? facts.roleVerifier : 'reset') : 'new';
    const offer = db.scramPassword
      ? 'stored as SCRAM-SHA-256 (database.scramPassword), which md5 rules accept with SCRAM\'s exchange'
      : `${stored === 'scram' ? 'kept as SCRAM-SHA-256 (md5 rules accept it)' : stored === 'md5' ? 'kept as md5' : 'stored as md5'}. To store it as SCRAM-SHA-256 instead (md5 rules accept it; no md5 hash to steal or replay), set database.scramPassword to true`;
    notes.push(`database.authMethod md5 (asked for, the guide's method): the rules for role ${db.user} use md5, and its password is ${offer}.`);
  } else if (facts.roleVerifier === 'md5' && scram) {
    notes.push(
      facts.rolePasswordMatches
        ? `The password of role ${db.user} is stored as md5: it is stored again as SCRAM-SHA-256 (the same password), and its rules use scram-sha-256.`
        : `The password of role ${db.user} is stored as md5: it is set to the planned password, stored as SCRAM-SHA-256.`,
    );
  }
  if (facts.superuserVerifier === 'md5') notes.push(`The password of ${db.superuser} is stored as md5; spsetup adds no rule for it, so its login stays as the server's own rules have it.`);
  const ranges = db.listener?.ipRanges ?? [];
  if (db.ssl !== 'disable' && !opts.keepPlain) return { rules: sslHbaRules({ ...db, authMethod: method }, ranges), notes };
  if (db.ssl !== 'disable') {
    // --keep-plain (turning SSL on for a running site): hostssl and host both, so no node is cut off before it has switched.
    return { rules: [...sslHbaRules({ ...db, authMethod: method }, ranges).filter((r) => r.type === 'hostssl'), ...ranges.map((address) => ({ type: 'host' as const, database: db.name, user: db.user, address, method }))], notes };
  }
  const sslOnly = facts.ssl && facts.hbaRules.some((r) => r.type === 'hostssl') && !facts.hbaRules.some((r) => r.type === 'host');
  if (sslOnly) notes.push('The server accepts only SSL connections (hostssl rules): the rules added are hostssl too.');
  const type = sslOnly ? 'hostssl' : 'host';
  return { rules: ranges.map((address) => ({ type, database: db.name, user: db.user, address, method })), notes };
}
