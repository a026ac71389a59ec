/**
 * The GUI's back end: everything runs in-process (unelevated) except the methods that change the
 * machine, which go to the elevated agent, started on first use and kept for the session.
 */
import type { EventSink, InstallerBackend } from '../shared/ipc.js';

/** Wraps a local back end so elevated methods run in the agent once it is needed. */
export function routeBackend(local: InstallerBackend, elevated: boolean, startAgent: () => Promise<InstallerBackend>): InstallerBackend {
  if (elevated) return local;
  let agent: Promise<InstallerBackend> | undefined;
  // The agent is started by the first apply/resume/rollback (that is when the user expects the
  // prompt); until then plan, status and diagnostics run unelevated in-process.
  const viaAgent = (): Promise<InstallerBackend> => {
    agent ??= startAgent().catch((err: unknown) => {
      agent = undefined;
      throw err;
    });
    return agent;
  };
  const current = async (): Promise<InstallerBackend> => (agent ? await agent : local);
  const run = (m: 'apply' | 'resume' | 'rollback' | 'applyMigration' | 'resumeMigration') => async (input: never, onEvent: EventSink) =>
    ((await viaAgent())[m] as (i: unknown, e: EventSink) => ReturnType<InstallerBackend['apply']>)(input, onEvent);
  return {
    environment: () => local.environment(),
    testDatabase: (i) => local.testDatabase(i),
    testShare: (i) => local.testShare(i),
    checkHostname: (i) => local.checkHostname(i),
    importBundle: (i) => local.importBundle(i),
    importSpc: (i) => local.importSpc(i),
    // After an install the agent holds the session: only it may read the site key the bundle carries.
    exportBundle: async (i) => (await current()).exportBundle(i),
    plan: async (i) => (await current()).plan(i),
    apply: run('apply'),
    resume: run('resume'),
    rollback: run('rollback'),
    cancel: async () => (agent ? (await agent).cancel() : local.cancel()),
    status: async (i) => (await current()).status(i),
    saveDiagnostics: async () => (await current()).saveDiagnostics(),
    // Detection and the migration plan read the node (and the database with the superuser) unelevated, like plan.
    detectMigration: async (i) => (await current()).detectMigration(i),
    planMigration: async (i) => (await current()).planMigration(i),
    applyMigration: run('applyMigration'),
    resumeMigration: run('resumeMigration'),
    // Status and plans need no key; sending an operation reads the site key, which only administrators may.
    siteStatus: async (i) => (await current()).siteStatus(i),
    planSiteOperation: async (i) => (await current()).planSiteOperation(i),
    runSiteOperation: async (i, e) => (await viaAgent()).runSiteOperation(i, e),
    siteSettings: async (i) => (await viaAgent()).siteSettings(i),
    // Stopping every node's services and reading the share need the elevated agent.
    siteBackup: async (i) => (await viaAgent()).siteBackup(i),
    // db prepare's checks run the server's own programs as its account (postgres -C): root only.
    planDbPrepare: async (i) => (await viaAgent()).planDbPrepare(i),
    applyDbPrepare: async (i, e) => (await viaAgent()).applyDbPrepare(i, e),
  };
}
