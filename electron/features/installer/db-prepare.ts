/**
 * Preparing a dedicated database server (the guide's "Preparing the database server"), run on the
 * database machine, as a plan like the install's: facts first (version, the files the server
 * reads, where each managed setting's value comes from, pg_hba_file_rules, SSL, how passwords are
 * stored), preflight, the plan with its diffs, then apply. Every check that can refuse runs before
 * the first change (exit 2 or 3, nothing changed); a step that fails later takes back what this
 * run changed (role, database, pg_hba.conf, the settings files and ALTER SYSTEM values).
 * With database.ssl require or verify-full the server is set up for SSL first (issue 15): its
 * certificate, ssl = on with TLS 1.2 at least, hostssl rules and hostnossl reject for the role.
 */
import { previewPlan } from '../../engine/plan-builder.js';
import { applyPlan, rollbackPlan, type RunResult } from '../../engine/runner.js';
import { UserError } from '../../shared/errors.js';
import type { Plan } from '../../shared/plan.js';
import { defaultPaths, type Settings } from '../../shared/settings.js';
import { getManifest } from '../../product/index.js';
import type { InstallerContext, RunHooks } from './installer.js';
import { resolveSecrets } from './load-settings.js';
import { missingListenAddresses } from './listen-addresses.js';
import { accessRules, connectAsSuperuser, readDbServerFacts, type DbServerFacts } from './db-prepare-facts.js';
import { createStepRegistry } from './step-kinds.js';
import { pgHbaStep } from './steps/pg-conf.js';
import { passwordStorage, pgRoleDatabaseStep } from './steps/pg-role-database.js';
import { pgSettingsStep } from './steps/pg-settings.js';
import { SERVER_CERT_FILE, serverCertificateDraft, serverCertNames, serverSslSettings } from '../tls/plan-tls.js';
import { certFileHash } from '../tls/steps/server-certificate.js';

export interface PreparedDatabase {
  readonly plan: Plan;
  readonly secrets: ReadonlyMap<string, string>;
  readonly stateDir: string;
  readonly facts: DbServerFacts;
}

/** The facts as plan lines (shown with the plan). */
export function describeFacts(f: DbServerFacts): string[] {
  return [
    `PostgreSQL ${f.version}; config_file ${f.configFile}; hba_file ${f.hbaFile}; data_directory ${f.dataDir}`,
    `ssl ${f.ssl ? 'on' : 'off'} (spsetup connects ${f.adminSsl === 'require' ? 'with' : 'without'} SSL); password_encryption ${f.passwordEncryption}; superuser's password stored as ${f.superuserVerifier}; repository role's ${f.roleVerifier === 'absent' ? 'does not exist yet' : `stored as ${f.roleVerifier}`}`,
  ];
}

function preflight(facts: DbServerFacts): void {
  const broken = facts.hbaRules.filter((r) => r.error !== null);
  if (broken.length) {
    throw new UserError('preflight-failed', `${facts.hbaFile} already holds lines the server cannot use: ${broken.slice(0, 5).map((r) => `line ${r.line}: ${r.error}`).join('; ')}. Nothing was changed.`, 'Correct those lines (SELECT * FROM pg_hba_file_rules WHERE error IS NOT NULL), then run again.');
  }
  if (!facts.binDir || !facts.owner) {
    throw new UserError('preflight-failed', 'The server\'s programs or account are not on this machine (pg_config BINDIR, the data directory\'s owner), so spsetup can neither validate the configuration nor restart the server. Nothing was changed.', 'Run spsetup db prepare on the database server itself, as root.');
  }
}

