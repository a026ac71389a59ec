/**
 * The migration planner: the guide's upgrade procedure for one node as a plan draft, built from
 * what detection found, the target settings and the installer's own steps (Create cluster on the
 * existing database for the central node, Join cluster for a rim node). Pure.
 */
import { join } from 'node:path';
import type { PlanDraft, StepDraft } from '../../engine/plan-builder.js';
import type { Settings } from '../../shared/settings.js';
import type { NodeLayout } from '../installer/layout.js';
import { hbaRules, repositoryConnectionOf } from '../installer/planner.js';
import { planRegistrationSteps } from '../registration/plan-registration.js';
import { nodeAgentStartDraft, SITE_STEP_IDS } from '../site/plan-site.js';
import type { ContentMapping } from './content-layout.js';
import { SCENARIO_TITLES, type Scenario } from './detect.js';
import { pgConfStep, pgHbaStep } from '../installer/steps/pg-conf.js';
import { serviceRunningStep, serviceStep } from '../installer/steps/service.js';
import { backupStep } from './steps/backup.js';
import { copyToShareStep } from './steps/copy-to-share.js';
import { databaseRestartStep } from './steps/database-restart.js';
import { removeLocalDataStep } from './steps/remove-local-data.js';
import { repositoryConfigStep } from './steps/repository-config.js';
import { repositoryPasswordStep } from './steps/repository-password.js';
import { servicesStoppedStep } from './steps/services-stopped.js';
import { truncateSyncStep } from './steps/truncate-sync.js';

export type MigrationRole = 'central' | 'rim';

/** Secret names the migration adds to the installer's. */
export const EXISTING_PASSWORD = 'existing.password';

export interface MigrationPlanInput {
  readonly role: MigrationRole;
  readonly scenario: Scenario;
  readonly currentRelease: string;
  /** The node's repository configuration file. */
  readonly repositoryConfigPath: string;
  /** The node's current repository database (from its connection string; no password). */
  readonly existingDb: { readonly host: string; readonly port: number; readonly user: string; readonly database: string };
  /** Folder of the database server's binaries (pg_dump, pg_restore of the server's own version). */
  readonly serverBinDir: string;
  /** The server's data directory (postgresql.conf, pg_hba.conf), when known. */
  readonly serverDataDir?: string;
  readonly settings: Settings;
  readonly layout: NodeLayout;
  /** The installer's plan for the target node (built with startServices false). */
  readonly install: PlanDraft;
  readonly folders: readonly ContentMapping[];
  readonly backupDir: string;
}

/** Where the verified-copy manifest goes (the TRUNCATE requires it). */
export function copyManifestPath(stateDir: string): string {
  return join(stateDir, 'migration', 'content-verified.json');
}

