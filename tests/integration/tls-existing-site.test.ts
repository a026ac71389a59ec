/**
 * Issue 15 on an existing site: a dedicated Debian PostgreSQL 15 server (namespace DB), a central
 * node A and a rim node B, installed without SSL. Turned on in an order that never cuts a node
 * off: db prepare --keep-plain (SSL on beside plain connections), every node switched through its
 * agent (site connection set --ssl-mode Require), site ssl status shows every node encrypted, then
 * db prepare without --keep-plain refuses plain logins. Captures on the database's namespace show
 * the heartbeat SQL in clear before the switch and none after; the nodes keep heartbeating.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureWhile } from '../support/capture.js';
import {
  accountName,
  attachNode,
  cleanupNode,
  clusterNetnsName,
  clusterSkipReason,
  createHub,
  deleteClusterNetns,
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
import { execBounded } from '../support/netns.js';
import { binDirOf, freePort, startTestServer, type TestServer } from '../support/pg-server.js';

function missing(): string | undefined {
  try {
    binDirOf('debian15');
  } catch {
    return 'Debian PostgreSQL 15 is not installed';
  }
  return undefined;
}

const skip = clusterSkipReason() ?? missing();

interface NodeSsl {
  hostname: string;
  connections: number;
  encrypted: number;
  versions: string[];
}

describe.skipIf(skip)(`SSL turned on for a running site${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const subnet = randomSubnet();
  const hub = clusterNetnsName('hub');
  const nsDb = clusterNetnsName('db');
  const nsA = clusterNetnsName('a');
  const nsB = clusterNetnsName('b');
  const ipDb = `${subnet}.1`;
  const ipA = `${subnet}.2`;
  const ipB = `${subnet}.3`;
  const user = accountName('tlss');
  const password = randomPassword();
  let server: TestServer;
  let dbDirs: NodeDirs;
  let a: NodeDirs;
  let b: NodeDirs;
  let share: Awaited<ReturnType<typeof makeShare>>;

  const settingsFor = (dirs: NodeDirs, mode: 'create' | 'join', hostname: string, extra: Record<string, unknown> = {}) => {
    const doc = nodeSettings({ dirs, mode, dbInstall: 'existing', dbHost: ipDb, dbPort: server.port, password, shareRoot: share.share, hostname, user, plannedNodes: 2 });
    // What a bundle carries to a rim node: the central node's site key.
    const cluster = mode === 'join' ? { ...(doc.cluster as Record<string, unknown>), siteKey: { file: join(a.stateDir, 'site.key') } } : doc.cluster;
    return { ...doc, cluster, database: { ...(doc.database as Record<string, unknown>), ...extra } };
  };
  const prepare = async (ssl: 'disable' | 'require', flags: string[] = []) => {
    const file = await writeSettings(
      dbDirs.settingsFile,
      settingsFor(dbDirs, 'create', ipDb, { superuserPassword: server.password, ssl, listener: { listenAddresses: ['127.0.0.1', ipDb], ipRanges: [`${subnet}.0/24`], maxConnections: 200 } }),
    );
    const r = await runCli(['db', 'prepare', '--settings', file, ...flags], { netns: nsDb, timeoutMs: 120_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    return r;
  };
  const sslStatus = async () => {
    const r = await runCli(['site', 'ssl', 'status', '--settings', a.settingsFile, '--json'], { netns: nsA, timeoutMs: 60_000 });
    return { code: r.code, nodes: (r.code <= 1 ? JSON.parse(r.stdout) : []) as NodeSsl[], out: `${r.stdout}\n${r.stderr}` };
  };
  const heartbeats = async () => {
    const c = await server.connect({ database: 'QSR' });
    try {
      return Object.fromEntries((await c.query<{ hostname: string; t: string }>('SELECT hostname, last_seen::text AS t FROM nodes')).map((r) => [r.hostname, r.t]));
    } finally {
      await c.close();
    }
  };
  const waitForNewHeartbeats = async (since: Record<string, string>) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const now = await heartbeats();
      if ([ipA, ipB].every((h) => now[h] !== undefined && now[h] !== since[h])) return now;
      if (Date.now() > deadline) throw new Error(`no new heartbeat: ${JSON.stringify({ since, now })}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  beforeAll(async () => {
    share = await makeShare();
    await createHub(hub);
    await attachNode(hub, nsDb, `${ipDb}/24`);
    await attachNode(hub, nsA, `${ipA}/24`);
    await attachNode(hub, nsB, `${ipB}/24`);
    dbDirs = await makeNodeDirs('tlssdb');
    a = await makeNodeDirs('tlssa');
    b = await makeNodeDirs('tlssb');
    server = await startTestServer({ flavor: 'debian15', netns: nsDb, port: await freePort(), listenAddresses: `127.0.0.1,${ipDb}` });
  });

  afterAll(async () => {
    for (const d of [b, a, dbDirs]) if (d) await cleanupNode(d);
    await server?.stop();
    await deleteClusterNetns();
    await share?.cleanup();
    await removeUser(user);
  });

  it('a site without SSL: db prepare, A creates, B joins; its heartbeats are SQL in clear', async () => {
    await prepare('disable');
    const ra = await runCli(['install', '--settings', await writeSettings(a.settingsFile, settingsFor(a, 'create', ipA)), '--yes'], { netns: nsA, timeoutMs: 170_000 });
    expect(ra.code, `${ra.stdout}\n${ra.stderr}`).toBe(0);
    const rb = await runCli(['install', '--settings', await writeSettings(b.settingsFile, settingsFor(b, 'join', ipB)), '--yes'], { netns: nsB, timeoutMs: 170_000 });
    expect(rb.code, `${rb.stdout}\n${rb.stderr}`).toBe(0);
    const cap = await captureWhile(nsDb, server.port, join(dbDirs.root, 'before.pcap'), 8, async () => undefined);
    expect((await cap.bytes()).includes(Buffer.from('UPDATE nodes SET last_seen')), 'the heartbeat SQL is readable before SSL').toBe(true);
    const st = await sslStatus();
    expect(st.code, st.out).toBe(1);
    expect(st.nodes.map((n) => n.encrypted)).toEqual([0, 0]);
  });

  it('db prepare --keep-plain turns SSL on without cutting anyone off; the nodes switch through their agents; then plain logins are refused', async () => {
    const before = await heartbeats();
    const keep = await prepare('require', ['--keep-plain']);
    expect(keep.stdout).toMatch(/Plain connections still work: switch every node/);
    // Nobody was cut off: the plain sessions still heartbeat.
    await waitForNewHeartbeats(before);
    const plainStill = await execBounded('ip', ['netns', 'exec', nsB, 'psql', `host=${ipDb} port=${server.port} user=qliksenserepository dbname=QSR sslmode=disable connect_timeout=5`, '-Atc', 'SELECT 1'], { env: { PGPASSWORD: password } });
    expect(plainStill.stdout.trim(), plainStill.stderr).toBe('1');

    const set = await runCli(['site', 'connection', 'set', '--settings', a.settingsFile, '--ssl-mode', 'Require', '--timeout', '120'], { netns: nsA, timeoutMs: 170_000 });
    expect(set.code, `${set.stdout}\n${set.stderr}`).toBe(0);
    expect(set.stdout).toMatch(new RegExp(`${ipA.replace(/\./g, '\\.')} +done +connection string sslMode set; restarted`));
    expect(set.stdout).toMatch(new RegExp(`${ipB.replace(/\./g, '\\.')} +done +connection string sslMode set; restarted`));
    // The nodes' settings say so too, so a re-run of their install keeps SSL.
    await writeSettings(a.settingsFile, settingsFor(a, 'create', ipA, { ssl: 'require' }));
    await writeSettings(b.settingsFile, settingsFor(b, 'join', ipB, { ssl: 'require' }));
    let st = await sslStatus();
    for (let i = 0; i < 40 && st.code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 500));
      st = await sslStatus();
    }
    expect(st.code, st.out).toBe(0);
    for (const n of st.nodes) {
      expect(n.connections, n.hostname).toBeGreaterThan(0);
      expect(n.encrypted, n.hostname).toBe(n.connections);
      expect(n.versions.every((v) => /^TLSv1\.[23]$/.test(v)), n.versions.join()).toBe(true);
    }

    const final = await prepare('require');
    expect(final.stdout).toMatch(/hostnossl all +qliksenserepository +0\.0\.0\.0\/0 +reject/);
    const plain = await execBounded('ip', ['netns', 'exec', nsB, 'psql', `host=${ipDb} port=${server.port} user=qliksenserepository dbname=QSR sslmode=disable connect_timeout=5`, '-Atc', 'SELECT 1'], { env: { PGPASSWORD: password } });
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toMatch(/rejects connection .* no encryption/);
    const after = await heartbeats();
    await waitForNewHeartbeats(after);
    const cap = await captureWhile(nsDb, server.port, join(dbDirs.root, 'after.pcap'), 8, async () => undefined);
    const bytes = await cap.bytes();
    expect(await cap.count('tcp.len > 0', server.port), 'the nodes sent data during the capture').toBeGreaterThan(0);
    expect(bytes.includes(Buffer.from('last_seen')), 'no heartbeat SQL in clear after SSL').toBe(false);
    expect(bytes.includes(Buffer.from(password)), 'no password on the wire').toBe(false);
    const status = await runCli(['site', 'status', '--settings', a.settingsFile, '--json'], { netns: nsA, timeoutMs: 60_000 });
    expect(status.code, status.stderr).toBe(0);
    const nodes = (JSON.parse(status.stdout) as { nodes: { hostname: string; reachable: boolean; services: { state: string }[] }[] }).nodes;
    expect(nodes.map((n) => `${n.hostname} ${n.reachable}`).sort()).toEqual([`${ipA} true`, `${ipB} true`]);
    for (const n of nodes) expect(n.services.filter((s) => s.state !== 'running'), n.hostname).toEqual([]);
  });
});
