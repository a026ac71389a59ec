/**
 * `db standby add`, run on the standby machine: read the primary (as its superuser, over the
 * network), then plan, as data: the primary's replication settings for its version, a replication
 * role (SCRAM), a slot, one replication rule for this standby's address only; here a password
 * file, the pg_basebackup -R copy, the standby's own listener settings, its service, and proof
 * that it streams. Optional synchronous mode last, once the standby streams.
 */
import { previewPlan, type StepDraft } from '../../engine/plan-builder.js';
import { applyPlan, type RunResult } from '../../engine/runner.js';
import { UserError } from '../../shared/errors.js';
import type { Plan } from '../../shared/plan.js';
import type { System } from '../../system/system.js';
import type { ServiceDefinition } from '../../system/types.js';
import type { RunHooks } from '../installer/installer.js';
import { createStandbyRegistry } from './standby-steps.js';
import { DATABASE_SERVICE, resolveStandbySecrets, standbyName, type StandbySettings } from './standby-settings.js';
import type { ServerRef } from './steps/server-ref.js';

export interface PrimaryFacts {
  readonly versionNum: number;
  readonly ssl: boolean;
  readonly walLevel: string;
  readonly maxWalSenders: number;
  readonly dataChecksums: boolean;
}

export interface PreparedStandby {
  readonly plan: Plan;
  readonly secrets: ReadonlyMap<string, string>;
  readonly stateDir: string;
}

const ipv4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** The primary as its superuser on this machine's behalf. */
export function primaryRef(s: StandbySettings): ServerRef {
  return { host: s.primary.host, port: s.primary.port, user: s.primary.superuser, password: { secret: 'primary.superuserPassword' } };
}

/** The standby, reached on this machine (its listener includes 127.0.0.1). */
export function localStandbyRef(s: StandbySettings): ServerRef {
  return { host: '127.0.0.1', port: s.standby.port, user: s.primary.superuser, password: { secret: 'primary.superuserPassword' } };
}

/** Reads what the plan depends on; refuses a non-superuser, and a server in recovery unless `allowStandby` (switchover: it is promoted first). */
export async function readPrimary(sys: System, s: StandbySettings, password: string, allowStandby = false): Promise<PrimaryFacts> {
  const conn = await sys.postgres.connect({ host: s.primary.host, port: s.primary.port, user: s.primary.superuser, password, database: 'postgres', timeoutMs: 10_000 });
  try {
    const row = (await conn.query<{ su: boolean; rec: boolean; v: string; ssl: string; wl: string; mws: string; dc: string }>(
      `SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su, pg_is_in_recovery() AS rec, current_setting('server_version_num') AS v,
              current_setting('ssl') AS ssl, current_setting('wal_level') AS wl, current_setting('max_wal_senders') AS mws, current_setting('data_checksums') AS dc`,
    ))[0]!;
    if (!row.su) throw new UserError('permission-denied', `${s.primary.superuser} is not a superuser on ${s.primary.host}.`, 'Give primary.superuser the name of the server\'s superuser (postgres).');
    if (row.rec && !allowStandby) throw new UserError('invalid-input', `${s.primary.host}:${s.primary.port} is itself a standby (in recovery).`, 'Give primary.host the current primary (see spsetup db status).');
    return { versionNum: Number(row.v), ssl: row.ssl === 'on', walLevel: row.wl, maxWalSenders: Number(row.mws), dataChecksums: row.dc === 'on' };
  } finally {
    await conn.close();
  }
}

/** PostgreSQL's bin dir here for the primary's major version. */
export function binDirFor(sys: System, s: StandbySettings, versionNum: number): string {
  if (s.standby.binDir) return s.standby.binDir;
  const major = Math.floor(versionNum / 10000);
  const found = sys.postgres.findServerBinaries().find((b) => b.flavor === 'system' && b.major === major);
  if (!found) throw new UserError('not-found', `PostgreSQL ${major} server programs are not installed on this machine (the standby must run the primary's major version).`, `Install postgresql-${major}, or give standby.binDir.`);
  return found.binDir;
}

