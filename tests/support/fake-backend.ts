/**
 * A TEST DOUBLE of InstallerBackend, used ONLY by tests/e2e/screens-layout.spec.ts (layout and
 * screenshots of every screen) and the browser-server unit tests. Real flows are tested against
 * the real back end. It changes nothing on the machine.
 */
import type { CheckOutcome, EventSink, InstallerBackend, PlanResult, RunResult } from '../../electron/shared/ipc.js';
import type { Plan } from '../../electron/shared/plan.js';
import { parseSettings } from '../../electron/shared/settings.js';
import type { SettingsInput } from '../../electron/shared/settings.js';

export interface FakeBackendOptions {
  /** The database password Test connection accepts. */
  readonly dbPassword?: string;
  /** Make the step with this id fail on apply. */
  readonly failStep?: string;
  readonly stepDelayMs?: number;
  /** How long plan takes (the Ready screen's spinner). */
  readonly planDelayMs?: number;
  /** The superuser password db prepare's plan accepts. */
  readonly superuserPassword?: string;
  /** Every step already in place (a re-run that changes nothing). */
  readonly allInPlace?: boolean;
}

const HBA_DIFF = `--- pg_hba.conf
+++ pg_hba.conf
@@ -96,3 +96,5 @@
 host    all             all             127.0.0.1/32            scram-sha-256
 host    all             all             ::1/128                 scram-sha-256
+# spsetup: shared persistence nodes
+host    QSR             qliksenserepository 0.0.0.0/0           scram-sha-256`;

const CONF_DIFF = `--- postgresql.conf
+++ postgresql.conf
@@ -60,7 +60,7 @@
-#listen_addresses = 'localhost'
+listen_addresses = '*'
 #port = 5432
-max_connections = 100
+max_connections = 200
 #superuser_reserved_connections = 3	# (change requires restart); a long line the Ready screen must wrap rather than cut off at the edge of the window, as postgresql.conf's comments often are`;

/** The shape of a `db prepare` plan (the real one is tested in tests/integration/db-prepare-*.test.ts). */
function fakeDbPreparePlan(settings: SettingsInput): Plan {
  const db = settings.database;
  const ranges = db.listener?.ipRanges ?? [];
  const hbaDiff = `--- /etc/postgresql/15/main/pg_hba.conf\n+++ /etc/postgresql/15/main/pg_hba.conf\n@@ -100,0 +101,2 @@\n+# spsetup: shared persistence nodes\n${ranges.map((r) => `+host ${String(db.name ?? 'QSR')} ${String(db.user)} ${r} scram-sha-256`).join('\n')}`;
  const steps = [
    { id: 'database-owner', kind: 'pg-role-database', title: `Role ${String(db.user)} and database ${String(db.name ?? 'QSR')} owned by it`, action: 'create' as const, summary: `Create role ${String(db.user)} and database ${String(db.name ?? 'QSR')}` },
    { id: 'database-access', kind: 'pg-hba', title: '/etc/postgresql/15/main/pg_hba.conf: the nodes that may connect', action: 'update' as const, summary: `${ranges.length} rule(s) for the repository role`, diff: hbaDiff },
    { id: 'database-settings', kind: 'pg-settings', title: 'Listen addresses, port, max connections (where each takes effect)', action: 'update' as const, summary: `listen_addresses in /etc/postgresql/15/main/postgresql.conf; max_connections ${String(db.listener?.maxConnections)} (restart)` },
  ];
  return {
    version: 1,
    id: 'plan-fake-db-prepare-1',
    createdAt: new Date(0).toISOString(),
    title: `Prepare the database server for ${String(settings.plannedNodes)} node(s)`,
    fingerprint: 'f',
    factDigests: {},
    steps: steps.map((s) => ({ ...s, params: {} })),
    secrets: ['database.superuserPassword', 'database.password'],
    warnings: ["PostgreSQL 15.8; config_file /etc/postgresql/15/main/postgresql.conf; hba_file /etc/postgresql/15/main/pg_hba.conf; data_directory /var/lib/postgresql/15/main"],
  };
}

