/**
 * Issue 3, must-show 4: re-running install on a finished node changes nothing, and an install
 * killed (SIGKILL) part way, then `spsetup resume`d, ends in the same state as an uninterrupted one.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accountName,
  cleanupNode,
  clusterNetnsName,
  clusterSkipReason,
  createIsolatedNetns,
  deleteClusterNetns,
  freeTcpPort,
  journalSteps,
  makeNodeDirs,
  nodeSettings,
  randomPassword,
  removeUser,
  runCli,
  spawnCli,
  waitForStepStarted,
  writeSettings,
  type NodeDirs,
} from '../support/cluster.js';
import { diffSnapshots, takeSnapshot, type Snapshot } from '../support/snapshot.js';

const skip = clusterSkipReason();

/**
 * Files whose content legitimately differs between two equal installs: logs, the journal and copy
 * journals, pid and supervise state, timestamped bootstrap markers, the database's own files, the
 * site key (random per cluster; the re-run test checks that a re-run keeps it).
 */
const VOLATILE = [
  /\/state\/site\.key$/,
  /\.log$/,
  /\.pid$/,
  /\/supervise\//,
  /\/state\/(journal\.jsonl|plan\.json|run\.lock|copy\/)/,
  /\/data\/bootstrap\/[^/]+\.json$/,
  // The reference repository makes the site's certificates (random keys) when it first starts.
  /\/data\/Certificates\//,
  /\/state\/backups\//,
  /\/Repository\/PostgreSQL\/data\/(?!postgresql\.conf$|pg_hba\.conf$)/,
];

/** A snapshot keyed by paths with timestamps masked, without volatile content, run-time database files or the plans each run keeps (for rollback). */
function stable(s: Snapshot): Snapshot {
  const files = Object.fromEntries(
    Object.entries(s.files)
      .filter(([path]) => !/\/Repository\/PostgreSQL\/data\/(pg_wal|base|global|pg_stat|pg_xact|pg_multixact|pg_subtrans|pg_logical|postmaster)/.test(path) && !/\/(Log|logs)\/./.test(path) && !/\/state\/plans\//.test(path))
      .map(([path, e]) => [path.replace(/\d{4}-\d\d-\d\dT[\d-]+Z/g, 'TIME'), VOLATILE.some((re) => re.test(path)) ? { ...e, sha256: undefined } : e]),
  );
  return { ...s, files };
}

describe.skipIf(skip)(`install re-run and kill/resume${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const ns = clusterNetnsName('ir');
  const user = accountName('ir');
  const password = randomPassword();
  const superuserPassword = randomPassword();
  let dirs: NodeDirs;
  let port: number;
  let reference: Snapshot;

  const settings = () =>
    nodeSettings({
      dirs,
      mode: 'create',
      dbInstall: 'local',
      dbHost: '127.0.0.1',
      dbPort: port,
      password,
      superuserPassword,
      listener: { listenAddresses: ['127.0.0.1'], ipRanges: ['127.0.0.0/8'], maxConnections: 100 },
      shareRoot: `${dirs.root}/share`,
      hostname: 'localhost',
      user,
      plannedNodes: 1,
    });

  async function snapshot(): Promise<Snapshot> {
    return stable(await takeSnapshot({ roots: [dirs.root], serviceDirs: [dirs.runitDir], pg: { host: '/tmp', port, user: 'postgres', password: superuserPassword } }));
  }

  /** Stops everything of the node and empties its root, keeping the same paths for the next run. */
  async function reset(): Promise<void> {
    await cleanupNode(dirs, { keepFiles: true });
    await rm(dirs.root, { recursive: true, force: true });
    await mkdir(dirs.root, { mode: 0o755 });
  }

  beforeAll(async () => {
    await createIsolatedNetns(ns);
    dirs = await makeNodeDirs('ir');
    port = await freeTcpPort();
  });

  afterAll(async () => {
    if (dirs) await cleanupNode(dirs);
    await deleteClusterNetns();
    await removeUser(user);
  });

  it('an uninterrupted install, run again, reports every step unchanged', async () => {
    const file = await writeSettings(dirs.settingsFile, settings());
    const first = await runCli(['install', '--settings', file, '--yes'], { netns: ns });
    expect(first.code, `${first.stdout}\n${first.stderr}`).toBe(0);
    reference = await snapshot();
    const siteKey = await readFile(`${dirs.stateDir}/site.key`);
    expect(reference.database && 'roles' in reference.database, 'the database catalog is part of the comparison').toBe(true);
    const again = await runCli(['install', '--settings', file, '--yes'], { netns: ns });
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
    const finished = again.stdout.split('\n').filter((l) => /^\[\d+\/\d+\] (changed|unchanged):/.test(l));
    expect(finished.length).toBeGreaterThan(10);
    expect(finished.filter((l) => / changed:/.test(l))).toEqual([]);
    expect(diffSnapshots(reference, await snapshot())).toEqual([]);
    expect((await readFile(`${dirs.stateDir}/site.key`)).equals(siteKey), 'a re-run keeps the site key').toBe(true);
  });

  for (const stepId of ['database-binaries', 'database-cluster', 'bootstrap']) {
    it(`killed while "${stepId}" runs, resume finishes it in the same end state`, async () => {
      await reset();
      const file = await writeSettings(dirs.settingsFile, settings());
      const child = spawnCli(['install', '--settings', file, '--yes'], { netns: ns });
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      await waitForStepStarted(dirs.stateDir, stepId);
      child.kill('SIGKILL');
      await exited;
      expect((await journalSteps(dirs.stateDir, 'step-done')).map((e) => e.stepId)).not.toContain(stepId);
      const resumed = await runCli(['resume', '--settings', file], { netns: ns });
      expect(resumed.code, `${resumed.stdout}\n${resumed.stderr}`).toBe(0);
      expect(diffSnapshots(reference, await snapshot())).toEqual([]);
    });
  }
});