/** The primary's settings a standby needs, in the names its version knows. */
export function primarySettings(s: StandbySettings, f: PrimaryFacts): Record<string, string> {
  const out: Record<string, string> = {
    wal_level: f.walLevel === 'logical' ? 'logical' : 'replica',
    max_wal_senders: String(Math.max(f.maxWalSenders, 10)),
    hot_standby: 'on',
  };
  // wal_keep_segments (16 MB each) before 13.
  if (f.versionNum >= 130000) out['wal_keep_size'] = s.replication.walKeepSize;
  else out['wal_keep_segments'] = String(Math.ceil(Number(s.replication.walKeepSize) / 16));
  // pg_rewind (rejoin after a failover) needs hint bits in the WAL, unless the cluster has checksums.
  if (!f.dataChecksums) out['wal_log_hints'] = 'on';
  return out;
}

/** The database service of a replicated database machine (the same on every machine of the pair). */
export function databaseService(s: StandbySettings, binDir: string): ServiceDefinition {
  return {
    name: DATABASE_SERVICE,
    displayName: 'PostgreSQL (spsetup replicated repository database)',
    command: `${binDir}/postgres`,
    args: ['-D', s.standby.dataDir],
    account: s.standby.osUser,
    // Not in logs/ (root-only): the server account opens its console log after dropping privileges.
    logFile: `${s.stateDir}/service-logs/${DATABASE_SERVICE}.log`,
    autoStart: true,
    // A fast shutdown (SIGINT): on SIGTERM PostgreSQL waits for every client, the node agents' too.
    stopSignal: 'INT',
  };
}

/** The private replication password file (its own folder; the run journal beside it stays root-only). */
export const passfilePath = (s: StandbySettings) => `${s.stateDir}/replication/pgpass`;

/** Refuses a standby address that is not an IPv4 address (the replication rule admits that one address). */
export function requireStandbyAddress(s: StandbySettings): void {
  if (!ipv4.test(s.standby.host)) throw new UserError('invalid-input', `standby.host must be this standby's IPv4 address (${s.standby.host} is not): the replication rule admits that one address.`, 'Give the address the primary sees this machine connect from.');
}

/** On the primary: its replication settings, the role, this standby's slot and its replication rule. */
export function primarySideSteps(s: StandbySettings, facts: PrimaryFacts): StepDraft[] {
  const name = standbyName(s.standby.host);
  const primary = primaryRef(s);
  const rule = { type: facts.ssl ? ('hostssl' as const) : ('host' as const), database: 'replication', keywords: ['database' as const], user: s.replication.user, address: `${s.standby.host}/32`, method: facts.versionNum >= 100000 ? 'scram-sha-256' : 'md5' };
  return [
    { id: 'primary-settings', kind: 'pg-alter-system', title: `Primary ${s.primary.host}: replication settings`, params: { server: primary, settings: primarySettings(s, facts) } },
    { id: 'replication-role', kind: 'pg-replication-role', title: `Primary: replication role ${s.replication.user}`, params: { server: primary, role: s.replication.user, password: { secret: 'replication.password' } } },
    { id: 'replication-slot', kind: 'pg-replication-slot', title: `Primary: replication slot ${name}`, params: { server: primary, slot: name } },
    { id: 'replication-access', kind: 'pg-hba-remote', title: `Primary: ${rule.type} replication rule for ${s.standby.host} only`, params: { server: primary, rules: [rule] } },
    {
      id: 'replication-passfile',
      kind: 'pg-passfile',
      title: 'Standby: the replication password file',
      params: { path: passfilePath(s), stateDir: s.stateDir, hosts: [{ host: s.primary.host, port: s.primary.port }], user: s.replication.user, password: { secret: 'replication.password' }, account: s.standby.osUser },
    },
  ];
}

