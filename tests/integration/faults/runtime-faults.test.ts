/**
 * Issue 13, the fault suite: one install, interrupted at every step boundary and faulted on the
 * way; each run is the next fault's, and the last resume must converge.
 *  - kill -9 at every step boundary (the run holds still right after the step's journal line,
 *    tests/support/paused-cli.mjs, and is killed there), each followed by a resume;
 *  - kill -9 inside initdb: the initdb dies with the installer (no process of it is left), and
 *    the resumed step redoes the half-made cluster;
 *  - the repository database stopped before the bootstrap, and again as the services start:
 *    exit 1, "the repository database at H:P stopped answering"; started again, resume goes on;
 *  - a product service's port taken before the services start: exit 1, "Port N ... is taken by
 *    PID P (program)"; freed, resume goes on;
 *  - the last resume exits 0, the install run again changes nothing, and the node is registered.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accountName,
  cleanupNode,
  clusterNetnsName,
  clusterSkipReason,
  createIsolatedNetns,
  deleteClusterNetns,
  journalSteps,
  makeNodeDirs,
  makeShare,
  nodeSettings,
  processesUnder,
  randomPassword,
  readCmdline,
  removeUser,
  runCli,
  spawnCli,
  waitForStepStarted,
  writeSettings,
  type CliOut,
  type NodeDirs,
} from '../../support/cluster.js';
import { resetGo, runPaused } from '../../support/faults.js';

const skip = clusterSkipReason();
const DB_PORT = 25439;

interface SavedPlan {
  readonly steps: readonly { readonly id: string; readonly params: Record<string, unknown> }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pids whose command line names `path` (initdb and the postgres it runs name the data folder). */
async function processesNaming(path: string): Promise<number[]> {
  const { readdir } = await import('node:fs/promises');
  const out: number[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    if ((await readCmdline(Number(e))).some((a) => a.includes(path))) out.push(Number(e));
  }
  return out;
}

