/**
 * `db auto-failover monitor` and `db auto-failover keeper`: automatic failover by pg_auto_failover,
 * planned as data like every other change (each step checked, shown, applied, verified; a run
 * again changes nothing; a failed run continues where it stopped).
 * - monitor (run on the monitor machine): `pg_autoctl create monitor`, its service, the
 *   autoctl_node password, and the failure-detection timings when the settings give them.
 * - keeper (run on each database machine, the primary first): the password file, the server's
 *   old service stopped (pg_autoctl runs the server from now on), `pg_autoctl create postgres`,
 *   the keeper's service, the replication role's password (on the primary), and the monitor's
 *   word that the node is single, primary or secondary.
 * Who is primary is decided by the monitor from then on; the node agents follow the primary among
 * their database endpoints (`site endpoints set`), as after a manual failover.
 */
import { previewPlan, type StepDraft } from '../../engine/plan-builder.js';
import { applyPlan, type RunResult } from '../../engine/runner.js';
import { StepRegistry } from '../../engine/registry.js';
import { UserError } from '../../shared/errors.js';
import type { System } from '../../system/system.js';
import type { ServiceDefinition } from '../../system/types.js';
import type { RunHooks } from '../installer/installer.js';
import { serviceRunningStep, serviceStep } from '../installer/steps/service.js';
import type { PreparedStandby } from '../standby/plan-standby.js';
import { alterSystemStep } from '../standby/steps/alter-system.js';
import { localStopStep } from '../standby/steps/local-server.js';
import { AUTO_FAILOVER_SECRETS, KEEPER_SERVICE, MONITOR_SERVICE, resolveAutoFailoverSecrets, type AutoFailoverNode, type AutoFailoverSettings } from './auto-failover-settings.js';
import { autoctlConfigFile, autoctlEnv, autoctlInitFile, type AutoctlHome } from './steps/autoctl-paths.js';
import { autoctlCreateStep } from './steps/autoctl-create.js';
import { autoctlPassfileStep } from './steps/autoctl-passfile.js';
import { nodeStateStep } from './steps/node-state.js';
import { rolePasswordStep } from './steps/role-password.js';

/** The replication role pg_autoctl creates on the primary. */
export const REPLICATOR = 'pgautofailover_replicator';

/** A registry with every kind these plans use. */
export function createAutoFailoverRegistry(): StepRegistry<System> {
  return new StepRegistry<System>([autoctlPassfileStep, localStopStep, autoctlCreateStep, serviceStep, serviceRunningStep, rolePasswordStep, alterSystemStep, nodeStateStep]);
}

const homeOf = (s: AutoFailoverSettings, dataDir: string): AutoctlHome => ({ root: `${s.stateDir}/auto-failover`, dataDir, osUser: s.osUser });

/** The monitor's URI as the keepers are given it (no password: that is in their password file). */
export function monitorUri(s: AutoFailoverSettings): string {
  const host = s.monitor.host.includes(':') ? `[${s.monitor.host}]` : s.monitor.host;
  const tls = s.tls ? `sslmode=verify-ca&sslrootcert=${encodeURIComponent(s.tls.caFile)}` : 'sslmode=require';
  return `postgres://autoctl_node@${host}:${s.monitor.port}/pg_auto_failover?${tls}`;
}

/** The service that runs `pg_autoctl run` (and under it the server) as the server's account. */
export function autoctlService(s: AutoFailoverSettings, name: string, home: AutoctlHome): ServiceDefinition {
  return {
    name,
    displayName: name === MONITOR_SERVICE ? 'pg_auto_failover monitor (spsetup)' : 'pg_auto_failover keeper and its PostgreSQL server (spsetup)',
    command: s.pgAutoctl,
    args: ['run', '--pgdata', home.dataDir],
    account: s.osUser,
    env: autoctlEnv(home),
    logFile: `${s.stateDir}/service-logs/${name}.log`,
    autoStart: true,
    // SIGINT: pg_autoctl stops its server with a fast shutdown.
    stopSignal: 'INT',
  };
}

const createTimeoutMs = 600_000;

