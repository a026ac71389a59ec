/**
 * Issue 3, must-show 2: a dedicated Debian PostgreSQL 15 server prepared with `spsetup db prepare`
 * (run on the database machine: namespace DB), then Create cluster against it from A and a join from B.
 */
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

describe.skipIf(skip)(`dedicated database server${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const subnet = randomSubnet();
  const hub = clusterNetnsName('hub');
  const nsDb = clusterNetnsName('db');
  const nsA = clusterNetnsName('a');
  const nsB = clusterNetnsName('b');
  const ipDb = `${subnet}.1`;
  const ipA = `${subnet}.2`;
  const ipB = `${subnet}.3`;
  const user = accountName('ded');
  const password = randomPassword();
  let server: TestServer;
  let dbDirs: NodeDirs;
  let a: NodeDirs;
  let b: NodeDirs;
  let share: Awaited<ReturnType<typeof makeShare>>;

  const settingsFor = (dirs: NodeDirs, mode: 'create' | 'join', hostname: string, extra: Record<string, unknown> = {}) => {
    const doc = nodeSettings({ dirs, mode, dbInstall: 'existing', dbHost: ipDb, dbPort: server.port, password, shareRoot: share.share, hostname, user });
    return { ...doc, database: { ...(doc.database as Record<string, unknown>), ...extra } };
  };
  const prepareSettings = () =>
    settingsFor(dbDirs, 'create', ipDb, {
      superuserPassword: server.password,
      listener: { listenAddresses: ['127.0.0.1', ipDb], ipRanges: [`${subnet}.0/24`], maxConnections: 300 },
    });

  async function show(name: string): Promise<string> {
    const c = await server.connect();
    try {
      return (await c.query<{ v: string }>(`SELECT current_setting('${name}') AS v`))[0]!.v;
    } finally {
      await c.close();
    }
  }

  beforeAll(async () => {
    share = await makeShare();
    await createHub(hub);
    await attachNode(hub, nsDb, `${ipDb}/24`);
    await attachNode(hub, nsA, `${ipA}/24`);
    await attachNode(hub, nsB, `${ipB}/24`);
    dbDirs = await makeNodeDirs('dedb');
    a = await makeNodeDirs('deda');
    b = await makeNodeDirs('dedb');
    server = await startTestServer({ flavor: 'debian15', netns: nsDb, port: await freePort() });
  });

  afterAll(async () => {
    for (const d of [b, a, dbDirs]) if (d) await cleanupNode(d);
    await server?.stop();
    await deleteClusterNetns();
    await share?.cleanup();
    await removeUser(user);
  });

  it('db prepare sets the listener, max_connections and pg_hba, and a second run changes nothing', async () => {
    const file = await writeSettings(dbDirs.settingsFile, prepareSettings());
    const r = await runCli(['db', 'prepare', '--settings', file], { netns: nsDb, timeoutMs: 120_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(await show('listen_addresses')).toBe(`127.0.0.1,${ipDb}`);
    expect(await show('max_connections')).toBe('300');
    const c = await server.connect();
    let started: string;
    try {
      const rules = await c.query<{ type: string; database: string[]; user_name: string[]; address: string; netmask: string }>(
        `SELECT type, database, user_name, address, netmask FROM pg_hba_file_rules WHERE error IS NULL AND 'qliksenserepository' = ANY(user_name)`,
      );
      expect(rules.map((x) => `${x.type} ${x.database.join(',')} ${x.address}/${x.netmask}`)).toEqual([`host QSR ${subnet}.0/255.255.255.0`]);
      const owner = await c.query<{ owner: string }>(`SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = 'QSR'`);
      expect(owner[0]?.owner).toBe('qliksenserepository');
      started = String((await c.query<{ t: string }>('SELECT pg_postmaster_start_time()::text AS t'))[0]!.t);
    } finally {
      await c.close();
    }
    const again = await runCli(['db', 'prepare', '--settings', file], { netns: nsDb, timeoutMs: 120_000 });
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
    const finished = again.stdout.split('\n').filter((l) => /^\[\d+\/\d+\] (changed|unchanged):/.test(l));
    expect(finished.length).toBe(3);
    expect(finished.filter((l) => / changed:/.test(l))).toEqual([]);
    const c2 = await server.connect();
    try {
      expect(String((await c2.query<{ t: string }>('SELECT pg_postmaster_start_time()::text AS t'))[0]!.t), 'no restart when nothing changed').toBe(started);
    } finally {
      await c2.close();
    }
  });

  it('creates the cluster from A against it and joins B', async () => {
    const ra = await runCli(['install', '--settings', await writeSettings(a.settingsFile, settingsFor(a, 'create', ipA)), '--yes'], { netns: nsA });
    expect(ra.code, `${ra.stdout}\n${ra.stderr}`).toBe(0);
    const rb = await runCli(['install', '--settings', await writeSettings(b.settingsFile, settingsFor(b, 'join', ipB)), '--yes'], { netns: nsB });
    expect(rb.code, `${rb.stdout}\n${rb.stderr}`).toBe(0);
    const st = await runCli(['status', '--settings', b.settingsFile, '--json'], { netns: nsB });
    expect(st.code, st.stderr).toBe(0);
    const nodes = (JSON.parse(st.stdout) as { nodes: { hostname: string; isCentral: boolean }[] }).nodes;
    expect(nodes.map((n) => `${n.hostname}${n.isCentral ? ' central' : ''}`).sort()).toEqual([`${ipA} central`, ipB].sort());
  });
});