/** Reads the server (as its superuser, on this machine), checks it, and plans its preparation. */
export async function prepareDatabaseServer(settings: Settings, ctx: InstallerContext, opts: { keepPlain?: boolean; renewCertificate?: boolean } = {}): Promise<PreparedDatabase> {
  const db = settings.database;
  if (!db.listener) throw new UserError('invalid-input', 'database.listener is required to prepare a database server: listen addresses, IP ranges and max connections.', 'Add database.listener to the settings.');
  const secrets = await resolveSecrets(settings, ctx.env ?? process.env);
  const suPassword = secrets.get('database.superuserPassword');
  if (!suPassword) throw new UserError('invalid-input', 'database.superuserPassword is required to prepare the database server.', 'Give the password of the PostgreSQL superuser.');
  const { conn, ssl: adminSsl } = await connectAsSuperuser(ctx.sys, settings, suPassword);
  let facts: DbServerFacts;
  try {
    facts = await readDbServerFacts(ctx.sys, conn, settings, secrets.get('database.password') ?? '', adminSsl);
  } finally {
    await conn.close();
  }
  preflight(facts);
  const missing = missingListenAddresses(db.listener.listenAddresses, ctx.sys.network.localAddresses());
  if (missing.length) {
    throw new UserError('preflight-failed', `listen_addresses names ${missing.join(', ')}, which ${missing.length > 1 ? 'are not addresses' : 'is not an address'} of this server (it has ${ctx.sys.network.localAddresses().join(', ')}). PostgreSQL would not listen there after the restart. Nothing was changed.`, 'Give addresses this server has (ip -brief address), or * for all of them.');
  }
  const superuser = { host: '127.0.0.1', port: db.port, user: db.superuser, password: { secret: 'database.superuserPassword' }, ssl: adminSsl };
  // listen_addresses, port and max_connections take effect on a restart, done as the server's owner.
  // pg_ctl restart reuses postmaster.opts (so a config_file elsewhere, as Debian's, stays); `-l`:
  // without it the restarted postmaster inherits pg_ctl's pipes and the run never ends.
  const restart = ['runuser', '-u', facts.owner!, '--', `${facts.binDir}/pg_ctl`, '-D', facts.dataDir, '-l', `${facts.dataDir}/postmaster.log`, '-m', 'fast', '-w', '-t', '60', 'restart'];
  const maxConnections = Math.max(db.listener.maxConnections, getManifest(settings.product).database.connectionsPerNode * settings.plannedNodes);
  const keepPlain = db.ssl !== 'disable' && opts.keepPlain === true;
  const access = accessRules(settings, facts, { keepPlain });
  const warnings = [...describeFacts(facts), ...access.notes];
  if (db.listener.ipRanges.some((r) => r === '0.0.0.0/0' || r === '::/0')) warnings.push('Every address may connect (0.0.0.0/0): narrow the IP ranges where you can.');
  if (keepPlain) warnings.push('Plain connections still work: switch every node (spsetup site connection set --ssl-mode Require on the central node), check spsetup site ssl status, then run db prepare again without --keep-plain.');
  const stateDir = settings.stateDir ?? defaultPaths(ctx.sys.platform, getManifest(settings.product).folder).stateDir;
  const ssl = db.ssl !== 'disable';
  const role = pgRoleDatabaseStep.draft('database-owner', `Role ${db.user} and database ${db.name} owned by it`, { server: superuser, role: db.user, password: { secret: 'database.password' }, database: db.name, passwordStorage: passwordStorage(db) });
  const hba = pgHbaStep.draft('database-access', `${facts.hbaFile}: the nodes that may connect${keepPlain ? ' (SSL, and plain until every node has switched)' : ssl ? ' (SSL only for the repository role)' : ''}`, { path: facts.hbaFile, rules: access.rules, live: superuser });
  const conf = pgSettingsStep.draft('database-settings', `Listen addresses, port, max connections${ssl ? ', SSL (TLS 1.2 or later)' : ''} (where each takes effect)`, {
    server: superuser,
    settings: { listen_addresses: db.listener.listenAddresses.join(','), port: String(db.port), max_connections: String(maxConnections), ...(ssl ? serverSslSettings() : {}) },
    restart,
  });
  // With SSL: the certificate, then ssl = on, and only then the hostssl rules (they match nothing while SSL is off).
  // site ssl renew: the certificate installed now is replaced (a new one from the site CA).
  const installed = opts.renewCertificate ? await ctx.sys.files.readText(`${facts.dataDir}/${SERVER_CERT_FILE}`).catch(() => undefined) : undefined;
  const replace = installed !== undefined ? { replace: certFileHash(installed) } : {};
  const steps = ssl ? [serverCertificateDraft({ settings, dataDir: facts.dataDir, osUser: facts.owner!, stateDir, names: serverCertNames(settings), ...replace, live: superuser }), conf, hba, role] : [role, hba, conf];
  const draft = {
    title: `Prepare the database server for ${settings.plannedNodes} node(s)${keepPlain ? ', SSL on beside plain connections' : ''}`,
    secrets: ['database.superuserPassword', 'database.password'],
    warnings,
    steps,
  };
  // Every step's check runs here: a refusal (a value set on the command line, a bad value that
  // postgres -C rejects, an include that would override the edit) stops before any change.
  const plan = await previewPlan(draft, { conf: facts.configFile, hba: facts.hbaFile, version: facts.version }, createStepRegistry(), {
    sys: ctx.sys,
    stateDir: `${stateDir}/db-prepare`,
    signal: new AbortController().signal,
    secret: (n) => secrets.get(n) ?? '',
  });
  return { plan, secrets, stateDir, facts };
}

export interface PreparationResult extends RunResult {
  /** Set when the run failed and took back its own changes. */
  readonly rolledBack?: RunResult;
}

/** Applies the plan; when a step fails, undoes what this run changed (newest first). */
export async function applyDatabasePreparation(prepared: PreparedDatabase, ctx: InstallerContext, hooks: RunHooks = {}): Promise<PreparationResult> {
  const options = {
    registry: createStepRegistry(),
    sys: ctx.sys,
    stateDir: `${prepared.stateDir}/db-prepare`,
    secrets: (n: string) => prepared.secrets.get(n),
    ...(hooks.onEvent ? { onEvent: hooks.onEvent } : {}),
    ...(hooks.signal ? { signal: hooks.signal } : {}),
  };
  const result = await applyPlan(prepared.plan, options);
  if (result.outcome !== 'failed' || result.changed.length === 0) return result;
  const { signal: _signal, ...undoOptions } = options;
  const rolledBack = await rollbackPlan(undoOptions, result.runId);
  return { ...result, rolledBack };
}
