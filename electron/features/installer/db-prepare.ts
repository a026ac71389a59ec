/**
 * Preparing a dedicated database server (the guide's "Preparing the database server"), run on the
 * database machine: the repository role with its password, the database owned by it,
 * listen_addresses / port / max_connections, and pg_hba rules for the nodes, each validated by the
 * server before it is kept; reloaded, and restarted only when a setting needs it.
 */
import { previewPlan } from '../../engine/plan-builder.js';
import { applyPlan, type RunResult } from '../../engine/runner.js';
import { UserError } from '../../shared/errors.js';
import type { Plan } from '../../shared/plan.js';
import { defaultPaths, type Settings } from '../../shared/settings.js';
import { getManifest } from '../../product/index.js';
import type { InstallerContext, RunHooks } from './installer.js';
import { resolveSecrets } from './load-settings.js';
import { hbaRules } from './planner.js';
import { createStepRegistry } from './step-kinds.js';
import { pgConfStep, pgHbaStep } from './steps/pg-conf.js';
import { pgRoleDatabaseStep } from './steps/pg-role-database.js';
import { serverCertificateDraft, serverCertNames, serverSslSettings } from '../tls/plan-tls.js';

const ADMIN_HOST = '127.0.0.1';

export interface PreparedDatabase {
  readonly plan: Plan;
  readonly secrets: ReadonlyMap<string, string>;
  readonly stateDir: string;
}

/** Reads the server (as its superuser, on this machine) and plans its preparation. */
export async function prepareDatabaseServer(settings: Settings, ctx: InstallerContext, opts: { keepPlain?: boolean } = {}): Promise<PreparedDatabase> {
  const db = settings.database;
  if (!db.listener) throw new UserError('invalid-input', 'database.listener is required to prepare a database server: listen addresses, IP ranges and max connections.', 'Add database.listener to the settings.');
  const secrets = await resolveSecrets(settings, ctx.env ?? process.env);
  if (!secrets.get('database.superuserPassword')) throw new UserError('invalid-input', 'database.superuserPassword is required to prepare the database server.', 'Give the password of the PostgreSQL superuser.');
  const superuser = { host: ADMIN_HOST, port: db.port, user: db.superuser, password: { secret: 'database.superuserPassword' } };
  const conn = await ctx.sys.postgres.connect({ host: ADMIN_HOST, port: db.port, user: db.superuser, password: secrets.get('database.superuserPassword')!, timeoutMs: 10_000 });
  let paths: { conf: string; hba: string; dataDir: string };
  let bindir: string | undefined;
  try {
    paths = await ctx.sys.postgres.configPaths(conn);
    bindir = (await conn.query<{ setting: string }>("SELECT setting FROM pg_config WHERE name = 'BINDIR'").catch(() => []))[0]?.setting;
  } finally {
    await conn.close();
  }
  const owner = await ctx.sys.files.stat(paths.dataDir);
  const ownerName = owner ? (await ctx.sys.processes.run('id', ['-nu', String(owner.uid)], { allowFailure: true })).stdout.trim() : '';
  // listen_addresses, port and max_connections only take effect on a restart, done as the server's owner.
  // `-l`: without it the restarted postmaster inherits pg_ctl's stdout/stderr pipes and the run never ends.
  const restart =
    bindir && ownerName
      ? ['runuser', '-u', ownerName, '--', `${bindir}/pg_ctl`, '-D', paths.dataDir, '-l', `${paths.dataDir}/postmaster.log`, '-m', 'fast', '-w', '-t', '60', 'restart']
      : undefined;
  const maxConnections = Math.max(db.listener.maxConnections, getManifest(settings.product).database.connectionsPerNode * settings.plannedNodes);
  const live = { ...superuser, ...(restart ? { restart } : {}) };
  const stateDir = settings.stateDir ?? defaultPaths(ctx.sys.platform, getManifest(settings.product).folder).stateDir;
  const ssl = db.ssl !== 'disable';
  if (ssl && !ownerName) throw new UserError('not-found', `Cannot tell which account owns the database data directory ${paths.dataDir}.`, 'Run db prepare on the database machine, as root.');
  const conf = pgConfStep.draft('database-settings', `postgresql.conf: listen addresses, port, max connections${ssl ? ', SSL (TLS 1.2 or later)' : ''}`, {
    path: paths.conf,
    settings: { listen_addresses: db.listener.listenAddresses.join(','), port: String(db.port), max_connections: String(maxConnections), ...(ssl ? serverSslSettings() : {}) },
    live,
  });
  const keepPlain = ssl && opts.keepPlain === true;
  const hbaWhat = keepPlain ? ' (SSL, and plain until every node has switched)' : ssl ? ' (SSL only for the repository role)' : '';
  const hba = pgHbaStep.draft('database-access', `pg_hba.conf: the nodes that may connect${hbaWhat}`, { path: paths.hba, rules: hbaRules(settings, { keepPlain }), live });
  // With SSL: the certificate, then ssl = on, and only then the hostssl rules (they match nothing while SSL is off).
  // The role's login is tried over SSL then, so the role and its database come last.
  const role = pgRoleDatabaseStep.draft('database-owner', `Role ${db.user} and database ${db.name} owned by it`, {
    server: superuser,
    role: db.user,
    password: { secret: 'database.password' },
    database: db.name,
    ...(ssl ? { roleSsl: 'require' as const } : {}),
  });
  const serverSteps = ssl ? [serverCertificateDraft({ settings, dataDir: paths.dataDir, osUser: ownerName, stateDir, names: serverCertNames(settings) }), conf, hba, role] : [role, hba, conf];
  const draft = {
    title: `Prepare the database server for ${settings.plannedNodes} node(s)${keepPlain ? ', SSL on beside plain connections' : ''}`,
    secrets: ['database.superuserPassword', 'database.password'],
    warnings: [
      ...(db.listener.ipRanges.some((r) => r === '0.0.0.0/0' || r === '::/0') ? ['Every address may connect (0.0.0.0/0): narrow the IP ranges where you can.'] : []),
      ...(keepPlain ? ['Plain connections still work: switch every node (spsetup site connection set --ssl-mode Require on the central node), check spsetup site ssl status, then run db prepare again without --keep-plain.'] : []),
    ],
    steps: [
      ...serverSteps,
    ],
  };
  const plan = await previewPlan(draft, { conf: paths.conf, hba: paths.hba }, createStepRegistry(), {
    sys: ctx.sys,
    stateDir,
    signal: new AbortController().signal,
    secret: (n) => secrets.get(n) ?? '',
  });
  return { plan, secrets, stateDir };
}

/** Applies the database preparation plan. */
export async function applyDatabasePreparation(prepared: PreparedDatabase, ctx: InstallerContext, hooks: RunHooks = {}): Promise<RunResult> {
  return applyPlan(prepared.plan, {
    registry: createStepRegistry(),
    sys: ctx.sys,
    stateDir: `${prepared.stateDir}/db-prepare`,
    secrets: (n) => prepared.secrets.get(n),
    ...(hooks.onEvent ? { onEvent: hooks.onEvent } : {}),
    ...(hooks.signal ? { signal: hooks.signal } : {}),
  });
}