/** The migration's steps for one node, in the guide's order. */
export function planMigration(input: MigrationPlanInput): PlanDraft {
  const { settings, layout, scenario } = input;
  const steps: StepDraft[] = [];
  const repositoryLogin = repositoryConnectionOf(settings, layout, settings.database.host);
  // The install was planned with the services left stopped: its "registered once the services run" warnings are this plan's steps.
  const deferred = new Set(planRegistrationSteps({ settings: { ...settings, startServices: false }, layout, repository: repositoryLogin }).warnings);
  const warnings: string[] = [...input.install.warnings.filter((w) => !w.startsWith('Services will not be started') && !deferred.has(w))];
  const add = (...drafts: StepDraft[]) => steps.push(...drafts);
  const installStep = (id: string) => input.install.steps.find((s) => s.id === id);
  const addInstall = (...ids: string[]) => {
    for (const id of ids) {
      const s = installStep(id);
      if (s) steps.push(s);
    }
  };
  const existingLogin = { ...input.existingDb, password: { secret: EXISTING_PASSWORD } };
  const product = layout.services.filter((s) => s.spec);
  const dbService = layout.manifest.database.service.name;
  const central = input.role === 'central';
  const copies = scenario !== 'shared-older';
  const folders = input.folders.map((f) => ({ id: f.id, label: f.label, source: f.source, target: f.target }));

  add(
    repositoryPasswordStep.draft('repository-password', 'Read the repository password from the existing configuration', { configPath: input.repositoryConfigPath, database: existingLogin }),
    servicesStoppedStep.draft('stop-services', 'Stop the product services (the database keeps running)', { services: product.map((s) => s.def.name) }),
    backupStep.draft('backup', 'Back up the repository database and the content folders', {
      backupDir: input.backupDir,
      database: { ...existingLogin, binDir: input.serverBinDir },
      folders: copies ? folders.map((f) => ({ ...f, target: join(input.backupDir, 'content', f.id) })) : [],
    }),
  );

  if (!central) {
    // The guide: "delete all data": it lives on the central node now; the backup keeps a copy.
    add(
      removeLocalDataStep.draft('remove-local-data', 'Remove the local content folders', {
        paths: [...new Set(input.folders.map((f) => f.source))],
        backupManifest: join(input.backupDir, 'content-manifest.json'),
      }),
    );
  }
  addInstall('service-account', 'share-folders');
  if (central && copies) {
    add(copyToShareStep.draft('copy-content', 'Copy content to the shared folders', { folders, manifestPath: copyManifestPath(layout.stateDir), owner: layout.serviceAccount }));
  }
  const siteIds = input.install.steps.filter((s) => SITE_STEP_IDS.includes(s.id)).map((s) => s.id);
  const serviceIds = input.install.steps.filter((s) => s.kind === serviceStep.kind && !siteIds.includes(s.id)).map((s) => s.id);
  // The site steps (site key, spsetup's schema, the node agent) as the install has them, after the bootstrap.
  addInstall('data-folder', 'product-files', 'product-config', 'connection-string', 'bootstrap', ...siteIds, ...serviceIds);

  const configureRepository = () =>
    repositoryConfigStep.draft('repository-config', 'Configure the repository for shared persistence and the shared folders', {
      path: input.repositoryConfigPath,
      release: input.currentRelease,
      share: layout.share,
      connection: { userId: settings.database.user, host: settings.database.host, port: settings.database.port, database: settings.database.name },
      password: { secret: 'database.password' },
    });
  // The older releases get the shared folders from the new install; the current one is configured after QSD and QRS run (the guide's step 12).
  const configureLater = central && scenario === 'sync-current';
  if (!configureLater) add(configureRepository());

  const superuserPassword = settings.database.superuserPassword !== undefined;
  if (central && copies) {
    const listener = settings.database.listener;
    if (listener && input.serverDataDir && superuserPassword) {
      const live = { host: input.existingDb.host, port: input.existingDb.port, user: settings.database.superuser, password: { secret: 'database.superuserPassword' } };
      add(
        pgConfStep.draft('database-listener', 'postgresql.conf: listen addresses and max connections for the other nodes', {
          path: join(input.serverDataDir, 'postgresql.conf'),
          settings: { listen_addresses: listener.listenAddresses.join(','), max_connections: String(listener.maxConnections) },
          live,
          neverLower: ['max_connections'],
        }),
        pgHbaStep.draft('database-access', 'pg_hba.conf: the nodes that may connect', { path: join(input.serverDataDir, 'pg_hba.conf'), rules: hbaRules(settings), live }),
        databaseRestartStep.draft('database-restart', `Restart ${dbService} if a setting needs it`, { service: dbService, database: { ...live, database: input.existingDb.database } }),
      );
    } else {
      warnings.push('The database listener is not configured (no listener, superuser password or server data directory): rim nodes cannot connect until it is.');
    }
    add(
      truncateSyncStep.draft('truncate-sync-tables', 'TRUNCATE the synchronization tables (after the verified copy)', {
        database: existingLogin,
        tables: [...layout.manifest.syncTables],
        requireManifest: copyManifestPath(layout.stateDir),
      }),
    );
  }

  const start = (id: string, title: string, services: typeof product) =>
    add(
      serviceRunningStep.draft(id, title, {
        services: services.map(({ spec, def, readinessLog }) => ({ name: def.name, readiness: { ...spec!.readiness, logFile: readinessLog } })),
        host: '127.0.0.1',
      }),
    );
  const [dispatcher, repository, ...rest] = product;
  if (dispatcher && repository) {
    start('start-dispatcher-repository', `Start ${dispatcher.def.displayName}, then ${repository.def.displayName}`, [dispatcher, repository]);
    if (configureLater) {
      add(
        configureRepository(),
        servicesStoppedStep.draft('restart-dispatcher-repository', `Stop ${dispatcher.def.displayName} and ${repository.def.displayName} to restart them`, { services: [dispatcher.def.name, repository.def.name] }),
      );
      start('restart-dispatcher-repository-start', `Start ${dispatcher.def.displayName}, then ${repository.def.displayName} again`, [dispatcher, repository]);
    }
  }
  start('start-services', 'Start the remaining services', rest);
  // Registered with autoStart off so nothing ran before the TRUNCATE; now they start at boot again.
  for (const s of product) add(serviceStep.draft(`autostart-${s.def.name}`, `${s.def.displayName} starts at boot`, { definition: { ...s.def, autoStart: true } }));
  // Issue 18: the node agent runs (the central one starts the rim nodes' registrations), then the
  // install's registration steps: the monitoring apps on the central node, on a rim node its
  // registration with the central node (the guide's "add the node in the QMC" / Redistribute).
  if (!siteIds.includes('node-agent-start')) add(nodeAgentStartDraft(layout));
  const registering = planRegistrationSteps({ settings: { ...settings, startServices: true }, layout, repository: repositoryLogin });
  add(...registering.steps);
  warnings.push(...registering.warnings);
  addInstall('registration');

  const licence = registering.steps.some((s) => s.kind === 'licence') ? ['licence.key'] : [];
  const secrets = [...new Set([EXISTING_PASSWORD, ...input.install.secrets, ...(superuserPassword ? ['database.superuserPassword'] : []), ...licence])];
  return {
    title: `Migrate ${settings.hostname} (${central ? 'central' : 'rim'} node) from ${SCENARIO_TITLES[scenario]} to shared persistence ${input.currentRelease}`,
    steps,
    secrets,
    warnings,
  };
}