/** Here, once the data directory is a standby copy: its own listener, its service, started, synchronous mode if asked, proof that it streams. */
export function standbyServerSteps(s: StandbySettings, binDir: string): StepDraft[] {
  const name = standbyName(s.standby.host);
  const primary = primaryRef(s);
  return [
    {
      id: 'standby-settings',
      kind: 'pg-conf',
      title: 'Standby: its own listener',
      params: {
        path: `${s.standby.dataDir}/postgresql.conf`,
        settings: { port: String(s.standby.port), listen_addresses: `127.0.0.1,${s.standby.host}`, hot_standby: 'on', ...(s.standby.socketDir ? { unix_socket_directories: s.standby.socketDir } : {}) },
        validate: { binDir, dataDir: s.standby.dataDir, osUser: s.standby.osUser },
      },
    },
    { id: 'standby-service', kind: 'service', title: `Standby: service ${DATABASE_SERVICE}`, params: { definition: databaseService(s, binDir) } },
    { id: 'standby-running', kind: 'service-running', title: 'Standby: started', params: { services: [{ name: DATABASE_SERVICE, readiness: { port: s.standby.port, timeoutMs: 120_000 } }], host: s.standby.host } },
    ...(s.replication.synchronous
      ? [{ id: 'synchronous', kind: 'pg-alter-system', title: 'Primary: commits wait for this standby (synchronous)', params: { server: primary, settings: { synchronous_standby_names: `FIRST 1 ("${name}")` } } }]
      : []),
    { id: 'standby-streaming', kind: 'pg-standby-streaming', title: 'Standby streams from the primary', params: { primary, standby: localStandbyRef(s), applicationName: name, timeoutMs: 120_000 } },
  ];
}

/** The warnings of a plan that makes this machine a standby. */
export function standbyWarnings(s: StandbySettings, facts: PrimaryFacts): string[] {
  return [
    ...(facts.ssl ? [] : [`The primary has no SSL: the rule is "host replication" (replication traffic unencrypted). Turn SSL on and run again for "hostssl".`]),
    ...(s.replication.synchronous ? ['Synchronous mode: while this standby is down, commits on the primary wait.'] : []),
  ];
}

/** Runs every step's check (nothing is changed) and returns the plan with its secrets. */
export async function previewReplicatedPlan(s: StandbySettings, sys: System, secrets: ReadonlyMap<string, string>, title: string, steps: readonly StepDraft[], warnings: readonly string[]): Promise<PreparedStandby> {
  const stateDir = `${s.stateDir}/standby`;
  const plan = await previewPlan({ title, steps, secrets: ['primary.superuserPassword', 'replication.password'], warnings }, {}, createStandbyRegistry(), {
    sys,
    stateDir,
    signal: new AbortController().signal,
    secret: (n) => secrets.get(n) ?? '',
  });
  return { plan, secrets, stateDir };
}

/** The whole plan (its checks read both machines; nothing is changed). */
export async function prepareStandby(s: StandbySettings, sys: System, env: NodeJS.ProcessEnv = process.env): Promise<PreparedStandby> {
  requireStandbyAddress(s);
  const secrets = await resolveStandbySecrets(s, env);
  const facts = await readPrimary(sys, s, secrets.get('primary.superuserPassword')!);
  const binDir = binDirFor(sys, s, facts.versionNum);
  const name = standbyName(s.standby.host);
  const steps: StepDraft[] = [
    ...primarySideSteps(s, facts),
    {
      id: 'standby-copy',
      kind: 'pg-basebackup',
      title: `Standby: copy of the primary in ${s.standby.dataDir}`,
      params: { primary: { host: s.primary.host, port: s.primary.port }, user: s.replication.user, passfile: passfilePath(s), slot: name, applicationName: name, dataDir: s.standby.dataDir, binDir, osUser: s.standby.osUser },
    },
    ...standbyServerSteps(s, binDir),
  ];
  return previewReplicatedPlan(s, sys, secrets, `Standby ${s.standby.host} of ${s.primary.host}:${s.primary.port}`, steps, standbyWarnings(s, facts));
}

/** Applies the standby plan (journaled in the state folder; a run after a failure continues safely: every step is idempotent). */
export function applyStandby(prepared: PreparedStandby, sys: System, hooks: RunHooks = {}): Promise<RunResult> {
  return applyPlan(prepared.plan, {
    registry: createStandbyRegistry(),
    sys,
    stateDir: prepared.stateDir,
    secrets: (n) => prepared.secrets.get(n),
    ...(hooks.onEvent ? { onEvent: hooks.onEvent } : {}),
    ...(hooks.signal ? { signal: hooks.signal } : {}),
  });
}
