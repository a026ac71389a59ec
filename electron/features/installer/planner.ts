/**
 * The install planner: settings + node layout -> the ordered steps of the guide's procedure.
 * Pure: it reads nothing; each step's check later says what it would change on this machine.
 * Every step is made by its kind's typed constructor. Where Windows needs other steps (an
 * existing account, an elevated bootstrap, the services' logon, a share on this node) the planner
 * picks them here; how access is compared and applied is the System adapters' (Files).
 */
import type { PlanDraft, StepDraft } from '../../engine/plan-builder.js';
import { directoryStep } from '../../engine/steps/directory.js';
import { fileContentStep } from '../../engine/steps/file-content.js';
import type { Settings } from '../../shared/settings.js';
import { isUncPath } from '../../system/windows/paths.js';
import { planSiteSteps } from '../site/plan-site.js';
import { nodeCaDraft, nodeCaPath, serverCertificateDraft, serverCertNames, serverSslSettings, sslHbaRules } from '../tls/plan-tls.js';
import { planRegistrationSteps } from '../registration/plan-registration.js';
import { bootstrapCommands, type NodeLayout } from './layout.js';
import { bootstrapStep, nodeRegisteredStep } from './steps/bootstrap.js';
import { connectionStringStep } from './steps/connection-string.js';
import { copyTreeStep } from './steps/copy-tree.js';
import { osAccountStep } from './steps/os-account.js';
import { pgConfStep, pgHbaStep } from './steps/pg-conf.js';
import { pgInitdbStep } from './steps/pg-initdb.js';
import { passwordStorage, pgRoleDatabaseStep } from './steps/pg-role-database.js';
import { serviceRunningStep, serviceStep } from './steps/service.js';
import { windowsAccountStep } from './steps/windows-account.js';
import { windowsBootstrapStep } from './steps/windows-bootstrap.js';
import { localShareSteps, refuseUnsupportedOnWindows, serviceAccountPasswordSecret, serviceLogonSteps } from './windows-steps.js';

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
  const windows = layout.platform === 'win32';
  if (windows) refuseUnsupportedOnWindows(layout);
  const db = settings.database;
  const ssl = db.ssl !== 'disable';
  const steps: StepDraft[] = [];
  const warnings: string[] = [];
  const account = layout.serviceAccount;
  const group = layout.manifest.serviceUsersGroup;
  const isAdministrator = settings.serviceAccount.isAdministrator;
  const nonAdminGroups = isAdministrator ? [] : [group, ...layout.manifest.extraGroups];
  // Grants (Windows ACLs; POSIX goes by mode and owner): a local group means nothing on another
  // machine, so grants on a \\server\share path name the account itself; so do grants for an
  // administrator account (the group is only made on the non-administrator path).
  const grantee = (paths: readonly string[]) => (isAdministrator || paths.some(isUncPath) ? account : group);
  // Changes inside the local database go when rollback removes its cluster.
  const insideLocalDb = { undoneWith: layout.localDb ? 'database-cluster' : undefined };

  const accountTitle = `Service account ${account}`;
  steps.push(
    windows
      ? windowsAccountStep.draft('service-account', accountTitle, { user: account, groups: nonAdminGroups })
      : osAccountStep.draft('service-account', accountTitle, { user: account, groups: nonAdminGroups, home: layout.dataDir }),
  );
  if (windows && settings.share.local) steps.push(...localShareSteps(layout, settings.share.local, grantee([settings.share.local.path])));
  const sharePaths = [layout.share.root, layout.share.apps, layout.share.archivedLogs, layout.share.customData, layout.share.staticContent];
  steps.push(
    directoryStep.draft('share-folders', 'Shared folders (root, Apps, ArchivedLogs, CustomData, StaticContent)', {
      paths: sharePaths,
      owner: account,
      mode: 0o770,
      grants: [{ principal: grantee(sharePaths), rights: 'modify', inherit: true }],
    }),
    directoryStep.draft('data-folder', 'Data folder', {
      paths: [layout.dataDir],
      owner: account,
      mode: 0o750,
      grants: [{ principal: grantee([layout.dataDir]), rights: 'full', inherit: true }],
      // Node-local: what the installed node wrote there (logs, its database) goes with a rollback.
      undoRemovesContent: true,
    }),
  );
  if (layout.manifest.mediaDir) {
    steps.push(copyTreeStep.draft('product-files', `Product files in ${layout.installDir}`, { source: layout.manifest.mediaDir, target: layout.installDir }));
  }

  if (layout.localDb) {
    if (!input.databaseMediaDir) throw new Error('planInstall: a local database needs databaseMediaDir');
    const listener = db.listener;
    steps.push(
      copyTreeStep.draft('database-binaries', 'Repository database server files', { source: input.databaseMediaDir, target: layout.localDb.binDir.replace(/[\\/]bin$/, '') }),
      pgInitdbStep.draft('database-cluster', 'Repository database cluster (initdb)', {
        binDir: layout.localDb.binDir,
        dataDir: layout.localDb.dataDir,
        superuser: db.superuser,
        superuserPassword: { secret: 'database.superuserPassword' },
        osUser: account,
      }),
    );
    if (ssl) {
      steps.push(
        serverCertificateDraft({ settings, dataDir: layout.localDb.dataDir, osUser: account, stateDir: layout.stateDir, names: serverCertNames(settings, [input.repositoryHost]) }),
      );
    }
    steps.push(
      pgConfStep.draft('database-settings', `postgresql.conf: listen addresses, port, max connections${ssl ? ', SSL (TLS 1.2 or later)' : ''}`, {
        path: `${layout.localDb.dataDir}/postgresql.conf`,
        settings: {
          listen_addresses: (listener?.listenAddresses ?? ['localhost']).join(','),
          port: String(layout.localDb.port),
          max_connections: String(listener?.maxConnections ?? layout.manifest.database.connectionsPerNode * settings.plannedNodes),
          ...(ssl ? serverSslSettings() : {}),
        },
        validate: { binDir: layout.localDb.binDir, dataDir: layout.localDb.dataDir, osUser: account },
        // Run again with fewer planned nodes, the server keeps the connections the site has.
        neverLower: ['max_connections'],
      }),
      pgHbaStep.draft('database-access', 'pg_hba.conf: the nodes that may connect', { path: `${layout.localDb.dataDir}/pg_hba.conf`, rules: hbaRules(settings) }),
    );
  }

  const register = (def: NodeLayout['services'][number]['def']) => steps.push(serviceStep.draft(`service-${def.name}`, `Register service ${def.displayName}`, { definition: def }));
  const [databaseService] = layout.services.filter((s) => !s.spec);
  if (layout.localDb && databaseService) {
    register(databaseService.def);
    steps.push(
      serviceRunningStep.draft('database-start', `Start ${layout.manifest.database.service.displayName}`, {
        services: [{ name: layout.manifest.database.service.name, readiness: { port: layout.localDb.port, timeoutMs: 60_000 } }],
        host: LOOPBACK,
      }),
      pgRoleDatabaseStep.draft('database-owner', `Database ${db.name} owned by role ${db.user}`, {
        server: { host: LOOPBACK, port: layout.localDb.port, user: db.superuser, password: { secret: 'database.superuserPassword' } },
        role: db.user,
        password: { secret: 'database.password' },
        database: db.name,
        passwordStorage: passwordStorage(db),
        ...(ssl ? { roleSsl: 'require' as const } : {}),
      }, insideLocalDb),
    );
  }

  steps.push(
  );
  const caStep = nodeCaDraft({ settings, dataDir: layout.dataDir, stateDir: layout.stateDir, owner: account, localCa: layout.localDb !== undefined });
  if (caStep) steps.push(caStep);
  const caFile = caStep ? nodeCaPath(layout.dataDir) : undefined;
  steps.push(
    fileContentStep.draft('product-config', `Product configuration ${layout.configFile}`, {
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
    }),
    connectionStringStep.draft('connection-string', 'Repository connection string (protected)', {
      path: layout.connectionStringFile,
      account,
      fields: {
        userId: db.user,
        host: input.repositoryHost,
        port: db.port,
        database: db.name,
        ...(db.ssl === 'require' ? { sslMode: 'Require' as const } : db.ssl === 'verify-full' ? { sslMode: 'VerifyFull' as const, rootCertificate: caFile } : {}),
      },
      password: { secret: 'database.password' },
    }),
  );
  const repository = repositoryConnectionOf(settings, layout, input.repositoryHost);
  const registration = { repository, registrationQuery: layout.manifest.registrationQuery, hostname: settings.hostname, isCentral: layout.isCentral };
  const bootstrap = { commands: bootstrapCommands(layout, input.nodeExecutable), cwd: layout.installDir, ...registration };
  const bootstrapTitle = layout.isCentral ? 'Bootstrap the central node (-iscentral)' : 'Bootstrap this rim node';
  // On Windows the elevated administrator runs the bootstrap (there is no runuser).
  steps.push(windows ? windowsBootstrapStep.draft('bootstrap', bootstrapTitle, bootstrap, insideLocalDb) : bootstrapStep.draft('bootstrap', bootstrapTitle, { ...bootstrap, user: account }, insideLocalDb));
  // The node agent joins the site before the product's services start (and so stops after them).
  steps.push(...planSiteSteps({ settings, layout, nodeExecutable: input.nodeExecutable, spsetupEntry: input.spsetupEntry, repositoryHost: input.repositoryHost, repository }));
  // Registered after the bootstrap: a supervisor may start a service as soon as it is registered.
  const product = layout.services.filter((s) => s.spec);
  for (const { def } of product) register(def);
  // Windows: the services that run as the account get its logon right after registering, before any start.
  const logon = windows ? serviceLogonSteps(layout, product.filter((s) => s.def.account !== undefined).map((s) => s.def.name)) : [];
  steps.push(...logon);
  if (settings.startServices) {
    steps.push(
      serviceRunningStep.draft('start-services', 'Start the services in order', {
        services: product.map(({ spec, def, readinessLog }) => ({ name: def.name, readiness: { ...spec!.readiness, logFile: readinessLog } })),
        host: LOOPBACK,
        database: { host: input.repositoryHost, port: db.port },
      }),
    );
  } else {
    warnings.push('Services will not be started (as the guide asks for a service account without administrator rights): start them when the remaining manual steps are done.');
  }
  // The guide's "add the rim node in the QMC", through the repository API (issue 18).
  const registering = planRegistrationSteps({ settings, layout, repository });
  steps.push(...registering.steps);
  warnings.push(...registering.warnings);
  steps.push(nodeRegisteredStep.draft('registration', 'This node is registered in the shared repository database', registration));

  if (db.listener?.ipRanges.some((r) => r === '0.0.0.0/0' || r === '::/0')) {
    warnings.push('The database accepts connections from every address (0.0.0.0/0): narrow the IP ranges to the nodes of the site where you can.');
  }
  const secrets = [
    'database.password',
    ...(layout.localDb ? ['database.superuserPassword'] : []),
    ...(settings.cluster.siteKey !== undefined ? ['cluster.siteKey'] : []),
    ...(registering.steps.some((s) => s.kind === 'licence') ? ['licence.key'] : []),
    ...(logon.length ? [serviceAccountPasswordSecret] : []),
  ];
  return {
    title: `${settings.cluster.mode === 'create' ? 'Create cluster' : 'Join cluster'} on ${settings.hostname} (${layout.manifest.displayName})`,
    steps,
    secrets,
    warnings,
  };
}