/** The monitor's failure-detection settings the file gives (pg_auto_failover's GUCs, in ms). */
export function monitorTimings(s: AutoFailoverSettings): Record<string, string> {
  const m = s.monitor;
  const given: [string, number | undefined][] = [
    ['health_check_period', m.healthCheckPeriodMs],
    ['health_check_timeout', m.healthCheckTimeoutMs],
    ['health_check_max_retries', m.healthCheckRetries],
    ['health_check_retry_delay', m.healthCheckRetryDelayMs],
    ['node_considered_unhealthy_timeout', m.unhealthyTimeoutMs],
    ['primary_demote_timeout', m.demoteTimeoutMs],
  ];
  return Object.fromEntries(given.filter(([, v]) => v !== undefined).map(([k, v]) => [`pgautofailover.${k}`, String(v)]));
}

/** The monitor machine's plan. */
export function monitorSteps(s: AutoFailoverSettings): StepDraft[] {
  if (!s.monitor.dataDir) throw new UserError('invalid-input', 'monitor.dataDir is required to set up the monitor.', 'Give monitor.dataDir: a new folder for the monitor\'s own database.');
  const home = homeOf(s, s.monitor.dataDir);
  const create = { role: 'monitor', home, pgAutoctl: s.pgAutoctl, binDir: s.binDir, host: s.monitor.host, port: s.monitor.port, timeoutMs: createTimeoutMs, ...(s.tls ? { tls: s.tls } : {}) };
  // pg_autoctl's monitor admits local logins without a password (its initdb's trust rules), so any password works here.
  const local = { host: '127.0.0.1', port: s.monitor.port, user: s.osUser, password: { secret: 'monitor.password' } };
  const tuning = monitorTimings(s);
  return [
    { id: 'monitor-create', kind: 'pg-autoctl-create', title: `Monitor: pg_autoctl create monitor in ${s.monitor.dataDir}`, params: create },
    { id: 'monitor-service', kind: 'service', title: `Monitor: service ${MONITOR_SERVICE}`, params: { definition: autoctlService(s, MONITOR_SERVICE, home) } },
    { id: 'monitor-running', kind: 'service-running', title: 'Monitor: started', params: { services: [{ name: MONITOR_SERVICE, readiness: { port: s.monitor.port, timeoutMs: 120_000 } }], host: s.monitor.host } },
    { id: 'monitor-password', kind: 'pg-role-password', title: 'Monitor: the keepers\' login autoctl_node (SCRAM)', params: { server: local, role: 'autoctl_node', password: { secret: 'monitor.password' } } },
    ...(Object.keys(tuning).length ? [{ id: 'monitor-timings', kind: 'pg-alter-system', title: 'Monitor: how fast a lost primary is detected', params: { server: local, settings: tuning, madeEarlier: true } }] : []),
  ];
}

/** A database machine's plan; `registered`: pg_autoctl has already made this node (no old server to stop). */
export function keeperSteps(s: AutoFailoverSettings, node: AutoFailoverNode, facts: { registered: boolean; hasCluster: boolean }): StepDraft[] {
  const home = homeOf(s, node.dataDir);
  const self = { host: '127.0.0.1', port: node.port, user: node.superuser, password: { secret: 'node.superuserPassword' } };
  const create = {
    role: 'postgres',
    home,
    pgAutoctl: s.pgAutoctl,
    binDir: s.binDir,
    host: node.host,
    port: node.port,
    monitorUri: monitorUri(s),
    formation: s.formation,
    superuser: node.superuser,
    timeoutMs: createTimeoutMs,
    ...(node.name ? { name: node.name } : {}),
    ...(s.tls ? { tls: s.tls } : {}),
  };
  return [
    {
      id: 'keeper-passfile',
      kind: 'pg-autoctl-passfile',
      title: 'The monitor login, the replication password and the superuser (pg_autoctl logs in locally), in a private password file',
      params: {
        home,
        logins: [
          { user: 'autoctl_node', password: { secret: 'monitor.password' } },
          { user: REPLICATOR, password: { secret: 'replicationPassword' } },
          { user: node.superuser, password: { secret: 'node.superuserPassword' } },
        ],
      },
    },
    // pg_autoctl starts the server itself and refuses a cluster that already runs.
    ...(facts.hasCluster && !facts.registered
      ? [{ id: 'old-server-stopped', kind: 'pg-local-stop', title: `The server in ${node.dataDir} stopped (pg_autoctl runs it from now on)`, params: { binDir: s.binDir, dataDir: node.dataDir, osUser: s.osUser, service: node.replacesService } }]
      : []),
    { id: 'keeper-create', kind: 'pg-autoctl-create', title: `pg_autoctl create postgres: ${node.host}:${node.port} a node of the monitor${facts.hasCluster ? '' : ' (a copy of the primary)'}`, params: create },
    { id: 'keeper-service', kind: 'service', title: `Service ${KEEPER_SERVICE} (pg_autoctl run)`, params: { definition: autoctlService(s, KEEPER_SERVICE, home) } },
    { id: 'keeper-running', kind: 'service-running', title: 'Keeper and server started', params: { services: [{ name: KEEPER_SERVICE, readiness: { port: node.port, timeoutMs: 120_000 } }], host: node.host } },
    { id: 'replicator-password', kind: 'pg-role-password', title: `Primary: the replication login ${REPLICATOR} (SCRAM)`, params: { server: self, role: REPLICATOR, password: { secret: 'replicationPassword' } } },
    {
      id: 'keeper-settled',
      kind: 'pg-autoctl-node-state',
      title: `The monitor sees ${node.host}:${node.port} as single, primary or secondary`,
      params: { monitor: { host: s.monitor.host, port: s.monitor.port, password: { secret: 'monitor.password' } }, node: { host: node.host, port: node.port }, timeoutMs: 300_000 },
    },
  ];
}

