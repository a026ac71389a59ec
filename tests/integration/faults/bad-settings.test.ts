/**
 * Issue 13: settings that would break a file, a command line or a later uninstall stop
 * `spsetup install` with exit 2, the field named, and nothing changed on the machine: relative
 * and `..` paths, folders inside each other, line breaks and NUL in secrets (inline, from a
 * file), listen addresses that are not *, a host name or an IP, CIDRs with host bits, and secret
 * files that other users may read.
 */
import { execFile } from 'node:child_process';
import { chmod, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountName, cleanupNode, clusterSkipReason, makeNodeDirs, makeShare, nodeSettings, runCli, writeSettings, type NodeDirs } from '../../support/cluster.js';
import { diffSnapshots, takeSnapshot } from '../../support/snapshot.js';

const skip = clusterSkipReason();

const userExists = (name: string) => new Promise<boolean>((done) => execFile('id', [name], (err) => done(!err)));

describe.skipIf(skip)(`bad settings exit 2 and change nothing${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const user = accountName('bs');
  let dirs: NodeDirs;
  let share: Awaited<ReturnType<typeof makeShare>>;

  const settings = (over: { database?: Record<string, unknown>; [k: string]: unknown } = {}) => {
    const base = nodeSettings({
      dirs,
      mode: 'create',
      dbInstall: 'local',
      dbHost: '127.0.0.1',
      dbPort: 25499,
      password: 'Repo-pass-1',
      superuserPassword: 'Super-pass-1',
      listener: { listenAddresses: ['127.0.0.1'], ipRanges: ['127.0.0.1/32'], maxConnections: 300 },
      shareRoot: share.share,
      hostname: '127.0.0.1',
      user,
    });
    const { database, ...rest } = over;
    return { ...base, ...rest, database: { ...(base.database as Record<string, unknown>), ...database } };
  };

  /** Installs with these settings; checks exit 2 and that nothing changed; returns the output. */
  async function expectRefused(doc: unknown, exit = 2): Promise<string> {
    await writeSettings(dirs.settingsFile, doc);
    await rm(dirs.stateDir, { recursive: true, force: true });
    const opts = { roots: [dirs.root, share.root], serviceDirs: [dirs.runitDir] };
    const before = await takeSnapshot(opts);
    const r = await runCli(['install', '--settings', dirs.settingsFile, '--yes'], { timeoutMs: 60_000 });
    const out = `${r.stdout}\n${r.stderr}`;
    expect(r.code, out).toBe(exit);
    expect(out).not.toMatch(/Internal error/);
    // A run's log is the only thing a refused install may write.
    const logs = new RegExp(`^${dirs.stateDir}(/logs(/.*)?)?$`);
    expect(diffSnapshots(before, await takeSnapshot({ ...opts, ignore: [logs] }))).toEqual([]);
    expect((await readdir(dirs.stateDir).catch(() => [])).filter((e) => e !== 'logs')).toEqual([]);
    expect(await userExists(user)).toBe(false);
    return out;
  }

  beforeAll(async () => {
    dirs = await makeNodeDirs('bs');
    share = await makeShare();
  });

  afterAll(async () => {
    if (dirs) await cleanupNode(dirs);
    await share?.cleanup();
  });

  it('a relative installation folder', async () => {
    expect(await expectRefused(settings({ installDir: 'opt/reference' }))).toContain('installDir: must be an absolute path');
  });

  it('a data folder that climbs out with ..', async () => {
    expect(await expectRefused(settings({ dataDir: `${dirs.root}/data/../../etc` }))).toContain('dataDir: must not contain ".."');
  });

  it('the share inside the installation folder (uninstall would delete it)', async () => {
    const out = await expectRefused(settings({ share: { root: join(dirs.installDir, 'share') } }));
    expect(out).toContain(`share.root: ${join(dirs.installDir, 'share')} (share.root) lies inside ${dirs.installDir} (installDir)`);
  });

  it('the data folder equal to the installation folder (uninstall would delete the live database)', async () => {
    const out = await expectRefused(settings({ dataDir: dirs.installDir }));
    expect(out).toContain(`installDir: ${dirs.installDir} (installDir) is the same folder as ${dirs.installDir} (dataDir)`);
  });

  it('a line break in the superuser password', async () => {
    const out = await expectRefused(settings({ database: { superuserPassword: 'first\nsecond' } }));
    expect(out).toContain('database.superuserPassword: contains a line break or NUL character');
    expect(out).not.toContain('second');
  });

  it('a NUL in the repository password', async () => {
    expect(await expectRefused(settings({ database: { password: 'Repo\u0000pass' } }))).toContain('database.password: contains a line break or NUL character');
  });

  it('a line break inside a secret file', async () => {
    const file = join(dirs.root, 'superuser.pw');
    await writeFile(file, 'first\nsecond\n', { mode: 0o600 });
    const out = await expectRefused(settings({ database: { superuserPassword: { file } } }));
    expect(out).toContain(`database.superuserPassword: the secret file ${file} holds a line break or NUL character`);
  });

  it('a secret file that other users may read', async () => {
    const file = join(dirs.root, 'repository.pw');
    await writeFile(file, 'Repo-pass-1\n');
    await chmod(file, 0o644);
    const out = await expectRefused(settings({ database: { password: { file } } }));
    expect(out).toContain(`database.password: the secret file ${file} may be read or changed by other users (mode 644)`);
    expect(out).toContain(`chmod 600 ${file}`);
  });

  it('a quote in a listen address', async () => {
    const out = await expectRefused(settings({ database: { listener: { listenAddresses: ["127.0.0.1'"], ipRanges: ['127.0.0.1/32'], maxConnections: 300 } } }));
    expect(out).toContain('database.listener.listenAddresses.0: not a listen address: give *, a host name or an IP address');
  });

  it('a CIDR with host bits', async () => {
    const out = await expectRefused(settings({ database: { listener: { listenAddresses: ['*'], ipRanges: ['10.0.0.1/24'], maxConnections: 300 } } }));
    expect(out).toContain('database.listener.ipRanges.0: 10.0.0.1/24 has host bits set: write the network 10.0.0.0/24, or 10.0.0.1/32 for that one address');
  });

  it('a share root that is a file exits 3 (preflight: nothing changed), not 1', async () => {
    const file = join(share.root, 'share');
    await writeFile(file, 'a file where the share should be\n');
    try {
      expect(await expectRefused(settings(), 3)).toContain(`${file} exists and is not a folder.`);
    } finally {
      await rm(file);
    }
  });
});