function fakePlan(settings: SettingsInput, allInPlace = false): Plan {
  const local = settings.database?.install === 'local';
  const steps = [
    // Already in place (a re-run): Ready hides it unless "Show changes only" is off.
    { id: 'service-account', kind: 'os-account', title: `Service account ${String(settings.serviceAccount?.user)}`, action: 'noop' as const, summary: 'exists, in the service users group' },
    ...(local ? [{ id: 'local-db', kind: 'pg-initdb', title: 'Install the local database', action: 'create' as const, summary: `PostgreSQL on port ${String(settings.database?.port)}` }] : []),
    { id: 'pg-conf', kind: 'pg-conf', title: 'Configure postgresql.conf', action: 'update' as const, summary: 'listen_addresses, max_connections', diff: CONF_DIFF },
    { id: 'pg-hba', kind: 'pg-hba', title: 'Allow the cluster nodes in pg_hba.conf', action: 'update' as const, summary: 'one rule for the planned nodes', diff: HBA_DIFF },
    { id: 'role', kind: 'pg-role-database', title: 'Create the repository role and database', action: 'create' as const, summary: `role ${String(settings.database?.user)}, password from secret database.password` },
    { id: 'share', kind: 'directory', title: 'Create the shared folders', action: 'create' as const, summary: String(settings.share?.root) },
    { id: 'files', kind: 'copy-tree', title: 'Install the product files', action: 'create' as const, summary: String(settings.installDir) },
    { id: 'services', kind: 'service', title: 'Register and start the services', action: 'create' as const, summary: settings.startServices ? 'registered and started in order' : 'registered, not started' },
  ];
  return {
    version: 1,
    id: 'plan-fake-1',
    createdAt: new Date(0).toISOString(),
    title: settings.cluster?.mode === 'join' ? 'Join cluster' : 'Create cluster',
    fingerprint: 'f',
    factDigests: {},
    // All in place: every step a no-op, so no diff either.
    steps: steps.map(({ diff, ...s }) => ({ ...s, ...(allInPlace ? { action: 'noop' as const } : diff !== undefined ? { diff } : {}), params: {} })),
    secrets: ['database.password'],
    warnings: settings.database?.listener?.ipRanges.includes('0.0.0.0/0') ? ['pg_hba admits every address (0.0.0.0/0).'] : [],
  };
}

