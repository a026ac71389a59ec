/**
 * The wizard's session (InstallerBackend from electron/shared/ipc.ts): the same use cases as the
 * command line, for Electron's main process, browser mode and the elevated agent, which only
 * translate calls into these. It holds the plan on the Ready screen and the running apply.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname as osHostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { UserError, toErrorInfo } from '../shared/errors.js';
import type { CheckOutcome, DetectedMigration, EnvironmentInfo, InstallerBackend, MigrationInput, RunResult as WizardRunResult } from '../shared/ipc.js';
import type { ProgressEvent } from '../shared/plan.js';
import { networkOf } from '../shared/ip.js';
import { defaultPaths, parseSettings, type Settings, type SettingsInput } from '../shared/settings.js';
import { PRODUCTS, getManifest } from '../product/index.js';
import type { RunResult } from '../engine/runner.js';
import { maskBundleContents, settingsFromBundle } from '../features/bundle/contents.js';
import { openClusterBundle, readBundleCa, sealClusterBundle } from '../features/bundle/cluster-bundle.js';
import { DEFAULT_BUNDLE_EXPIRY_MS, generatePassphrase } from '../features/bundle/format.js';
import { assertPassphraseStrength } from '../features/bundle/passphrase.js';
import { readBundleFile, writeBundleFile } from '../features/bundle/files.js';
import { mergeSpcSettings, spcToSettings } from '../features/spc/spc.js';
import { composeContext } from './compose.js';
import { applyDatabasePreparation, prepareDatabaseServer, type PreparedDatabase } from '../features/installer/db-prepare.js';
import { applyInstall, layoutFor, prepareInstall, resumeInstall, rollbackInstall, type InstallerContext, type PreparedInstall } from '../features/installer/installer.js';
import { resolveSecrets, validateSettings } from '../features/installer/load-settings.js';
import { checkDatabase, checkHostname, checkShare } from '../features/installer/preflight.js';
import { detectSite, type DetectedSite } from '../features/migration/detect.js';
import { applyMigration, hasUnfinishedMigration, prepareMigration, resumeMigration, type PreparedMigration } from '../features/migration/migration.js';
import { migrationFileSchema, nodeFolders, targetSettings, type MigrationFile } from '../features/migration/migration-settings.js';
import { DEFAULT_REPOSITORY_CONFIG_FILE } from '../features/migration/repository-config.js';
import { readRepositoryPassword } from '../features/migration/steps/repository-password.js';
import { refuseInstallContinueAfterMigration } from './guards.js';
import { fileStamp, openRunReporter, secretValues } from './run-reporter.js';
import { readStatus } from '../features/installer/status.js';
import { readStoredSiteKey } from '../features/site/site-client.js';
import { siteBackupAction } from './site-backup-action.js';
import { parseSiteOperationInput, planSiteOperation, readSite, readSiteSettings, runSiteOperation } from './site-operations.js';

/** Defaults the wizard pre-fills (a site may set them, e.g. for tests or a fixed layout). */
export interface WizardDefaults {
  readonly installDir?: string;
  readonly dataDir?: string;
  readonly stateDir?: string;
  readonly shareRoot?: string;
  readonly serviceUser?: string;
  readonly runitDir?: string;
  readonly databasePort?: number;
  readonly ipRanges?: readonly string[];
}

/** This machine's IPv4 networks (CIDR), to suggest for the database listener. */
function localNetworks(): string[] {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal && a.cidr) out.add(networkOf(a.cidr) ?? a.cidr);
  }
  return [...out];
}

export interface BackendOptions {
  readonly defaults?: WizardDefaults;
  readonly contextFor?: (settings: Settings | undefined) => InstallerContext;
  readonly env?: NodeJS.ProcessEnv;
}

const DEFAULT_PRODUCT = 'reference' as const;

/** The migration file as `spsetup migrate` reads it (defaults applied); the IPC schema already checked its shape. */
function migrationFileOf(input: MigrationInput): MigrationFile {
  const parsed = migrationFileSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const list = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ');
  throw new UserError('invalid-input', `The migration settings have invalid fields: ${list}.`, 'Correct the fields on the Migrate an existing site screen.');
}

