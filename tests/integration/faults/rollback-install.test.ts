/**
 * Issue 13: rollback undoes the install, not the last plan. After an install and a re-run (whose
 * plan is all no-ops), `spsetup rollback --plan` lists the install's changes, and `spsetup
 * rollback` brings the machine back to a snapshot taken before the install: files (installation,
 * data and share folders), the service account, runit services, the runsvdir the install
 * started, every process under the node's folders and the database port.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accountName,
  cleanupNode,
  clusterNetnsName,
  clusterSkipReason,
  createIsolatedNetns,
  deleteClusterNetns,
  findRunsvdir,
  makeNodeDirs,
  makeShare,
  nodeSettings,
  processesUnder,
  randomPassword,
  removeUser,
  runCli,
  writeSettings,
  type NodeDirs,
} from '../../support/cluster.js';
import { runInNetns } from '../../support/netns.js';
import { diffSnapshots, takeSnapshot, type SnapshotOptions } from '../../support/snapshot.js';

const skip = clusterSkipReason();
const userExists = (name: string) => new Promise<boolean>((done) => execFile('id', [name], (err) => done(!err)));
const PORT = 25436;

describe.skipIf(skip)(`rollback undoes the install across runs${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const ns = clusterNetnsName('rb');
  const user = accountName('rb');
  let dirs: NodeDirs;
  let share: Awaited<ReturnType<typeof makeShare>>;
  let opts: SnapshotOptions;
  const cli = (args: string[]) => runCli([...args, '--settings', dirs.settingsFile], { netns: ns });
  const portOpen = async () => (await runInNetns(ns, process.execPath, ['-e', `require('net').connect(${PORT}, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(1))`])).code === 0;

  beforeAll(async () => {
    await createIsolatedNetns(ns);
    dirs = await makeNodeDirs('rb');
    share = await makeShare();
    const settings = nodeSettings({
      dirs,
      mode: 'create',
      dbInstall: 'local',
      dbHost: '127.0.0.1',
      dbPort: PORT,
      password: randomPassword(),
      superuserPassword: randomPassword(),
      listener: { listenAddresses: ['127.0.0.1'], ipRanges: ['127.0.0.1/32'], maxConnections: 100 },
      shareRoot: share.share,
      hostname: '127.0.0.1',
      user,
      plannedNodes: 1,
    });
    await writeSettings(dirs.settingsFile, settings);
    // The state folder keeps the journal of what was done and undone: it is the record, not the machine.
    opts = { roots: [dirs.root, share.root], serviceDirs: [dirs.runitDir], ignore: [new RegExp(`^${dirs.stateDir}(/|$)`)] };
  });

  afterAll(async () => {
    if (dirs) await cleanupNode(dirs);
    await deleteClusterNetns();
    await share?.cleanup();
    await removeUser(user);
  });

  it('after an install and a no-op re-run, rollback leaves the machine as it was before the install', async () => {
    const before = await takeSnapshot(opts);
    expect(await userExists(user)).toBe(false);
    const install = await cli(['install', '--yes']);
    expect(install.code, `${install.stdout}\n${install.stderr}`).toBe(0);
    const rerun = await cli(['install', '--yes']);
    expect(rerun.code, `${rerun.stdout}\n${rerun.stderr}`).toBe(0);
    expect(rerun.stdout).toMatch(/Changed: nothing\./);
    expect(await findRunsvdir(dirs.runitDir)).toHaveLength(1);

    const plan = await cli(['rollback', '--plan']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/Rollback would undo \d+ change\(s\), newest first:/);
    for (const title of [`Product files in ${dirs.installDir}`, 'Repository database cluster (initdb)', `Service account ${user}`]) expect(plan.stdout).toContain(title);
    expect(plan.stdout).not.toContain('NOT undone');
    // The same list for a script (issue 19: --json where it prints data).
    const asJson = await cli(['rollback', '--plan', '--json']);
    expect(asJson.code, asJson.stderr).toBe(0);
    const items = JSON.parse(asJson.stdout) as { stepId: string; title: string; cannot?: string }[];
    expect(items.map((i) => i.title)).toEqual(expect.arrayContaining([`Product files in ${dirs.installDir}`, 'Repository database cluster (initdb)', `Service account ${user}`]));
    expect(items.filter((i) => i.cannot)).toEqual([]);

    const rollback = await cli(['rollback']);
    const out = `${rollback.stdout}\n${rollback.stderr}`;
    expect(rollback.code, out).toBe(0);
    expect(out).not.toContain('Not undone');
    expect(out).toContain('Next: every recorded change was undone.');

    expect(diffSnapshots(before, await takeSnapshot(opts))).toEqual([]);
    expect(await userExists(user)).toBe(false);
    expect(await findRunsvdir(dirs.runitDir)).toEqual([]);
    expect(await processesUnder(dirs.root)).toEqual([]);
    expect(await portOpen()).toBe(false);

    // Nothing is left to undo; the plan says so.
    expect((await cli(['rollback', '--plan'])).stdout).toContain('Rollback: nothing to undo');
    expect(JSON.parse((await cli(['rollback', '--plan', '--json'])).stdout)).toEqual([]);
  });

  it('an install after the rollback works again from scratch', async () => {
    const again = await cli(['install', '--yes']);
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
    expect(await portOpen()).toBe(true);
    expect(existsSync(join(dirs.installDir, 'PostgreSQL', 'bin'))).toBe(true);
  });
});