/** Creates the test double. */
export function createFakeBackend(opts: FakeBackendOptions = {}): InstallerBackend & { readonly calls: string[] } {
  const calls: string[] = [];
  const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let lastSettings: SettingsInput | undefined;
  let lastDbPrepare: SettingsInput | undefined;
  const runSteps = async (mode: 'apply' | 'resume' | 'rollback', onEvent: EventSink): Promise<RunResult> => {
    const plan = fakePlan(lastSettings ?? ({} as SettingsInput), opts.allInPlace);
    const total = plan.steps.length;
    onEvent({ kind: 'run-started', planId: plan.id, mode, total });
    for (const [index, step] of plan.steps.entries()) {
      onEvent({ kind: 'step-started', stepId: step.id, title: step.title, index, total });
      onEvent({ kind: 'step-progress', stepId: step.id, percent: 50 });
      await delay(opts.stepDelayMs ?? 20);
      if (mode === 'apply' && step.id === opts.failStep) {
        const error = { code: 'service' as const, message: 'The Repository service did not become ready within 60 s.', fix: 'Check the repository log, then choose Resume.' };
        onEvent({ kind: 'step-failed', stepId: step.id, error });
        onEvent({ kind: 'run-finished', outcome: 'failed', changed: [], unchanged: [], error });
        return { outcome: 'failed', logPath: '/var/lib/spsetup/logs/run-1.log', error };
      }
      const changed = step.action !== 'noop';
      onEvent({ kind: 'log', level: 'info', message: `${step.title}: ${changed ? 'done' : 'already in place'}` });
      if (step.id === 'services' && changed) onEvent({ kind: 'log', level: 'warn', message: 'runsvdir is not started at boot on this machine: the services will not come back after a reboot.' });
      onEvent({ kind: 'step-finished', stepId: step.id, changed, index, total });
    }
    const changed = plan.steps.filter((s) => s.action !== 'noop').map((s) => s.id);
    onEvent({ kind: 'run-finished', outcome: mode === 'rollback' ? 'rolled-back' : 'done', changed, unchanged: plan.steps.map((s) => s.id).filter((id) => !changed.includes(id)) });
    return { outcome: mode === 'rollback' ? 'rolled-back' : 'done', logPath: '/var/lib/spsetup/logs/run-1.log' };
  };
  const dbCheck = (settings: SettingsInput): CheckOutcome => {
    const ok = settings.database?.password === (opts.dbPassword ?? 'Secret-db-pass1');
    return ok
      ? { id: 'database', title: 'Database connection', ok, message: `Connected to ${String(settings.database?.host)}:${String(settings.database?.port)} as ${String(settings.database?.user)}.` }
      : {
          id: 'database',
          title: 'Database connection',
          ok,
          message: `The database refused the password for user ${String(settings.database?.user)}.`,
          fix: 'Enter the password set for this user on the database server.',
        };
  };
  return {
    calls,
    async environment() {
      calls.push('environment');
      return {
        platform: 'linux',
        hostname: 'node1.example.test',
        elevated: false,
        products: [{ id: 'reference', displayName: 'Reference product', version: '1.0.0' }],
        defaults: { installDir: '/opt/reference', dataDir: '/var/lib/reference', shareRoot: '/srv/share', serviceUser: 'spsvc' },
      };
    },
    async testDatabase({ settings }) {
      calls.push('testDatabase');
      return dbCheck(settings);
    },
    async testShare({ settings }) {
      calls.push('testShare');
      return { id: 'share', title: 'Share access', ok: true, message: `Created and removed a test file in ${String(settings.share.root)}.` };
    },
    async checkHostname({ hostname }) {
      calls.push('checkHostname');
      return { id: 'hostname', title: 'Host name', ok: true, message: `${hostname} resolves to 127.0.0.1.` };
    },
    async plan({ settings }): Promise<PlanResult> {
      calls.push('plan');
      if (opts.planDelayMs) await delay(opts.planDelayMs);
      const parsed = parseSettings(settings);
      if (!parsed.ok) return { invalid: parsed.issues };
      lastSettings = settings;
      const preflight: CheckOutcome[] = [
        { id: 'ports', title: 'Ports are free', ok: true, message: 'Ports 4432, 4242, 4444 are free.' },
        { id: 'disk', title: 'Disk space', ok: true, message: '12 GB free in /opt.' },
      ];
      if (settings.database.install === 'existing') preflight.push(dbCheck(settings));
      return { plan: fakePlan(settings, opts.allInPlace), preflight };
    },
    async apply(_input, onEvent) {
      calls.push('apply');
      return runSteps('apply', onEvent);
    },
    async cancel() {
      calls.push('cancel');
    },
    async resume(_input, onEvent) {
      calls.push('resume');
      return runSteps('resume', onEvent);
    },
    async rollback(_input, onEvent) {
      calls.push('rollback');
      return runSteps('rollback', onEvent);
    },
    // The migration screens are tested against the real back end (tests/e2e/migrate.spec.ts).
    async detectMigration() {
      calls.push('detectMigration');
      throw notInThisDouble('detectMigration');
    },
    async planMigration() {
      calls.push('planMigration');
      throw notInThisDouble('planMigration');
    },
    async applyMigration() {
      calls.push('applyMigration');
      throw notInThisDouble('applyMigration');
    },
    async resumeMigration() {
      calls.push('resumeMigration');
      throw notInThisDouble('resumeMigration');
    },
    // The Site screen is tested against the real back end and real node agents (tests/e2e/site.spec.ts).
    async siteStatus() {
      calls.push('siteStatus');
      throw notInThisDouble('siteStatus');
    },
    async planSiteOperation() {
      calls.push('planSiteOperation');
      throw notInThisDouble('planSiteOperation');
    },
    async runSiteOperation() {
      calls.push('runSiteOperation');
      throw notInThisDouble('runSiteOperation');
    },
    async siteSettings() {
      calls.push('siteSettings');
      throw notInThisDouble('siteSettings');
    },
    async siteBackup() {
      calls.push('siteBackup');
      throw notInThisDouble('siteBackup');
    },
    async planDbPrepare({ settings }) {
      calls.push('planDbPrepare');
      const parsed = parseSettings(settings);
      if (!parsed.ok) return { invalid: parsed.issues };
      if (settings.database.superuserPassword !== (opts.superuserPassword ?? 'Super-pass-1')) {
        throw { code: 'database', message: `The database server refused the password of ${String(settings.database.superuser)}.`, fix: 'Enter the password of the PostgreSQL superuser.' };
      }
      lastDbPrepare = settings;
      return { plan: fakeDbPreparePlan(settings) };
    },
    async applyDbPrepare({ planId }, onEvent) {
      calls.push(`applyDbPrepare ${planId}`);
      const plan = fakeDbPreparePlan(lastDbPrepare ?? ({} as SettingsInput));
      const total = plan.steps.length;
      onEvent({ kind: 'run-started', planId: plan.id, mode: 'apply', total });
      for (const [index, step] of plan.steps.entries()) {
        onEvent({ kind: 'step-started', stepId: step.id, title: step.title, index, total });
        await delay(opts.stepDelayMs ?? 20);
        onEvent({ kind: 'step-finished', stepId: step.id, changed: true, index, total });
      }
      onEvent({ kind: 'run-finished', outcome: 'done', changed: plan.steps.map((s) => s.id), unchanged: [] });
      return { outcome: 'done', logPath: '/var/lib/spsetup/logs/db-prepare-1.log' };
    },
    async status() {
      calls.push('status');
      return { nodes: [{ hostname: 'node1.example.test', isCentral: true, lastSeen: '2025-01-01T00:00:00Z' }], services: [{ name: 'repository', state: 'running' }] };
    },
    async saveDiagnostics() {
      calls.push('saveDiagnostics');
      return { path: '/tmp/spsetup-diagnostics.zip' };
    },
    async exportBundle({ outPath }) {
      calls.push('exportBundle');
      return { path: outPath ?? '/tmp/cluster.spbundle', passphrase: 'correct-horse-battery' };
    },
    async importBundle({ passphrase }) {
      calls.push('importBundle');
      if (passphrase !== 'bundle-pass') throw { code: 'bundle', message: 'The passphrase does not open this bundle.', fix: 'Enter the passphrase shown when the bundle was exported.' };
      return {
        masked: { database: { host: 'central.example.test', port: 4432, user: 'qliksenserepository', password: '••••••' }, share: { root: '/srv/share' } },
        settings: {
          product: 'reference',
          cluster: { mode: 'join', id: 'c-1' },
          database: { install: 'existing', host: 'central.example.test', port: 4432, user: 'qliksenserepository', password: 'Secret-db-pass1' },
          share: { root: '/srv/share' },
          serviceAccount: { user: 'spsvc' },
          hostname: 'central.example.test',
          plannedNodes: 2,
        },
      };
    },
    async importSpc() {
      calls.push('importSpc');
      return { settings: { database: { install: 'existing', host: 'db.example.test', port: 4432, password: 'x' } } as SettingsInput, warnings: ['spc.cfg has no share folders.'] };
    },
  };
}

/** The layout double covers the install screens only. */
function notInThisDouble(method: string): Error {
  return new Error(`${method} is not part of the layout test double; tests/e2e/migrate.spec.ts uses the real back end.`);
}
