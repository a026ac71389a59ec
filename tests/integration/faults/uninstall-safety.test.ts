/**
 * Issue 13, uninstall safety: uninstall takes the run lock (run during an install it is refused
 * with exit 3 and removes nothing, and the install still finishes), shows its own plan first
 * (`--plan` shows only that), and refuses settings under which it would delete the share.
 */
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
  makeNodeDirs,
  makeShare,
  nodeSettings,
  randomPassword,
  removeUser,
  runCli,
  spawnCli,
  waitForStepStarted,
  writeSettings,
  type NodeDirs,
  type NodeSettingsDoc,
} from '../../support/cluster.js';
import { diffSnapshots, takeSnapshot, type SnapshotOptions } from '../../support/snapshot.js';

const skip = clusterSkipReason();

describe.skipIf(skip)(`uninstall safety${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const ns = clusterNetnsName('us');
  const user = accountName('us');
  let dirs: NodeDirs;
  let share: Awaited<ReturnType<typeof makeShare>>;
  let settings: NodeSettingsDoc;
  let opts: SnapshotOptions;

  beforeAll(async () => {
    await createIsolatedNetns(ns);
    dirs = await makeNodeDirs('us');
    share = await makeShare();
    settings = nodeSettings({
      dirs,
      mode: 'create',
      dbInstall: 'local',
      dbHost: '127.0.0.1',
      dbPort: 25437,
      password: randomPassword(),
      superuserPassword: randomPassword(),
      listener: { listenAddresses: ['127.0.0.1'], ipRanges: ['127.0.0.1/32'], maxConnections: 100 },
      shareRoot: share.share,
      hostname: '127.0.0.1',
      user,
      plannedNodes: 1,
    });
    await writeSettings(dirs.settingsFile, settings);
    opts = { roots: [dirs.root, share.root], serviceDirs: [dirs.runitDir], ignore: [new RegExp(`^${dirs.stateDir}(/|$)`), /\.log$/, /\/supervise(\/|$)/, /\/pg_stat_tmp(\/|$)/, /\/pg_wal(\/|$)/, /\/global\/pg_control$/, /\/pg_logical(\/|$)/, /\/base(\/|$)/] };
  });

  afterAll(async () => {
    if (dirs) await cleanupNode(dirs);
    await deleteClusterNetns();
    await share?.cleanup();
    await removeUser(user);
  });

  it('during an install it is refused (exit 3), removes nothing, and the install finishes', async () => {
    const install = spawnCli(['install', '--settings', dirs.settingsFile, '--yes'], { netns: ns });
    const finished = new Promise<number>((done) => install.once('exit', (code) => done(code ?? -1)));
    let installOut = '';
    install.stdout?.on('data', (d: Buffer) => (installOut += d.toString()));
    install.stderr?.on('data', (d: Buffer) => (installOut += d.toString()));
    await waitForStepStarted(dirs.stateDir, 'database-binaries', 120_000);
    const r = await runCli(['uninstall', '--settings', dirs.settingsFile, '--remove-data'], { netns: ns });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(3);
    expect(r.stderr).toMatch(/Another spsetup run \(process \d+\) is applying changes on this machine\./);
    expect(r.stdout).not.toMatch(/Stopping and removing/);
    expect(await finished, installOut).toBe(0);
    expect(existsSync(join(dirs.installDir, 'PostgreSQL', 'bin'))).toBe(true);
  });

  it('--plan shows what it would remove and keep, and changes nothing', async () => {
    const before = await takeSnapshot(opts);
    const r = await runCli(['uninstall', '--settings', dirs.settingsFile, '--plan'], { netns: ns });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Uninstall plan:');
    expect(r.stdout).toContain('  - stop and remove the service Reference Scheduler Service (reference-scheduler)');
    expect(r.stdout).toContain(`  - keep the shared folder ${share.share}`);
    expect(r.stdout).toContain(`  - keep the data folder ${dirs.dataDir}`);
    expect(diffSnapshots(before, await takeSnapshot(opts))).toEqual([]);
  });

  it('refuses settings that put the share inside the installation folder (exit 2), changing nothing', async () => {
    const moved = join(dirs.root, 'moved-settings.json');
    await writeSettings(moved, { ...settings, share: { root: join(dirs.installDir, 'share') } });
    const before = await takeSnapshot(opts);
    const r = await runCli(['uninstall', '--settings', moved, '--remove-data'], { netns: ns });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(2);
    expect(r.stderr).toContain(`share.root: ${join(dirs.installDir, 'share')} (share.root) lies inside ${dirs.installDir} (installDir)`);
    expect(diffSnapshots(before, await takeSnapshot(opts))).toEqual([]);
  });

  it('shows its plan before it changes anything, then keeps the share', async () => {
    const shareBefore = await takeSnapshot({ roots: [share.share] });
    const r = await runCli(['uninstall', '--settings', dirs.settingsFile], { netns: ns });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout.indexOf('Uninstall plan:')).toBeGreaterThanOrEqual(0);
    expect(r.stdout.indexOf('Uninstall plan:')).toBeLessThan(r.stdout.indexOf('Stopping and removing'));
    expect(diffSnapshots(shareBefore, await takeSnapshot({ roots: [share.share] }))).toEqual([]);
  });
});
