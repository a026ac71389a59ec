/**
 * Issue 3, `spsetup uninstall`: like the guide's uninstaller it removes this node's services and
 * installed files, never touches the shared folder, and keeps the local database and the data
 * folder unless --remove-data is given.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
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
  writeSettings,
  type NodeDirs,
} from '../support/cluster.js';
import { diffSnapshots, takeSnapshot } from '../support/snapshot.js';

const skip = clusterSkipReason();

describe.skipIf(skip)(`spsetup uninstall${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const ns = clusterNetnsName('un');
  const user = accountName('un');
  let dirs: NodeDirs;
  let share: Awaited<ReturnType<typeof makeShare>>;
  const services = async () => JSON.parse((await runCli(['status', '--settings', dirs.settingsFile, '--json'], { netns: ns })).stdout || '{"services":[]}') as { services: { name: string; state: string }[] };

  beforeAll(async () => {
    await createIsolatedNetns(ns);
    dirs = await makeNodeDirs('un');
    share = await makeShare();
    const settings = nodeSettings({
      dirs,
      mode: 'create',
      dbInstall: 'local',
      dbHost: '127.0.0.1',
      dbPort: 25434,
      password: randomPassword(),
      superuserPassword: randomPassword(),
      listener: { listenAddresses: ['127.0.0.1'], ipRanges: ['127.0.0.1/32'], maxConnections: 100 },
      shareRoot: share.share,
      hostname: '127.0.0.1',
      user,
      plannedNodes: 1,
    });
    const r = await runCli(['install', '--settings', await writeSettings(dirs.settingsFile, settings), '--yes'], { netns: ns });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  });

  afterAll(async () => {
    if (dirs) await cleanupNode(dirs);
    await deleteClusterNetns();
    await share?.cleanup();
    await removeUser(user);
  });

  it('keeps the local database, the data folder and the share; removes the rest', async () => {
    const shareBefore = await takeSnapshot({ roots: [share.share] });
    const r = await runCli(['uninstall', '--settings', dirs.settingsFile], { netns: ns });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/the shared folder is never touched/);
    const states = Object.fromEntries((await services()).services.map((s) => [s.name, s.state]));
    expect(states['reference-repository-database']).toBe('running');
    for (const name of ['reference-dispatcher', 'reference-repository', 'reference-proxy', 'reference-engine', 'reference-scheduler', 'reference-printing']) expect(states[name]).toBe('missing');
    expect(await readdir(dirs.installDir)).toEqual(['PostgreSQL']);
    expect(existsSync(dirs.dataDir)).toBe(true);
    expect(diffSnapshots(shareBefore, await takeSnapshot({ roots: [share.share] }))).toEqual([]);
  });

  it('with --remove-data also removes the local database and the data folder, still not the share', async () => {
    const shareBefore = await takeSnapshot({ roots: [share.share] });
    const r = await runCli(['uninstall', '--settings', dirs.settingsFile, '--remove-data'], { netns: ns });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(existsSync(dirs.installDir)).toBe(false);
    expect(existsSync(dirs.dataDir)).toBe(false);
    expect(await readdir(dirs.runitDir).then((e) => e.filter((n) => !n.startsWith('.')))).toEqual([]);
    expect(diffSnapshots(shareBefore, await takeSnapshot({ roots: [share.share] }))).toEqual([]);
  });
});