/** The repository connection of this node's steps (with verify-full, through the node's copy of the CA: nodeCaDraft). */
export function repositoryConnectionOf(settings: Settings, layout: Pick<NodeLayout, 'dataDir'>, host: string) {
  const db = settings.database;
  const caFile = db.ssl === 'verify-full' ? nodeCaPath(layout.dataDir) : undefined;
  return { host, port: db.port, user: db.user, database: db.name, password: { secret: 'database.password' }, ssl: db.ssl, ...(caFile ? { caFile } : {}) };
}

/**
 * pg_hba rules: local access for the installer, and the site's ranges for the repository role.
 * `keepPlain` (turning SSL on for a running site): hostssl and host both, so no node is cut off
 * before it has switched; the final rules refuse it without SSL.
 */
export function hbaRules(settings: Settings, opts: { keepPlain?: boolean } = {}): { type: 'host' | 'hostssl' | 'hostnossl'; database: string; user: string; address: string; method: string; keywords?: ('database' | 'user')[] }[] {
  const db = settings.database;
  const rules: ReturnType<typeof hbaRules> = [{ type: 'host', database: 'all', user: db.superuser, address: '127.0.0.1/32', method: 'scram-sha-256', keywords: ['database'] }];
  if (db.ssl !== 'disable' && !opts.keepPlain) return [...rules, ...sslHbaRules(db, db.listener?.ipRanges ?? [])];
  if (db.ssl !== 'disable') rules.push(...sslHbaRules(db, db.listener?.ipRanges ?? []).filter((r) => r.type === 'hostssl'));
  for (const range of db.listener?.ipRanges ?? []) rules.push({ type: 'host', database: db.name, user: db.user, address: range, method: db.authMethod });
  return rules;
}