describe.skipIf(skip)(`kill at every step boundary, inside initdb, database stopped, port taken${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const ns = clusterNetnsName('rf');
  const user = accountName('rf');
  let dirs: NodeDirs;
  let share: Awaited<ReturnType<typeof makeShare>>;
  let goFile: string;
  let steps: string[] = [];
  let plan: SavedPlan;
  let listener: ChildProcess | undefined;
  const dataDir = () => join(dirs.dataDir, 'Repository', 'PostgreSQL', 'data');
  const cli = (args: string[]) => runCli(args, { netns: ns, timeoutMs: 240_000 });
  const resumeArgs = () => ['resume', '--settings', dirs.settingsFile];
  const done = async () => (await journalSteps(dirs.stateDir, 'step-done')).map((e) => e.stepId);

  /** A run that pauses right after `stepId` is done, then is killed there; the journal shows it done and the next step not started. */
  async function killAfter(args: string[], stepId: string): Promise<void> {
    await resetGo(goFile);
    const run = runPaused(args, `done:${stepId}`, { netns: ns, goFile });
    await run.paused;
    run.kill('SIGKILL');
    await run.done;
    expect(await done()).toContain(stepId);
    const next = steps[steps.indexOf(stepId) + 1];
    if (next) expect((await journalSteps(dirs.stateDir, 'step-started')).filter((e) => e.stepId === next).length, `${next} must not have started`).toBe(0);
  }

  /** A run paused at `point` while `fault` is made; returns how it ended. */
  async function faultAt(point: string, fault: () => Promise<void>): Promise<CliOut> {
    await resetGo(goFile);
    const run = runPaused(resumeArgs(), point, { netns: ns, goFile });
    await run.paused;
    await fault();
    await run.go();
    return run.done;
  }

  /** Waits until the database accepts connections inside the node's namespace again. */
  async function databaseUp(): Promise<void> {
    const deadline = Date.now() + 60_000;
    const ready = () => new Promise<boolean>((r) => execFile('ip', ['netns', 'exec', ns, '/usr/lib/postgresql/15/bin/pg_isready', '-q', '-h', '127.0.0.1', '-p', String(DB_PORT)], (err) => r(!err)));
    while (Date.now() < deadline) {
      if (await ready()) return;
      await sleep(200);
    }
    throw new Error('the database did not come back');
  }

  const serviceParams = (stepId: string) => (plan.steps.find((s) => s.id === stepId)!.params['services'] as { name: string; readiness: { port?: number } }[]);

  beforeAll(async () => {
    await createIsolatedNetns(ns);
    dirs = await makeNodeDirs('rf');
    share = await makeShare();
    goFile = join(dirs.root, 'go');
    await writeSettings(
      dirs.settingsFile,
      nodeSettings({
        dirs,
        mode: 'create',
        dbInstall: 'local',
        dbHost: '127.0.0.1',
        dbPort: DB_PORT,
        password: randomPassword(),
        superuserPassword: randomPassword(),
        listener: { listenAddresses: ['127.0.0.1'], ipRanges: ['127.0.0.1/32'], maxConnections: 100 },
        shareRoot: share.share,
        hostname: '127.0.0.1',
        user,
        plannedNodes: 1,
      }),
    );
  });

  afterAll(async () => {
    listener?.kill('SIGKILL');
    if (dirs) await cleanupNode(dirs);
    await deleteClusterNetns();
    await share?.cleanup();
    await removeUser(user);
  });

  it('killed at each boundary up to the database server files, each time resumed', async () => {
    await killAfter(['install', '--settings', dirs.settingsFile, '--yes'], 'service-account');
    plan = JSON.parse(await readFile(join(dirs.stateDir, 'plan.json'), 'utf8')) as SavedPlan;
    steps = plan.steps.map((s) => s.id);
    expect(steps.slice(0, 6)).toEqual(['service-account', 'share-folders', 'data-folder', 'product-files', 'database-binaries', 'database-cluster']);
    for (const stepId of steps.slice(1, 5)) await killAfter(resumeArgs(), stepId);
  });

  it('killed inside initdb: initdb dies with the installer, and resume redoes the half-made cluster', async () => {
    const child = spawnCli(resumeArgs(), { netns: ns });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    await waitForStepStarted(dirs.stateDir, 'database-cluster', 120_000);
    const deadline = Date.now() + 60_000;
    let initdb: number[] = [];
    while (Date.now() < deadline && !(initdb = await processesNaming(dataDir())).length) await sleep(10);
    expect(initdb.length, 'initdb was running').toBeGreaterThan(0);
    child.kill('SIGKILL');
    await exited;
    // The reaper kills initdb's process group as soon as the installer's pipe closes.
    const gone = Date.now() + 5_000;
    while (Date.now() < gone && (await processesNaming(dataDir())).length) await sleep(50);
    expect(await processesNaming(dataDir()), 'no process of the killed initdb is left').toEqual([]);
    expect(await done()).not.toContain('database-cluster');
    await killAfter(resumeArgs(), 'database-cluster');
    expect(existsSync(join(dirs.dataDir, 'Repository', 'PostgreSQL', '.spsetup-initdb-started')), 'the initdb marker is gone once initdb finished').toBe(false);
    expect(await readFile(join(dataDir(), 'PG_VERSION'), 'utf8')).toMatch(/^\d+/);
  });

  it('killed at each boundary up to the bootstrap, each time resumed', async () => {
    for (const stepId of steps.slice(steps.indexOf('database-cluster') + 1, steps.indexOf('bootstrap'))) await killAfter(resumeArgs(), stepId);
  });

  it('the database stopped before the bootstrap: exit 1, "the repository database at H:P stopped answering"; started again, resume goes on', async () => {
    const db = serviceParams('database-start')[0]!.name;
    const sv = (cmd: string) => new Promise<void>((r) => execFile('sv', ['-w', '30', cmd, join(dirs.runitDir, db)], () => r()));
    const r = await faultAt('started:bootstrap', () => sv('down'));
    const out = `${r.stdout}\n${r.stderr}`;
    expect(r.code, out).toBe(1);
    expect(out).toMatch(new RegExp(`Failed at bootstrap: The repository database at 127\\.0\\.0\\.1:${DB_PORT} stopped answering \\(`));
    expect(out).toMatch(/What to do: Start the database again/);
    expect(out).not.toMatch(/Internal error/);
    await sv('up');
    await databaseUp();
  });

  it('killed at each boundary up to the services start, each time resumed', async () => {
    for (const stepId of steps.slice(steps.indexOf('bootstrap'), steps.indexOf('start-services'))) await killAfter(resumeArgs(), stepId);
  });

  it('the database stopped as the services start: exit 1, "stopped answering" before a service waits in vain; started again, resume goes on', async () => {
    const db = serviceParams('database-start')[0]!.name;
    const sv = (cmd: string) => new Promise<void>((r) => execFile('sv', ['-w', '30', cmd, join(dirs.runitDir, db)], () => r()));
    // sv down sends TERM, a smart shutdown that waits for the node agent's session: the server
    // refuses new sessions ("shutting down") but still takes TCP connections. Then INT: a fast shutdown.
    const r = await faultAt('started:start-services', async () => {
      await new Promise<void>((ok) => execFile('sv', ['down', join(dirs.runitDir, db)], () => ok()));
      await sleep(500);
      await sv('interrupt');
      await sv('down');
    });
    const out = `${r.stdout}\n${r.stderr}`;
    expect(r.code, out).toBe(1);
    const first = serviceParams('start-services')[0]!.name;
    expect(out).toMatch(new RegExp(`Failed at start-services: The repository database at 127\\.0\\.0\\.1:${DB_PORT} stopped answering \\((connection refused|the database system is shutting down); ${first} was not started\\)\\.`));
    expect(out).not.toMatch(/was not ready within/);
    await sv('up');
    await databaseUp();
  });

  it('a service port taken before the services start: exit 1, "Port N ... is taken by PID P (program)"; freed, resume converges', async () => {
    const target = serviceParams('start-services').find((s, i) => i > 0 && s.readiness.port !== undefined)!;
    const port = target.readiness.port!;
    const r = await faultAt('started:start-services', async () => {
      listener = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', `require('node:net').createServer().listen(${port}, '0.0.0.0', () => console.log('listening'))`], { stdio: ['ignore', 'pipe', 'ignore'] });
      await new Promise<void>((ok) => listener!.stdout!.once('data', () => ok()));
    });
    const out = `${r.stdout}\n${r.stderr}`;
    expect(r.code, out).toBe(1);
    expect(out).toMatch(new RegExp(`Failed at start-services: Port ${port}, which ${target.name} listens on, is taken by PID ${listener!.pid} \\(node: `));
    listener!.kill('SIGKILL');
    await new Promise((ok) => listener!.once('exit', ok));
    listener = undefined;

    for (const stepId of steps.slice(steps.indexOf('start-services'), -1)) await killAfter(resumeArgs(), stepId);
    const last = await cli(resumeArgs());
    expect(last.code, `${last.stdout}\n${last.stderr}`).toBe(0);
    const again = await cli(['install', '--settings', dirs.settingsFile, '--yes']);
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
    expect(again.stdout).toMatch(/Changed: nothing\./);
    const status = await cli(['status', '--settings', dirs.settingsFile]);
    expect(status.stdout).toMatch(/127\.0\.0\.1\s+central/);
    expect((await processesUnder(dirs.root)).length).toBeGreaterThan(0);
  });
});
