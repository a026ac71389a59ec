/**
 * The migration's operations on one node: detect, plan (dry run), apply, resume. Shared by the
 * CLI and the wizard's back end.
 */
import { spsetupEntry } from '../site/agent-config.js';
import { join } from 'node:path';
import { previewPlan } from '../../engine/plan-builder.js';
import { lastOutcome, readJournal } from '../../engine/journal.js';
import { loadPlan } from '../../engine/plan-store.js';
import { StepRegistry } from '../../engine/registry.js';
import { applyPlan, resumePlan, type RunResult } from '../../engine/runner.js';
import { UserError } from '../../shared/errors.js';
import type { CheckOutcome } from '../../shared/ipc.js';
import type { Plan } from '../../shared/plan.js';
import { defaultPaths, type Settings } from '../../shared/settings.js';
import { getManifest } from '../../product/index.js';
import { gatherFacts } from '../installer/facts.js';
import type { InstallerContext, RunHooks } from '../installer/installer.js';
import { layoutFor } from '../installer/installer.js';
import type { NodeLayout } from '../installer/layout.js';
import { resolveSecrets } from '../installer/load-settings.js';
import { planInstall } from '../installer/planner.js';
import { checkPlanSpace, runPreflight } from '../installer/preflight.js';
import { createStepRegistry } from '../installer/step-kinds.js';
import type { System } from '../../system/system.js';
import { contentLayout } from './content-layout.js';
import { detectSite, type DetectedSite } from './detect.js';
import { nodeFolders, targetSettings, type MigrationFile } from './migration-settings.js';
import { EXISTING_PASSWORD, planMigration } from './planner.js';
import { backupStep } from './steps/backup.js';
import { copyToShareStep } from './steps/copy-to-share.js';
import { databaseRestartStep } from './steps/database-restart.js';
import { removeLocalDataStep } from './steps/remove-local-data.js';
import { repositoryConfigStep } from './steps/repository-config.js';
import { readRepositoryPassword, repositoryPasswordStep } from './steps/repository-password.js';
import { servicesStoppedStep } from './steps/services-stopped.js';
import { truncateSyncStep } from './steps/truncate-sync.js';

/** The installer's step kinds and the migration's. */
export function createMigrationRegistry(): StepRegistry<System> {
  const registry = createStepRegistry();
  for (const kind of [backupStep, copyToShareStep, databaseRestartStep, removeLocalDataStep, repositoryConfigStep, repositoryPasswordStep, servicesStoppedStep, truncateSyncStep]) registry.register(kind);
  return registry;
}

const registry = createMigrationRegistry();

export interface PreparedMigration {
  readonly detected: DetectedSite;
  readonly settings: Settings;
  readonly plan: Plan;
  readonly preflight: readonly CheckOutcome[];
  readonly layout: NodeLayout;
  readonly secrets: ReadonlyMap<string, string>;
}

/** The repository configuration path of the node in the migration file. */
function siteInput(file: MigrationFile, superuser?: { user: string; password: string }) {
  const folders = nodeFolders(file);
  const manifest = getManifest(folders.product === 'qlik-sense' ? 'qlik-sense' : 'reference');
  const defaults = defaultPaths(process.platform === 'win32' ? 'win32' : 'linux', manifest.folder);
  return { manifest, installDir: folders.installDir ?? defaults.installDir, dataDir: folders.dataDir ?? defaults.dataDir, ...(superuser ? { superuser } : {}) };
}

async function secretsFor(settings: Settings, existingPassword: string, ctx: InstallerContext): Promise<Map<string, string>> {
  const secrets = new Map(await resolveSecrets(settings, ctx.env ?? process.env));
  secrets.set(EXISTING_PASSWORD, existingPassword);
  return secrets;
}

