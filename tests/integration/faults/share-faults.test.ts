/**
 * Issue 13, the fault suite: the share on a small tmpfs, faulted before and during one install.
 * One install serves every fault here, in order (each resume is the next fault's run):
 *  1. a share without the inodes, or the bytes, the plan needs: preflight refuses (exit 3), nothing changes;
 *  2. the share turns read-only after the first step: exit 1, "Cannot ... <share>: the file system
 *     is read-only", no internal error;
 *  3. made writable again but filled up (no inode left) as the share step starts: exit 1, "... no
 *     free inodes left";
 *  4. the filler removed, resume converges (exit 0), and the install run again changes nothing.
 * Each run holds still at a step boundary (tests/support/paused-cli.mjs) while the fault is made.
 */
import { readdir, rm, writeFile } from 'node:fs/promises';
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
  writeSettings,
  type NodeDirs,
} from '../../support/cluster.js';
import { mountTmpfs, remount, resetGo, runPaused, unmount, useAllInodes } from '../../support/faults.js';
import { diffSnapshots, takeSnapshot } from '../../support/snapshot.js';

const skip = clusterSkipReason();

describe.skipIf(skip)(`share faults: full, read-only, out of inodes${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const ns = clusterNetnsName('sf');
  const user = accountName('sf');
  let dirs: NodeDirs;
  let share: Awaited<ReturnType<typeof makeShare>>;
  let goFile: string;
  const cli = (args: string[]) => runCli(args, { netns: ns, timeoutMs: 240_000 });

  beforeAll(async () => {
    await createIsolatedNetns(ns);
    dirs = await makeNodeDirs('sf');
    share = await makeShare();
    goFile = join(dirs.root, 'go');
    // 16 inodes: the root takes one; the plan's share folders need more.
    await mountTmpfs(share.share, 'size=4m,nr_inodes=16,mode=0755');
    await writeSettings(
      dirs.settingsFile,
      nodeSettings({
        dirs,
        mode: 'create',
        dbInstall: 'local',
        dbHost: '127.0.0.1',
        dbPort: 25438,
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
    if (dirs) await cleanupNode(dirs);
    await deleteClusterNetns();
    if (share) {
      await unmount(share.share);
      await share.cleanup();
    }
    await removeUser(user);
  });

  it('a share without the inodes the plan needs: preflight refuses with exit 3, naming it, and nothing changes', async () => {
    const opts = { roots: [dirs.root, share.root], serviceDirs: [dirs.runitDir], ignore: [new RegExp(`^${dirs.stateDir}(/logs(/.*)?)?$`)] };
    const before = await takeSnapshot(opts);
    const r = await cli(['install', '--settings', dirs.settingsFile, '--yes']);
    const out = `${r.stdout}\n${r.stderr}`;
    expect(r.code, out).toBe(3);
    expect(out).toMatch(new RegExp(`FAIL Free space and inodes: Not enough room: the file system of ${share.share}(, [^ ]+)* has \\d+ free inodes; the plan creates about \\d+ files and folders there\\.`));
    expect(out).toContain('Nothing was changed.');
    expect(diffSnapshots(before, await takeSnapshot(opts))).toEqual([]);
    await remount(share.share, 'nr_inodes=4096');
  });

  it('a share with less free space than the plan writes there: preflight refuses with exit 3, saying what is free and needed', async () => {
    const filler = join(share.share, '.big');
    await writeFile(filler, Buffer.alloc(3.5 * 1024 * 1024));
    try {
      const r = await cli(['install', '--settings', dirs.settingsFile, '--yes']);
      const out = `${r.stdout}\n${r.stderr}`;
      expect(r.code, out).toBe(3);
      expect(out).toMatch(new RegExp(`FAIL Free space and inodes: Not enough room: the file system of ${share.share} has [\\d.]+ KiB free; the plan needs 1\\.0 MiB there\\.`));
      expect(await readdir(share.share)).toEqual(['.big']);
    } finally {
      await rm(filler);
    }
  });

  it('the share turns read-only after the first step: exit 1, the folder and "read-only" named, no internal error', async () => {
    const run = runPaused(['install', '--settings', dirs.settingsFile, '--yes'], 'done:service-account', { netns: ns, goFile });
    await run.paused;
    await remount(share.share, 'ro');
    await run.go();
    const r = await run.done;
    const out = `${r.stdout}\n${r.stderr}`;
    expect(r.code, out).toBe(1);
    expect(out).toMatch(new RegExp(`Failed at share-folders: Cannot [a-z ]+ ${share.share}[^:]*: the file system is read-only\\.`));
    expect(out).toMatch(/What to do: Mount it read-write again/);
    expect(out).not.toMatch(/Internal error|this is a bug/);
    await remount(share.share, 'rw');
    await resetGo(goFile);
  });

  it('the share fills up (no inode left) as its step starts: exit 1, "no free inodes left"; emptied, resume converges', async () => {
    const run = runPaused(['resume', '--settings', dirs.settingsFile], 'started:share-folders', { netns: ns, goFile });
    await run.paused;
    const filler = await useAllInodes(share.share);
    await run.go();
    const r = await run.done;
    const out = `${r.stdout}\n${r.stderr}`;
    expect(r.code, out).toBe(1);
    expect(out).toMatch(new RegExp(`Failed at share-folders: Cannot create the folder ${share.share}/[A-Za-z]+: its file system has no free inodes left \\(too many files\\)\\.`));
    expect(out).not.toMatch(/Internal error/);
    await rm(filler, { recursive: true, force: true });
    await resetGo(goFile);

    const resumed = await cli(['resume', '--settings', dirs.settingsFile]);
    expect(resumed.code, `${resumed.stdout}\n${resumed.stderr}`).toBe(0);
    expect((await readdir(share.share)).sort()).toEqual(['Apps', 'ArchivedLogs', 'CustomData', 'StaticContent']);
    const again = await cli(['install', '--settings', dirs.settingsFile, '--yes']);
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
    expect(again.stdout).toMatch(/Changed: nothing\./);
  });
});