/** The existing node's product, folders and repository configuration path, as the migration reads them. */
function migrationSite(file: MigrationFile, platform: 'win32' | 'linux') {
  const folders = nodeFolders(file);
  const manifest = getManifest(folders.product === 'qlik-sense' ? 'qlik-sense' : 'reference');
  const base = defaultPaths(platform, manifest.folder);
  const installDir = folders.installDir ?? base.installDir;
  const configPath = join(installDir, (manifest.repositoryConfigFile ?? DEFAULT_REPOSITORY_CONFIG_FILE).replace(/\\/g, '/'));
  return { manifest, installDir, dataDir: folders.dataDir ?? base.dataDir, configPath };
}

/** What the wizard shows of a detected site (no secret: the connection's password stays here). */
function describeDetected(d: DetectedSite, unfinished: boolean): DetectedMigration {
  const c = d.facts.connection;
  const db = d.facts.database;
  const counts = Object.values(db?.rowCounts ?? {});
  return {
    scenario: d.scenario,
    title: d.title,
    release: d.release,
    currentRelease: d.currentRelease,
    database: { host: c?.host ?? '', port: c?.port ?? 0, name: c?.database ?? '', user: c?.userId ?? '' },
    nodes: (db?.nodes ?? []).map((n) => ({ hostname: n.hostname, isCentral: n.is_central })),
    tables: db?.tables.length ?? 0,
    rows: counts.reduce((a, b) => a + b, 0),
    unfinished,
  };
}

