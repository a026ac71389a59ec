/**
 * Issue 10, must-show "apply runs the reviewed plan": `spsetup install` at a terminal shows the
 * plan and asks before applying. While it asks, the file the plan would edit is changed by hand;
 * answering yes then exits 4 (stale plan) naming the step and the file, and nothing is changed.
 * The terminal is a real pseudo-terminal (util-linux `script`), the node a network namespace.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accountName,
  cleanupNode,
  CLI,
  clusterNetnsName,
  clusterSkipReason,
  createIsolatedNetns,
  deleteClusterNetns,
  freeTcpPort,
  makeNodeDirs,
  nodeSettings,
  randomPassword,
  REPO_ROOT,
  removeUser,
  runCli,
  writeSettings,
  type NodeDirs,
} from '../support/cluster.js';
import { diffSnapshots, takeSnapshot } from '../support/snapshot.js';

const skip = clusterSkipReason();
const runCommand = (file: string, args: string[]) => new Promise<{ code: number }>((done) => execFile(file, args, (err) => done({ code: err ? Number(err.code ?? 1) : 0 })));
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs `spsetup ARGS` in a namespace behind a pseudo-terminal; `answer` is called at the prompt and returns what to type. */
function runAtTerminal(ns: string, args: readonly string[], prompt: RegExp, answer: () => Promise<string>): Promise<{ code: number | null; output: string; prompted: boolean }> {
  const command = ['ip', 'netns', 'exec', ns, process.execPath, CLI, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qefc', command, '/dev/null'], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let prompted = false;
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (!prompted && prompt.test(output)) {
      prompted = true;
      void answer().then((text) => child.stdin.write(text));
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((done) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, output, prompted });
    }),
  );
}

describe.skipIf(skip)(`a plan changed between review and apply is refused${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const ns = clusterNetnsName('st');
  const user = accountName('st');
  let dirs: NodeDirs;

  beforeAll(async () => {
    await createIsolatedNetns(ns);
    dirs = await makeNodeDirs('st');
  });

  afterAll(async () => {
    if (dirs) await cleanupNode(dirs);
    await deleteClusterNetns();
    await removeUser(user);
  });

  it('exits 4 naming the step and the file, and changes nothing', async () => {
    const file = await writeSettings(
      dirs.settingsFile,
      nodeSettings({
        dirs,
        mode: 'create',
        dbInstall: 'local',
        dbHost: '127.0.0.1',
        dbPort: await freeTcpPort(),
        password: randomPassword(),
        superuserPassword: randomPassword(),
        listener: { listenAddresses: ['127.0.0.1'], ipRanges: ['127.0.0.0/8'], maxConnections: 100 },
        shareRoot: `${dirs.root}/share`,
        hostname: 'localhost',
        user,
        plannedNodes: 1,
      }),
    );
    // A node configured before (an older product configuration): the plan shows its update.
    const planned = await runCli(['plan', '--settings', file, '--json'], { netns: ns });
    expect(planned.code, planned.stderr).toBe(0);
    const configStep = (JSON.parse(planned.stdout) as { plan: { steps: { id: string; params: { path?: string } }[] } }).plan.steps.find((s) => s.id === 'product-config');
    const configFile = configStep!.params.path!;
    await mkdir(dirname(configFile), { recursive: true });
    await writeFile(configFile, 'setting = from an earlier install\n');

    const opts = { roots: [dirs.root], serviceDirs: [dirs.runitDir], ignore: [new RegExp(`^${dirs.stateDir}$`)] };
    let expected: Awaited<ReturnType<typeof takeSnapshot>> | undefined;
    const r = await runAtTerminal(ns, ['install', '--settings', file], /Apply these \d+ change\(s\)\? \[y\/N\]/, async () => {
      // The administrator edits the file by hand while the reviewed plan waits for the answer.
      await writeFile(configFile, 'setting = edited by hand\n');
      expected = await takeSnapshot(opts);
      return 'y\n';
    });
    expect(r.prompted, r.output).toBe(true);
    expect(r.output, 'the plan shown had the diff of the file').toContain('-setting = from an earlier install');
    expect(r.code, r.output).toBe(4);
    expect(r.output).toContain(`step "product-config"`);
    expect(r.output).toContain(`${configFile} changed since the plan was shown`);
    expect(r.output).toMatch(/Make the plan again/);
    expect(diffSnapshots(expected!, await takeSnapshot(opts))).toEqual([]);
    expect(await readFile(configFile, 'utf8')).toBe('setting = edited by hand\n');
    expect((await runCommand('getent', ['passwd', user])).code, 'the service account was not created').not.toBe(0);
    // No run was recorded: only the command's log.
    expect((await readdir(dirs.stateDir).catch(() => [] as string[])).filter((e) => e !== 'logs')).toEqual([]);
  });
});
