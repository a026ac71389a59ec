/**
 * The install planner: settings + node layout -> the ordered steps of the guide's procedure.
 * Pure: it reads nothing; each step's check later says what it would change on this machine.
 */
import type { PlanDraft, StepDraft } from '../../engine/plan-builder.js';
import type { Settings } from '../../shared/settings.js';
import { bootstrapCommands, type NodeLayout } from './layout.js';
import { adaptPlanForWindows } from './steps/windows-plan.js';
import { planSiteSteps } from '../site/plan-site.js';

const LOOPBACK = '127.0.0.1';

/** Where the local database's server binaries come from (found by the caller). */
export interface PlannerInputs {
  readonly settings: Settings;
  readonly layout: NodeLayout;
  readonly nodeExecutable: string;
  /** Folder holding the PostgreSQL server binaries to copy for a local database (bin/, lib/, share/). */
  readonly databaseMediaDir?: string;
  /** Non-secret fields of the connection string this node's services use. */
  readonly repositoryHost: string;
  /** The spsetup launcher the node agent service runs (bin/spsetup.js). */
  readonly spsetupEntry: string;
}

/** The steps of a Create cluster or Join cluster install. */
export function planInstall(input: PlannerInputs): PlanDraft {
  const { settings, layout } = input;
  const db = settings.database;
  const steps: StepDraft[] = [];
  const warnings: string[] = [];
  const add = (id: string, kind: string, title: string, params: Record<string, unknown>, undoneWith?: string) =>
    steps.push(undoneWith === undefined ? { id, kind, title, params } : { id, kind, title, params, undoneWith });
  // Changes inside the local database go when rollback removes its cluster.
  const insideLocalDb = layout.localDb ? 'database-cluster' : undefined;
  const account = layout.serviceAccount;
  const nonAdminGroups = settings.serviceAccount.isAdministrator ? [] : [layout.manifest.serviceUsersGroup, ...layout.manifest.extraGroups];

  add('service-account', 'os-account', `Service account ${account}`, { user: account, groups: nonAdminGroups, home: layout.dataDir });
  add('share-folders', 'directory', 'Shared folders (root, Apps, ArchivedLogs, CustomData, StaticContent)', {
    paths: [layout.share.root, layout.share.apps, layout.share.archivedLogs, layout.share.customData, layout.share.staticContent],
    owner: account,
    mode: 0o770,
    grants: [{ principal: layout.manifest.serviceUsersGroup, rights: 'modify', inherit: true }],
  });
  add('data-folder', 'directory', 'Data folder', {
    paths: [layout.dataDir],
    owner: account,
    mode: 0o750,
    grants: [{ principal: layout.manifest.serviceUsersGroup, rights: 'full', inherit: true }],
    // Node-local: what the installed node wrote there (logs, its database) goes with a rollback.
    undoRemovesContent: true,
  });
  if (layout.manifest.mediaDir) {
    add('product-files', 'copy-tree', `Product files in ${layout.installDir}`, { source: layout.manifest.mediaDir, target: layout.installDir });
  }

  if (layout.localDb) {
    if (!input.databaseMediaDir) throw new Error('planInstall: a local database needs databaseMediaDir');
    const listener = db.listener;
    add('database-binaries', 'copy-tree', 'Repository database server files', {
      source: input.databaseMediaDir,
      target: layout.localDb.binDir.replace(/[\\/]bin$/, ''),
    });
    add('database-cluster', 'pg-initdb', 'Repository database cluster (initdb)', {
      binDir: layout.localDb.binDir,
      dataDir: layout.localDb.dataDir,
      superuser: db.superuser,
      superuserPassword: { secret: 'database.superuserPassword' },
      osUser: account,
    });
    add('database-settings', 'pg-conf', 'postgresql.conf: listen addresses, port, max connections', {
      path: `${layout.localDb.dataDir}/postgresql.conf`,
      settings: {
        listen_addresses: (listener?.listenAddresses ?? ['localhost']).join(','),
        port: String(layout.localDb.port),
        max_connections: String(listener?.maxConnections ?? layout.manifest.database.connectionsPerNode * settings.plannedNodes),
      },
      validate: { binDir: layout.localDb.binDir, dataDir: layout.localDb.dataDir, osUser: account },
    });
    add('database-access', 'pg-hba', 'pg_hba.conf: the nodes that may connect', {
      path: `${layout.localDb.dataDir}/pg_hba.conf`,
      rules: hbaRules(settings),
    });
  }

  const register = (def: NodeLayout['services'][number]['def']) => add(`service-${def.name}`, 'service', `Register service ${def.displayName}`, { definition: def });
  const [databaseService] = layout.services.filter((s) => !s.spec);
  if (layout.localDb && databaseService) {
    register(databaseService.def);
    add('database-start', 'service-running', `Start ${layout.manifest.database.service.displayName}`, {
      services: [{ name: layout.manifest.database.service.name, readiness: { port: layout.localDb.port, timeoutMs: 60_000 } }],
      host: LOOPBACK,
    });
    add('database-owner', 'pg-role-database', `Database ${db.name} owned by role ${db.user}`, {
      server: { host: LOOPBACK, port: layout.localDb.port, user: db.superuser, password: { secret: 'database.superuserPassword' } },
      role: db.user,
      password: { secret: 'database.password' },
      database: db.name,
    }, insideLocalDb);
  }

  add('product-config', 'file-content', `Product configuration ${layout.configFile}`, {
    path: layout.configFile,
    content: layout.manifest.renderConfig({
      hostname: settings.hostname,
      isCentral: layout.isCentral,
      installDir: layout.installDir,
      dataDir: layout.dataDir,
      share: layout.share,
    }),
    owner: account,
    mode: 0o640,
  });
  add('connection-string', 'connection-string', 'Repository connection string (protected)', {
    path: layout.connectionStringFile,
    account,
    fields: { userId: db.user, host: input.repositoryHost, port: db.port, database: db.name, ...(db.ssl === 'require' ? { sslMode: 'Require' } : {}) },
    password: { secret: 'database.password' },
  });
  const repository = {
    host: input.repositoryHost,
    port: db.port,
    user: db.user,
    database: db.name,
    password: { secret: 'database.password' },
    ssl: db.ssl,
  };
  add('bootstrap', 'bootstrap', layout.isCentral ? 'Bootstrap the central node (-iscentral)' : 'Bootstrap this rim node', {
    commands: bootstrapCommands(layout, input.nodeExecutable),
    user: account,
    cwd: layout.installDir,
    repository,
    registrationQuery: layout.manifest.registrationQuery,
    hostname: settings.hostname,
    isCentral: layout.isCentral,
  }, insideLocalDb);
  // The node agent joins the site before the product's services start (and so stops after them).
  steps.push(...planSiteSteps({ settings, layout, nodeExecutable: input.nodeExecutable, spsetupEntry: input.spsetupEntry, repositoryHost: input.repositoryHost, repository }));
  // Registered after the bootstrap: a supervisor may start a service as soon as it is registered.
  for (const { spec, def } of layout.services) if (spec) register(def);
  if (settings.startServices) {
    const product = layout.services.filter((s) => s.spec);
    add('start-services', 'service-running', 'Start the services in order', {
      services: product.map(({ spec, def, readinessLog }) => ({ name: def.name, readiness: { ...spec!.readiness, logFile: readinessLog } })),
      host: LOOPBACK,
    });
  } else {
    warnings.push('Services will not be started (as the guide asks for a service account without administrator rights): start them when the remaining manual steps are done.');
  }
  add('registration', 'node-registered', 'This node is registered in the shared repository database', {
    repository,
    registrationQuery: layout.manifest.registrationQuery,
    hostname: settings.hostname,
    isCentral: layout.isCentral,
  });

  if (db.listener?.ipRanges.some((r) => r === '0.0.0.0/0' || r === '::/0')) {
    warnings.push('The database accepts connections from every address (0.0.0.0/0): narrow the IP ranges to the nodes of the site where you can.');
  }
  const secrets = ['database.password', ...(layout.localDb ? ['database.superuserPassword'] : []), ...(settings.cluster.siteKey !== undefined ? ['cluster.siteKey'] : [])];
  const draft = {
    title: `${settings.cluster.mode === 'create' ? 'Create cluster' : 'Join cluster'} on ${settings.hostname} (${layout.manifest.displayName})`,
    steps,
    secrets,
    warnings,
  };
  return layout.platform === 'win32' ? adaptPlanForWindows(draft, layout, settings.serviceAccount.isAdministrator, settings.share.local) : draft;
}

/** pg_hba rules: local access for the installer, and the site's ranges for the repository role. */
export function hbaRules(settings: Settings): { type: string; database: string; user: string; address: string; method: string }[] {
  const db = settings.database;
  const type = db.ssl === 'require' ? 'hostssl' : 'host';
  const rules = [{ type: 'host', database: 'all', user: db.superuser, address: '127.0.0.1/32', method: 'scram-sha-256' }];
  for (const range of db.listener?.ipRanges ?? []) rules.push({ type, database: db.name, user: db.user, address: range, method: 'scram-sha-256' });
  return rules;
}