/** Creates the back end the wizard talks to. */
export function createBackend(options: BackendOptions = {}): InstallerBackend {
  const env = options.env ?? process.env;
  const contextFor = options.contextFor ?? ((s: Settings | undefined) => composeContext(s, env));
  const platform = process.platform === 'win32' ? 'win32' : 'linux';
  const base = defaultPaths(platform, getManifest(DEFAULT_PRODUCT).folder);
  const defaults = {
    installDir: options.defaults?.installDir ?? base.installDir,
    dataDir: options.defaults?.dataDir ?? base.dataDir,
    stateDir: options.defaults?.stateDir ?? base.stateDir,
    shareRoot: options.defaults?.shareRoot ?? (platform === 'win32' ? '\\\\server\\QlikShare' : '/srv/spshare'),
    serviceUser: options.defaults?.serviceUser ?? 'spsvc',
    ...(options.defaults?.runitDir ? { runitDir: options.defaults.runitDir } : {}),
    ...(options.defaults?.databasePort ? { databasePort: options.defaults.databasePort } : {}),
    ipRanges: options.defaults?.ipRanges ?? localNetworks(),
  };
  const prepared = new Map<string, { prepared: PreparedInstall; settings: Settings }>();
  let running: AbortController | undefined;
  let lastLog: string | undefined;

  /** Settings as typed so far, completed with defaults, for checks made before the last screen. */
  const completed = (input: SettingsInput): Settings => {
    const s = input as Partial<SettingsInput> & Record<string, unknown>;
    return validateSettings({
      product: DEFAULT_PRODUCT,
      cluster: { mode: 'create' },
      hostname: osHostname(),
      plannedNodes: 1,
      serviceAccount: { user: defaults.serviceUser },
      share: { root: defaults.shareRoot },
      ...s,
      database: { install: 'existing', host: 'localhost', password: '', ...(s.database ?? {}) },
    });
  };

  const check = async (id: string, title: string, run: () => Promise<string>): Promise<CheckOutcome> => {
    try {
      return { id, title, ok: true, message: await run() };
    } catch (err) {
      const info = toErrorInfo(err);
      return info.fix ? { id, title, ok: false, message: info.message, fix: info.fix } : { id, title, ok: false, message: info.message };
    }
  };

  /** Runs an apply, resume or rollback with a log file and progress events. */
  const run = async (settings: Settings, label: string, onEvent: (e: ProgressEvent) => void, body: (ctx: InstallerContext, hooks: { onEvent: (e: ProgressEvent) => void; signal: AbortSignal }) => Promise<RunResult>): Promise<WizardRunResult> => {
    if (running) throw new UserError('conflict', 'An installation is already running.', 'Wait for it to finish or cancel it.');
    const ctx = contextFor(settings);
    const layout = layoutFor(settings, ctx);
    const reporter = openRunReporter({ stateDir: layout.stateDir, label, secrets: await secretValues(settings, env), quiet: true });
    const logPath = reporter.logFiles[0]!;
    lastLog = logPath;
    running = new AbortController();
    try {
      const result = await body(ctx, {
        signal: running.signal,
        onEvent: (e) => {
          reporter.event(e);
          onEvent(e);
        },
      });
      return result.error ? { outcome: result.outcome, logPath, error: result.error } : { outcome: result.outcome, logPath };
    } catch (err) {
      const error = toErrorInfo(err);
      reporter.error(error);
      return { outcome: 'failed', logPath, error };
    } finally {
      running = undefined;
    }
  };

  const parse = (input: SettingsInput): Settings => validateSettings(input);

  const migrations = new Map<string, PreparedMigration>();
  /** The system for the migration's node: only its service manager and state folder are read before validation (as the CLI does). */
  const migrationContext = (file: MigrationFile): InstallerContext => {
    const raw = file.settings as { services?: { manager?: Settings['services']['manager']; runitDir?: string }; stateDir?: string };
    const services = { manager: raw.services?.manager ?? 'auto', ...(raw.services?.runitDir ? { runitDir: raw.services.runitDir } : {}) };
    return contextFor({ services, ...(raw.stateDir ? { stateDir: raw.stateDir } : {}) } as Settings);
  };
  const prepareMigrationOf = async (input: MigrationInput): Promise<PreparedMigration> => {
    const file = migrationFileOf(input);
    const result = await prepareMigration(file, migrationContext(file));
    migrations.clear(); // only the plan on the migration's Ready screen may be applied
    migrations.set(result.plan.id, result);
    return result;
  };

  const dbPreparations = new Map<string, { prepared: PreparedDatabase; settings: Settings }>();
  const prepareDbOf = async (settings: Settings) => {
    const result = await prepareDatabaseServer(settings, contextFor(settings));
    dbPreparations.clear(); // only the plan the Listener screen shows may be applied
    dbPreparations.set(result.plan.id, { prepared: result, settings });
    return result;
  };

  const replan = async (input: SettingsInput) => {
    const settings = parse(input);
    return { settings, prepared: await prepareInstall(settings, contextFor(settings)) };
  };

  return {
    async environment(): Promise<EnvironmentInfo> {
      const ctx = contextFor(undefined);
      return {
        platform,
        hostname: osHostname(),
        elevated: ctx.sys.processes.isElevated(),
        products: PRODUCTS.map((p) => ({ id: p.id, displayName: p.displayName, version: p.version })),
        defaults,
      };
    },
    async testDatabase({ settings }) {
      return check('database', 'Repository database', async () => {
        const s = completed(settings);
        const ctx = contextFor(s);
        return checkDatabase(ctx.sys, s, (await resolveSecrets(s, env)).get('database.password'), layoutFor(s, ctx));
      });
    },
    async testShare({ settings }) {
      return check('share', 'Shared folder', async () => {
        const s = completed(settings);
        const ctx = contextFor(s);
        const account = await ctx.sys.processes.lookupUser(s.serviceAccount.user);
        return checkShare(ctx.sys, layoutFor(s, ctx), account !== undefined);
      });
    },
    async checkHostname({ hostname }) {
      return check('hostname', 'Host name', () => checkHostname(contextFor(undefined).sys, hostname));
    },
    async plan({ settings: input }) {
      const parsed = parseSettings(input);
      if (!parsed.ok) return { invalid: parsed.issues };
      const ctx = contextFor(parsed.settings);
      const result = await prepareInstall(parsed.settings, ctx);
      prepared.clear(); // only the plan on the Ready screen may be applied
      prepared.set(result.plan.id, { prepared: result, settings: parsed.settings });
      return { plan: result.plan, preflight: result.preflight };
    },
    async apply({ planId, settings: input }, onEvent) {
      // A process that did not make the plan (the elevated agent) makes it again: plan ids are
      // content hashes, so an equal id proves it is the plan the administrator reviewed.
      const entry = prepared.get(planId) ?? (await replan(input));
      if (entry.prepared.plan.id !== planId) {
        throw new UserError('stale-plan', 'The machine changed since the plan was shown, so this plan is no longer current.', 'Go back to Ready to install to review the new plan.');
      }
      return run(entry.settings, 'install', onEvent, (ctx, hooks) => applyInstall(entry.prepared, ctx, hooks));
    },
    async cancel() {
      running?.abort();
    },
    async resume({ settings }, onEvent) {
      const s = parse(settings);
      refuseInstallContinueAfterMigration(layoutFor(s, contextFor(s)).stateDir, 'resume');
      return run(s, 'resume', onEvent, (ctx, hooks) => resumeInstall(s, ctx, hooks));
    },
    async rollback({ settings }, onEvent) {
      const s = parse(settings);
      refuseInstallContinueAfterMigration(layoutFor(s, contextFor(s)).stateDir, 'rollback');
      return run(s, 'rollback', onEvent, (ctx, hooks) => rollbackInstall(s, ctx, hooks));
    },
    async status({ settings }) {
      const s = parse(settings);
      const { nodes, services } = await readStatus(s, contextFor(s));
      return { nodes, services };
    },
    async saveDiagnostics() {
      const dir = join(defaults.stateDir, 'diagnostics');
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const path = join(dir, `diagnostics-${fileStamp()}.txt`);
      const parts = [`spsetup diagnostics ${new Date().toISOString()}`, `platform ${platform}, host ${osHostname()}`];
      // Logs, the journal and the plan never hold a secret: they are copied as they are.
      for (const file of [lastLog, join(defaults.stateDir, 'journal.jsonl'), join(defaults.stateDir, 'plan.json')]) {
        if (!file) continue;
        const text = await readFile(file, 'utf8').catch(() => undefined);
        if (text !== undefined) parts.push(`\n===== ${file}\n${text}`);
      }
      const logs = await readdir(join(defaults.stateDir, 'logs')).catch(() => []);
      parts.push(`\n===== other logs in ${join(defaults.stateDir, 'logs')}: ${logs.join(', ') || 'none'}`);
      await writeFile(path, `${parts.join('\n')}\n`, { mode: 0o600 });
      return { path };
    },
    async exportBundle({ settings, passphrase, expiresHours, outPath }) {
      const s = parse(settings);
      const phrase = passphrase ?? generatePassphrase();
      assertPassphraseStrength(phrase);
      const password = (await resolveSecrets(s, env)).get('database.password') ?? '';
      const path = outPath ?? join(layoutFor(s, contextFor(s)).stateDir, 'cluster.spbundle');
      const expiresInMs = expiresHours === null ? null : expiresHours === undefined ? DEFAULT_BUNDLE_EXPIRY_MS : expiresHours * 3_600_000;
      await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
      const ctx = contextFor(s);
      await writeBundleFile(path, await sealClusterBundle(s, password, phrase, expiresInMs, platform, { siteKey: await readStoredSiteKey(s, ctx), caCert: await readBundleCa(s, ctx) }));
      return { path, passphrase: phrase };
    },
    async importBundle({ path, bytesBase64, passphrase }) {
      const bytes = path ? await readBundleFile(path) : Buffer.from(bytesBase64 ?? '', 'base64');
      const contents = await openClusterBundle(bytes, passphrase);
      const settings = settingsFromBundle(contents, {
        hostname: osHostname(),
        serviceAccount: { user: defaults.serviceUser },
        installDir: defaults.installDir,
        dataDir: defaults.dataDir,
        stateDir: defaults.stateDir,
        ...(defaults.runitDir ? { services: { manager: 'auto', runitDir: defaults.runitDir } } : {}),
      });
      return { masked: maskBundleContents(contents) as unknown as Record<string, unknown>, settings };
    },
    async importSpc({ text }) {
      const imported = spcToSettings(text, 'spc.cfg');
      const baseSettings: SettingsInput = {
        product: DEFAULT_PRODUCT,
        cluster: { mode: imported.settings.cluster.mode },
        database: { install: imported.settings.database.install, host: imported.settings.database.host, password: '' },
        share: imported.settings.share,
        serviceAccount: { user: defaults.serviceUser },
        hostname: osHostname(),
        plannedNodes: 1,
        installDir: defaults.installDir,
        dataDir: defaults.dataDir,
        stateDir: defaults.stateDir,
      };
      const warnings = [...imported.warnings, 'spc.cfg holds the database password in plain text: prefer a settings bundle, and delete the file once used.'];
      return { settings: mergeSpcSettings(baseSettings, imported.settings), warnings };
    },
    async detectMigration({ migration }) {
      const file = migrationFileOf(migration);
      const site = migrationSite(file, platform);
      const detected = await detectSite(migrationContext(file).sys, { manifest: site.manifest, installDir: site.installDir, dataDir: site.dataDir });
      return describeDetected(detected, hasUnfinishedMigration(file));
    },
    async planMigration({ migration }) {
      const prepared = await prepareMigrationOf(migration);
      return { detected: describeDetected(prepared.detected, hasUnfinishedMigration(migrationFileOf(migration))), plan: prepared.plan, preflight: prepared.preflight };
    },
    async applyMigration({ planId, migration }, onEvent) {
      // As apply: the agent plans again, and an equal content-hash id proves it is the reviewed plan.
      const prepared = migrations.get(planId) ?? (await prepareMigrationOf(migration));
      if (prepared.plan.id !== planId) {
        throw new UserError('stale-plan', 'The node changed since the migration plan was shown, so this plan is no longer current.', 'Go back to the migration plan to review the new one.');
      }
      return run(prepared.settings, 'migrate', onEvent, (ctx, hooks) => applyMigration(prepared, ctx, hooks));
    },
    async resumeMigration({ migration }, onEvent) {
      const file = migrationFileOf(migration);
      const existing = await readRepositoryPassword(migrationSite(file, platform).configPath).catch(() => undefined);
      const settings = targetSettings(file, existing?.password);
      return run(settings, 'migrate-resume', onEvent, (ctx, hooks) => resumeMigration(file, ctx, hooks));
    },
    // The Site screen: the same use cases as `spsetup site`, with the settings the wizard holds (defaults filled in).
    async siteStatus({ settings }) {
      const s = completed(settings);
      return readSite(s, contextFor(s));
    },
    async planSiteOperation({ settings, operation }) {
      const s = completed(settings);
      return planSiteOperation(s, contextFor(s), parseSiteOperationInput(operation));
    },
    async runSiteOperation({ settings, operation, planId }, onEvent) {
      const s = completed(settings);
      return runSiteOperation(s, contextFor(s), parseSiteOperationInput(operation), { planId, onProgress: (operationId, outcomes) => onEvent({ kind: 'site-progress', operationId, outcomes }) });
    },
    async siteSettings({ settings }) {
      const s = completed(settings);
      return readSiteSettings(s, contextFor(s));
    },
    async siteBackup({ settings, ...req }) {
      const s = completed(settings);
      return siteBackupAction(s, contextFor(s), req);
    },
    // The existing database server's preparation: the same use case and plan as `spsetup db prepare`.
    async planDbPrepare({ settings: input }) {
      const parsed = parseSettings(input);
      if (!parsed.ok) return { invalid: parsed.issues };
      return { plan: (await prepareDbOf(parsed.settings)).plan };
    },
    async applyDbPrepare({ planId, settings: input }, onEvent) {
      const settings = parse(input);
      // As apply: the agent plans again, and an equal content-hash id proves it is the reviewed plan.
      const entry = dbPreparations.get(planId) ?? { prepared: await prepareDbOf(settings), settings };
      if (entry.prepared.plan.id !== planId) {
        throw new UserError('stale-plan', 'The database server changed since its preparation plan was shown, so this plan is no longer current.', 'Show the plan again and review it.');
      }
      return run(entry.settings, 'db-prepare', onEvent, async (ctx, hooks) => {
        const result = await applyDatabasePreparation(entry.prepared, ctx, hooks);
        dbPreparations.clear();
        const undone = result.rolledBack;
        if (!undone || !result.error) return result;
        // The wizard shows one error: it says too whether this run's changes were taken back.
        const taken = undone.outcome === 'rolled-back' ? 'What this run changed was taken back.' : `Taking back this run's changes did not finish (${undone.error?.message ?? undone.outcome}): see the log.`;
        return { ...result, error: { ...result.error, fix: `${taken} ${result.error.fix ?? ''}`.trim() } };
      });
    },
  };
}
