/**
 * Issue 18: rim nodes registered through the repository API with no manual step. A dedicated
 * Debian PostgreSQL 15 server (namespace DB), a central node A and rim nodes B and C, each in its
 * own namespace with its own runit supervisor: the installs of B and C ask A's node agent (a
 * signed `register-node` operation) to start their registration, give the one-time password to
 * their own certificate set-up, and end with certificates issued by A's site CA.
 */
import { X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { debianMissing, freePort, startTestServer, type TestServer } from '../support/pg-server.js';

const skip = clusterSkipReason() ?? debianMissing();

interface Node {
  readonly name: string;
  readonly ns: string;
  readonly ip: string;
  readonly dirs: NodeDirs;
}

interface StatusJson {
  nodes: { hostname: string; isCentral: boolean; registered: boolean | null }[];
}

describe.skipIf(skip)(`node registration through the repository API${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const subnet = randomSubnet();
  const hub = clusterNetnsName('hub');
  const nsDb = clusterNetnsName('db');
  const ipDb = `${subnet}.1`;
  const user = accountName('reg');
  const password = randomPassword();
  let server: TestServer;
  let dbDirs: NodeDirs;
  let share: Awaited<ReturnType<typeof makeShare>>;
  const nodes: Node[] = [];
  const central = () => nodes[0]!;
  const rims = () => nodes.slice(1);

  const settingsFor = (node: Node, mode: 'create' | 'join', cluster: Record<string, unknown> = {}) => {
    const doc = nodeSettings({ dirs: node.dirs, mode, dbInstall: 'existing', dbHost: ipDb, dbPort: server.port, password, shareRoot: share.share, hostname: node.ip, user });
    return { ...doc, cluster: { ...(doc.cluster as Record<string, unknown>), ...cluster } };
  };
  const install = async (node: Node, doc: unknown) => runCli(['install', '--settings', await writeSettings(node.dirs.settingsFile, doc), '--yes'], { netns: node.ns, timeoutMs: 240_000 });
  const certificates = (node: Node, file: string) => readFile(join(node.dirs.dataDir, 'Certificates', file), 'utf8');

  async function siteStatus(): Promise<StatusJson> {
    const r = await runCli(['site', 'status', '--json', '--settings', central().dirs.settingsFile], { netns: central().ns });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    return JSON.parse(r.stdout) as StatusJson;
  }

  beforeAll(async () => {
    share = await makeShare();
    await createHub(hub);
    await attachNode(hub, nsDb, `${ipDb}/24`);
    for (const [i, name] of ['a', 'b', 'c'].entries()) {
      const node = { name, ns: clusterNetnsName(name), ip: `${subnet}.${i + 2}`, dirs: await makeNodeDirs(`reg${name}`) };
      await attachNode(hub, node.ns, `${node.ip}/24`);
      nodes.push(node);
    }
    dbDirs = await makeNodeDirs('regdb');
    server = await startTestServer({ flavor: 'debian15', netns: nsDb, port: await freePort() });
    const prep = nodeSettings({ dirs: dbDirs, mode: 'create', dbInstall: 'existing', dbHost: ipDb, dbPort: server.port, password, shareRoot: share.share, hostname: ipDb, user });
    const p = await runCli(['db', 'prepare', '--settings', await writeSettings(dbDirs.settingsFile, { ...prep, database: { ...(prep.database as object), superuserPassword: server.password, listener: { listenAddresses: ['127.0.0.1', ipDb], ipRanges: [`${subnet}.0/24`], maxConnections: 300 } } })], { netns: nsDb });
    expect(p.code, `${p.stdout}\n${p.stderr}`).toBe(0);
  }, 120_000);

  afterAll(async () => {
    for (const d of [...nodes.map((n) => n.dirs)].reverse()) await cleanupNode(d);
    if (dbDirs) await cleanupNode(dbDirs);
    await server?.stop();
    await deleteClusterNetns();
    await share?.cleanup();
    await removeUser(user);
  });

  it('B and C join and are registered with no manual step: certificates from the central CA, node rows, site status registered', async () => {
    const a = await install(central(), settingsFor(central(), 'create'));
    expect(a.code, `${a.stdout}\n${a.stderr}`).toBe(0);
    const keyFile = join(central().dirs.stateDir, 'site.key');
    for (const rim of rims()) {
      const plan = await runCli(['plan', '--settings', await writeSettings(rim.dirs.settingsFile, settingsFor(rim, 'join', { siteKey: { file: keyFile } }))], { netns: rim.ns });
      expect(plan.stdout).toContain('Register this node with the central node');
      const r = await install(rim, settingsFor(rim, 'join', { siteKey: { file: keyFile } }));
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    }
    const root = new X509Certificate(await certificates(central(), 'root.pem'));
    for (const rim of rims()) {
      expect(await certificates(rim, 'root.pem')).toBe(await certificates(central(), 'root.pem'));
      const cert = new X509Certificate(await certificates(rim, 'server.pem'));
      expect(cert.verify(root.publicKey), rim.name).toBe(true);
      expect(cert.subjectAltName).toContain(`IP Address:${rim.ip}`);
      expect((await stat(join(rim.dirs.dataDir, 'Certificates', 'server_key.pem'))).mode & 0o777).toBe(0o600);
      await expect(stat(join(rim.dirs.dataDir, 'Certificates', 'root_key.pem'))).rejects.toThrow();
    }
    const conn = await server.connect({ database: 'QSR' });
    try {
      const rows = await conn.query<{ host_name: string; is_central: boolean; redeemed: boolean | null }>(
        'SELECT n.host_name, n.is_central, r.redeemed_at IS NOT NULL AS redeemed FROM qrs_server_nodes n LEFT JOIN qrs_node_registrations r ON r.node_id = n.id ORDER BY n.host_name',
      );
      // The central node has no registration of its own; each rim node's was redeemed once.
      const expected = nodes.map((n, i) => ({ host_name: n.ip, is_central: i === 0, redeemed: i !== 0 }));
      expect(rows).toEqual(expected.sort((x, y) => x.host_name.localeCompare(y.host_name)));
    } finally {
      await conn.close();
    }
    // The agents' heartbeats carry the registration (every 2 s).
    const deadline = Date.now() + 20_000;
    let st = await siteStatus();
    while (!st.nodes.every((n) => n.registered === true) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      st = await siteStatus();
    }
    expect(st.nodes.map((n) => [n.hostname, n.registered])).toEqual(nodes.map((n) => [n.ip, true]));
    const text = await runCli(['site', 'status', '--settings', central().dirs.settingsFile], { netns: central().ns });
    expect(text.stdout).toContain(`${rims()[0]!.ip}  registered`);
  }, 900_000);

  it('the monitoring apps objects have the guide\'s values after the central node\'s install', async () => {
    const conn = await server.connect({ database: 'QSR' });
    try {
      const connections = await conn.query<{ name: string; connectionstring: string }>('SELECT name, connectionstring FROM qrs_data_connections ORDER BY name');
      expect(connections.find((c) => c.name === 'ArchivedLogsFolder')?.connectionstring).toBe(join(share.share, 'ArchivedLogs'));
      for (const name of ['monitor_apps_REST_app', 'monitor_apps_REST_task']) {
        expect(connections.find((c) => c.name === name)?.connectionstring).toContain(`url=https://${central().ip}/qrs/`);
      }
      const rules = await conn.query<{ name: string; type: string; disabled: boolean; resource_filter: string; actions: number; rule: string }>('SELECT name, type, disabled, resource_filter, actions, rule FROM qrs_system_rules ORDER BY name');
      expect(rules).toEqual([
        { name: 'ResourcesOnNonCentralNodes', type: 'Default', disabled: true, resource_filter: 'App_*', actions: 1, rule: '((node.iscentral="false"))' },
        { name: 'Shared persistence: App_* on non-central nodes', type: 'Custom', disabled: false, resource_filter: 'App_*', actions: 1, rule: '((node.isCentral = "false"))' },
      ]);
    } finally {
      await conn.close();
    }
  });

  it('a re-run of a registered rim node changes nothing and keeps its certificates', async () => {
    const rim = rims()[0]!;
    const before = await certificates(rim, 'server.pem');
    const again = await install(rim, settingsFor(rim, 'join', { siteKey: { file: join(central().dirs.stateDir, 'site.key') } }));
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
    const finished = again.stdout.split('\n').filter((l) => /^\[\d+\/\d+\] (changed|unchanged):/.test(l));
    expect(finished.filter((l) => / changed:/.test(l))).toEqual([]);
    expect(finished.filter((l) => l.endsWith(': node-registration'))).toEqual([expect.stringMatching(/unchanged: node-registration$/)]);
    expect(await certificates(rim, 'server.pem')).toBe(before);
  }, 300_000);
});
