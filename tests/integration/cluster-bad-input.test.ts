/**
 * Issue 3, must-show 6: each bad input stops `spsetup install` in preflight (exit 3) with a clear
 * message and changes nothing (files, services and the database catalog); a malformed settings
 * field exits 2 naming the field. One central node (local database) in namespace A serves all cases;
 * the joining node runs in namespace B.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import {
  accountName,
  attachNode,
  cleanupNode,
  clusterNetnsName,
  clusterSkipReason,
  createHub,
  deleteClusterNetns,
  freeTcpPort,
  makeNodeDirs,
  makeShare,
  nodeSettings,
  randomPassword,
  randomSubnet,
  removeUser,
  runCli,
  writeSettings,
  type NodeDirs,
} from '../support/cluster.js';
import { diffSnapshots, takeSnapshot } from '../support/snapshot.js';
import { getManifest } from '../../electron/product/index.js';

const skip = clusterSkipReason();

describe.skipIf(skip)(`bad input stops the install and changes nothing${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const subnet = randomSubnet();
  const hub = clusterNetnsName('hub');
  const nsA = clusterNetnsName('a');
  const nsB = clusterNetnsName('b');
  const ipA = `${subnet}.1`;
  const ipB = `${subnet}.2`;
  const user = accountName('bad');
  const password = randomPassword();
  const superuserPassword = randomPassword();
  let a: NodeDirs;
  let b: NodeDirs;
  let share: Awaited<ReturnType<typeof makeShare>>;
  let port: number;

  const joinSettings = (over: { database?: Record<string, unknown>; [k: string]: unknown } = {}) => {
    const base = nodeSettings({ dirs: b, mode: 'join', dbInstall: 'existing', dbHost: ipA, dbPort: port, password, shareRoot: share.share, hostname: ipB, user });
    const { database, ...rest } = over;
    return { ...base, ...rest, database: { ...(base.database as Record<string, unknown>), ...database } };
  };

  /** Runs a join on B with these settings; returns its output after checking that nothing changed. */
  async function expectRefused(doc: unknown, exit: number): Promise<string> {
    await writeSettings(b.settingsFile, doc);
    const opts = {
      roots: [b.root, share.root],
      serviceDirs: [b.runitDir],
      ignore: [new RegExp(`^${b.stateDir}$`)],
      pg: { host: '/tmp', port, user: 'postgres', password: superuserPassword },
    };
    const before = await takeSnapshot(opts);
    expect(before.database && 'roles' in before.database, 'the catalog is readable').toBe(true);
    const r = await runCli(['install', '--settings', b.settingsFile, '--yes'], { netns: nsB, timeoutMs: 60_000 });
    const out = `${r.stdout}\n${r.stderr}`;
    expect(r.code, out).toBe(exit);
    expect(diffSnapshots(before, await takeSnapshot(opts))).toEqual([]);
    // The run's log is the only thing written.
    expect((await readdir(b.stateDir).catch(() => [] as string[])).filter((e) => e !== 'logs')).toEqual([]);
    return out;
  }

  beforeAll(async () => {
    share = await makeShare();
    port = await freeTcpPort();
    await createHub(hub);
    await attachNode(hub, nsA, `${ipA}/24`);
    await attachNode(hub, nsB, `${ipB}/24`);
    a = await makeNodeDirs('bada');
    b = await makeNodeDirs('badb');
    const central = nodeSettings({
      dirs: a,
      mode: 'create',
      dbInstall: 'local',
      dbHost: ipA,
      dbPort: port,
      password,
      superuserPassword,
      listener: { listenAddresses: ['*'], ipRanges: [`${subnet}.0/24`], maxConnections: 800 },
      shareRoot: share.share,
      hostname: ipA,
      user,
      plannedNodes: 8,
    });
    const r = await runCli(['install', '--settings', await writeSettings(a.settingsFile, central), '--yes'], { netns: nsA });
    if (r.code !== 0) throw new Error(`central install failed:\n${r.stdout}\n${r.stderr}`);
  });

  afterAll(async () => {
    if (b) await cleanupNode(b);
    if (a) await cleanupNode(a);
    await deleteClusterNetns();
    await share?.cleanup();
    await removeUser(user);
  });

  it('a wrong database password', async () => {
    const out = await expectRefused(joinSettings({ database: { password: `${password}x` } }), 3);
    expect(out).toContain('The database refused the password for user qliksenserepository');
    expect(out).not.toContain(`${password}x`);
  });

  it('an unreachable database', async () => {
    const closed = await freeTcpPort();
    const out = await expectRefused(joinSettings({ database: { port: closed === port ? closed + 1 : closed } }), 3);
    expect(out).toMatch(/Repository database/);
    expect(out).toMatch(/Cannot reach the database server at .* \(ECONNREFUSED\)/);
  });

  it('a share the service account cannot write', async () => {
    const readOnly = join(share.root, 'read-only');
    await mkdir(readOnly, { mode: 0o755 });
    const out = await expectRefused(joinSettings({ share: { root: readOnly } }), 3);
    expect(out).toContain(`${user} cannot write to ${readOnly}`);
  });

  it('a ninth node', async () => {
    const client = new pg.Client({ host: '/tmp', port, user: 'postgres', password: superuserPassword, database: 'QSR' });
    await client.connect();
    try {
      await client.query(`INSERT INTO nodes (hostname) SELECT 'spcl-extra-' || g FROM generate_series(1, 7) g`);
      const out = await expectRefused(joinSettings(), 3);
      expect(out).toMatch(/already has 8 nodes; shared persistence supports at most 8/);
    } finally {
      await client.query(`DELETE FROM nodes WHERE hostname LIKE 'spcl-extra-%'`);
      await client.end();
    }
  });

  it('a join under the central node\'s own host name (issue 19 item 13)', async () => {
    const out = await expectRefused(joinSettings({ hostname: ipA }), 3);
    expect(out).toContain(`${ipA} is this cluster's central node: joining it as a rim node would re-point its services.`);
  });

  it('a host name that does not resolve', async () => {
    const out = await expectRefused(joinSettings({ hostname: 'spcl-no-such-host.invalid' }), 3);
    expect(out).toContain('The host name spcl-no-such-host.invalid does not resolve');
  });

  it('an empty password', async () => {
    const out = await expectRefused(joinSettings({ database: { password: '' } }), 3);
    expect(out).toMatch(/The database password is empty|These passwords are empty: database\.password/);
  });

  it('a port in use', async () => {
    // The reference dispatcher's port (the first product port), held by another program in B.
    const holder = await holdPortInNetns(nsB, 24240);
    try {
      const out = await expectRefused(joinSettings(), 3);
      expect(out).toMatch(/24240 \(needed by/);
    } finally {
      holder.release();
    }
  });

  it.skipIf(!existsSync(NFT))('the central node\'s certificate distribution port blocked between the namespaces (nftables)', async () => {
    const distribution = getManifest('reference').registration!.distributionPort;
    // First the same join passes this check: the block below is what makes it fail.
    const plan = await runCli(['plan', '--settings', await writeSettings(b.settingsFile, joinSettings())], { netns: nsB, timeoutMs: 60_000 });
    expect(plan.stdout).toContain(`${ipA}:${distribution} (certificate distribution)`);
    expect(plan.stdout).not.toContain('cannot reach');
    // A's firewall drops B's packets to that port only, as a host firewall would.
    await nft(nsA, `table inet spsetup_test { chain input { type filter hook input priority 0; policy accept; ip saddr ${ipB} tcp dport ${distribution} drop; }; }`);
    try {
      const out = await expectRefused(joinSettings(), 3);
      expect(out).toContain(`This node cannot reach ${ipA}:${distribution} (certificate distribution) within 4 s.`);
      expect(out).toContain(`Open TCP port ${distribution} on ${ipA} for ${ipB}`);
      // Only the blocked port is named: the API and database ports answered.
      expect(out).not.toMatch(/cannot reach [^\n]*(repository API|repository database)/);
    } finally {
      await nft(nsA, 'delete table inet spsetup_test');
    }
  });

  it('a malformed settings field exits 2 naming the field', async () => {
    const out = await expectRefused(joinSettings({ database: { port: 'four-four-three-two' } }), 2);
    expect(out).toContain('database.port');
  });
});

const NFT = '/usr/sbin/nft';

/** Loads an nftables ruleset (or command) inside a namespace. */
async function nft(ns: string, rules: string): Promise<void> {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync('ip', ['netns', 'exec', ns, NFT, '-f', '-'], { input: `${rules}\n`, encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`nft in ${ns} failed: ${r.stderr}`);
}

/** Listens on a TCP port inside a namespace until released (a child node process). */
async function holdPortInNetns(ns: string, port: number): Promise<{ release(): void }> {
  const { spawn } = await import('node:child_process');
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', `require('net').createServer().listen(${port}, '0.0.0.0', () => console.log('ready'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`port holder exited ${code}`)));
  });
  return { release: () => child.kill('SIGKILL') };
}