/** Detects the scenario, runs preflight and makes the whole migration plan; changes nothing. */
export async function prepareMigration(file: MigrationFile, ctx: InstallerContext): Promise<PreparedMigration> {
  const input = siteInput(file);
  const configPath = join(input.installDir, (input.manifest.repositoryConfigFile ?? 'Repository/Repository.exe.config').replace(/\\/g, '/'));
  // Detection first (no superuser yet): a folder that is no site is refused before anything else.
  await detectSite(ctx.sys, input);
  const existing = await readRepositoryPassword(configPath);
  const settings = targetSettings(file, existing.password);
  const suPassword = (await resolveSecrets(settings, ctx.env ?? process.env)).get('database.superuserPassword');
  const detected = await detectSite(ctx.sys, { ...input, ...(suPassword ? { superuser: { user: settings.database.superuser, password: suPassword } } : {}) });
  const facts = detected.facts;
  const connection = facts.connection!;
  const database = facts.database!;
  if (file.role === 'central' && settings.cluster.mode !== 'create') throw new UserError('invalid-input', 'The central node is migrated with Create cluster.', 'Set settings.cluster.mode to "create".');
  if (file.role === 'rim' && settings.cluster.mode !== 'join') throw new UserError('invalid-input', 'A rim node is migrated with Join cluster.', 'Set settings.cluster.mode to "join".');
  if (settings.database.install !== 'existing') {
    throw new UserError('invalid-input', 'The migration keeps the existing repository database.', 'Set settings.database.install to "existing" with the host and port of the repository database.');
  }
  const centralRow = database.nodes.find((n) => n.is_central);
  if (file.role === 'central' && centralRow && centralRow.hostname !== settings.hostname) {
    throw new UserError('conflict', `The central node of this site is ${centralRow.hostname}, not ${settings.hostname}.`, `Run the central migration on ${centralRow.hostname}, or set settings.hostname to its name.`);
  }
  const binDir = database.serverBinDir ?? ctx.sys.postgres.findServerBinaries().find((b) => b.major === Math.floor(database.serverVersionNum / 10000))?.binDir;
  if (!binDir) throw new UserError('not-found', 'The database server\'s own pg_dump was not found.', 'Give the database superuser password (settings.database.superuserPassword) so the server can be located, or install the PostgreSQL client of the same version.');

  const migrateSettings: Settings = { ...settings, startServices: false };
  const layout = layoutFor(migrateSettings, ctx);
  const install = planInstall({ settings: migrateSettings, layout, nodeExecutable: ctx.nodeExecutable ?? process.execPath, repositoryHost: settings.database.host, spsetupEntry: ctx.spsetupEntry ?? spsetupEntry() });
  const folders = contentLayout({ platform: layout.platform, dataDir: layout.dataDir, share: layout.share, includeArchivedLogs: file.includeArchivedLogs });
  const draft = planMigration({
    role: file.role,
    scenario: detected.scenario,
    currentRelease: detected.currentRelease,
    repositoryConfigPath: configPath,
    existingDb: { host: connection.host, port: connection.port, user: connection.userId, database: connection.database },
    serverBinDir: binDir,
    ...(database.serverDataDir ? { serverDataDir: database.serverDataDir } : {}),
    settings: migrateSettings,
    layout,
    install,
    folders,
    backupDir: file.backupDir,
  });
  const secrets = await secretsFor(settings, existing.password, ctx);
  const installFacts = await gatherFacts(ctx.sys, layout);
  const planFacts = { ...installFacts, site: { scenario: detected.scenario, release: detected.release } };
  const [rawPreflight, plan] = await Promise.all([
    runPreflight(ctx.sys, { settings: migrateSettings, layout, facts: installFacts, secrets }),
    previewPlan(draft, planFacts, registry, { sys: ctx.sys, stateDir: layout.stateDir, signal: new AbortController().signal, secret: (n) => secrets.get(n) ?? '' }),
  ]);
  // The migration configures max_connections itself (the listener step): that finding is planned, not a failure.
  const fixesListener = plan.steps.some((s) => s.id === 'database-listener');
  const preflight = rawPreflight.map((c) =>
    !c.ok && c.id === 'database' && fixesListener && /max_connections/.test(c.message) ? { id: c.id, title: c.title, ok: true, message: `${c.message} The migration sets it (step database-listener).` } : c,
  );
  return { detected, settings: migrateSettings, plan, preflight: [...preflight, await checkPlanSpace(ctx.sys, plan, layout)], layout, secrets };
}

/** Applies a prepared migration; refuses while preflight fails or when the machine changed since planning. */
export async function applyMigration(prepared: PreparedMigration, ctx: InstallerContext, hooks: RunHooks = {}): Promise<RunResult> {
  const failed = prepared.preflight.filter((c) => !c.ok);
  if (failed.length) {
    throw new UserError('preflight-failed', `Preflight failed: ${failed.map((c) => `${c.title}: ${c.message}`).join(' ')}`, failed.map((c) => c.fix).filter(Boolean).join(' ') || undefined);
  }
  return applyPlan(prepared.plan, {
    registry,
    sys: ctx.sys,
    stateDir: prepared.layout.stateDir,
    secrets: (n) => prepared.secrets.get(n),
    ...(hooks.onEvent ? { onEvent: hooks.onEvent } : {}),
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    gatherFacts: async () => ({ ...(await gatherFacts(ctx.sys, prepared.layout)), site: { scenario: prepared.detected.scenario, release: prepared.detected.release } }),
  });
}

/** The state folder the migration file's node uses. */
export function migrationStateDir(file: MigrationFile): string {
  const raw = file.settings as Record<string, unknown>;
  if (typeof raw['stateDir'] === 'string') return raw['stateDir'];
  return defaultPaths(process.platform === 'win32' ? 'win32' : 'linux', siteInput(file).manifest.folder).stateDir;
}

/** True when the last plan in this state folder is a migration (only `spsetup migrate resume` knows its step kinds). */
export function lastPlanIsMigration(stateDir: string): boolean {
  return Boolean(loadPlan(stateDir)?.steps.some((s) => s.kind.startsWith('migration-')));
}

/** True when this node holds a migration that started and did not finish. */
export function hasUnfinishedMigration(file: MigrationFile): boolean {
  const stateDir = migrationStateDir(file);
  const plan = loadPlan(stateDir);
  if (!plan || !lastPlanIsMigration(stateDir)) return false;
  const outcome = lastOutcome(readJournal(stateDir), plan.id);
  return outcome === 'interrupted' || outcome === 'failed' || outcome === 'cancelled';
}

/** Continues the last migration on this node at its first unfinished step. */
export async function resumeMigration(file: MigrationFile, ctx: InstallerContext, hooks: RunHooks = {}): Promise<RunResult> {
  const input = siteInput(file);
  const configPath = join(input.installDir, (input.manifest.repositoryConfigFile ?? 'Repository/Repository.exe.config').replace(/\\/g, '/'));
  const existing = await readRepositoryPassword(configPath).catch(() => undefined);
  const settings = targetSettings(file, existing?.password);
  const secrets = await secretsFor(settings, existing?.password ?? '', ctx);
  return resumePlan({
    registry,
    sys: ctx.sys,
    stateDir: migrationStateDir(file),
    secrets: (n) => secrets.get(n),
    ...(hooks.onEvent ? { onEvent: hooks.onEvent } : {}),
    ...(hooks.signal ? { signal: hooks.signal } : {}),
  });
}