async function preview(s: AutoFailoverSettings, sys: System, secrets: ReadonlyMap<string, string>, title: string, steps: readonly StepDraft[], warnings: readonly string[]): Promise<PreparedStandby> {
  const stateDir = `${s.stateDir}/auto-failover-journal`;
  const plan = await previewPlan({ title, steps, secrets: [...AUTO_FAILOVER_SECRETS].filter((n) => secrets.has(n)), warnings }, {}, createAutoFailoverRegistry(), {
    sys,
    stateDir,
    signal: new AbortController().signal,
    secret: (n) => secrets.get(n) ?? '',
  });
  return { plan, secrets, stateDir };
}

const selfSignedWarning = 'TLS between the machines uses pg_autoctl\'s self-signed certificates: encrypted, but not protected against a man in the middle. Give tls (the site CA and this server\'s certificate) for verify-ca.';

/** The monitor's plan (its checks read this machine only; nothing is changed). */
export async function prepareMonitor(s: AutoFailoverSettings, sys: System, env: NodeJS.ProcessEnv = process.env): Promise<PreparedStandby> {
  const secrets = await resolveAutoFailoverSecrets(s, env);
  const warnings = [...(s.tls ? [] : [selfSignedWarning]), "The monitor's own server admits local logins without a password (pg_autoctl's choice): keep shell access to this machine to administrators."];
  return preview(s, sys, secrets, `pg_auto_failover monitor ${s.monitor.host}:${s.monitor.port}`, monitorSteps(s), warnings);
}

/** A keeper's plan (its checks read this machine and the monitor; nothing is changed). */
export async function prepareKeeper(s: AutoFailoverSettings, sys: System, env: NodeJS.ProcessEnv = process.env): Promise<PreparedStandby> {
  const node = s.node;
  if (!node) throw new UserError('invalid-input', 'The settings name no node: db auto-failover keeper needs node (this database machine).', 'Give node.host, node.port and node.dataDir.');
  const secrets = await resolveAutoFailoverSecrets(s, env);
  const home = homeOf(s, node.dataDir);
  const registered = Boolean(await sys.files.stat(autoctlConfigFile(home))) && !(await sys.files.stat(autoctlInitFile(home)));
  const hasCluster = Boolean(await sys.files.stat(`${node.dataDir}/PG_VERSION`));
  const warnings = [
    ...(s.tls ? [] : [selfSignedWarning]),
    ...(hasCluster ? [] : [`${node.dataDir} holds no database: pg_autoctl copies the primary into it. Run db auto-failover keeper on the primary's machine first.`]),
    ...(hasCluster && !registered ? [`The server in ${node.dataDir} is stopped for a few seconds while pg_autoctl takes it over; the nodes reconnect.`] : []),
  ];
  return preview(s, sys, secrets, `pg_auto_failover keeper ${node.host}:${node.port}`, keeperSteps(s, node, { registered, hasCluster }), warnings);
}

/** Applies a monitor or keeper plan (journaled; a run after a failure continues safely). */
export function applyAutoFailover(prepared: PreparedStandby, sys: System, hooks: RunHooks = {}): Promise<RunResult> {
  return applyPlan(prepared.plan, {
    registry: createAutoFailoverRegistry(),
    sys,
    stateDir: prepared.stateDir,
    secrets: (n) => prepared.secrets.get(n),
    ...(hooks.onEvent ? { onEvent: hooks.onEvent } : {}),
    ...(hooks.signal ? { signal: hooks.signal } : {}),
  });
}
