/**
 * Issue 3, must-show 1: Create cluster with a local database in namespace A, two rim nodes join
 * from B and C; pg_hba allows exactly the nodes; `spsetup status` on every node lists all three
 * with the central one marked; a fourth node outside the allowed range is stopped by preflight.
 */
import { readdir, readFile } from 'node:fs/promises';
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
import { diffSnapshots, takeSnapshot } from '../support/snapshot.js';

const skip = clusterSkipReason();
const PG_PORT = 25432;

interface Node {
  readonly ns: string;
  readonly ip: string;
  readonly dirs: NodeDirs;
}

describe.skipIf(skip)(`cluster create and join in namespaces${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const subnet = randomSubnet();
  const hub = clusterNetnsName('hub');
  const user = accountName('cj');
  const password = randomPassword();
  const superuserPassword = randomPassword();
  const nodes: Node[] = [];
  let share: Awaited<ReturnType<typeof makeShare>>;
  let central: Node;
  const allowed = () => nodes.slice(0, 3).map((n) => `${n.ip}/32`);

  async function addNode(tag: string, host: number): Promise<Node> {
    const node = { ns: clusterNetnsName(tag), ip: `${subnet}.${host}`, dirs: await makeNodeDirs(tag) };
    nodes.push(node);
    await attachNode(hub, node.ns, `${node.ip}/24`);
    return node;
  }

  function settingsFor(node: Node, mode: 'create' | 'join') {
    return nodeSettings({
      dirs: node.dirs,
      mode,
      dbInstall: mode === 'create' ? 'local' : 'existing',
      dbHost: central.ip,
      dbPort: PG_PORT,
      password,
      ...(mode === 'create' ? { superuserPassword, listener: { listenAddresses: ['*'], ipRanges: allowed(), maxConnections: 300 } } : {}),
      shareRoot: share.share,
      hostname: node.ip,
      user,
    });
  }

  beforeAll(async () => {
    share = await makeShare();
    await createHub(hub);
    central = await addNode('a', 1);
    await addNode('b', 2);
    await addNode('c', 3);
    await addNode('d', 4);
  });

  afterAll(async () => {
    for (const n of [...nodes].reverse()) await cleanupNode(n.dirs);
    await deleteClusterNetns();
    await share?.cleanup();
    await removeUser(user);
  });

  it('creates the cluster on A and joins B and C', async () => {
    const a = await runCli(['install', '--settings', await writeSettings(central.dirs.settingsFile, settingsFor(central, 'create')), '--yes'], { netns: central.ns });
    expect(a.code, `${a.stdout}\n${a.stderr}`).toBe(0);
    for (const rim of nodes.slice(1, 3)) {
      const r = await runCli(['install', '--settings', await writeSettings(rim.dirs.settingsFile, settingsFor(rim, 'join')), '--yes'], { netns: rim.ns });
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    }
  });

  it('pg_hba on A allows exactly the three nodes for the repository role', async () => {
    const dataDir = join(central.dirs.dataDir, 'Repository', 'PostgreSQL', 'data');
    const hba = await readFile(join(dataDir, 'pg_hba.conf'), 'utf8');
    const repoLines = hba
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[0]?.startsWith('host') && f[2] === 'qliksenserepository');
    expect(repoLines.map((f) => f[3]).sort()).toEqual(allowed().sort());
    // The server's own view of the file (what it actually enforces after the reload).
    const rules = await queryInNetns(central.ns, '127.0.0.1', superuserPassword, "SELECT address, netmask FROM pg_hba_file_rules WHERE 'qliksenserepository' = ANY(user_name) AND error IS NULL");
    expect(rules.map((r) => `${r.address}/${r.netmask === '255.255.255.255' ? 32 : r.netmask}`).sort()).toEqual(allowed().sort());
  });

  it('status on every node lists all three with the central one marked', async () => {
    for (const n of nodes.slice(0, 3)) {
      const r = await runCli(['status', '--settings', n.dirs.settingsFile, '--json'], { netns: n.ns });
      expect(r.code, r.stderr).toBe(0);
      const status = JSON.parse(r.stdout) as { nodes: { hostname: string; isCentral: boolean }[]; services: { name: string; state: string }[] };
      expect(status.nodes.map((x) => `${x.hostname}${x.isCentral ? ' central' : ''}`).sort()).toEqual([`${central.ip} central`, nodes[1]!.ip, nodes[2]!.ip].sort());
      expect(status.services.length).toBeGreaterThan(0);
      for (const s of status.services) expect(s.state, `${n.ip} ${s.name}`).toBe('running');
    }
  });

  it('a fourth node outside the allowed range is stopped by preflight, naming the rule to add, and nothing changed', async () => {
    const d = nodes[3]!;
    await writeSettings(d.dirs.settingsFile, settingsFor(d, 'join'));
    const opts = { roots: [d.dirs.root, share.root], serviceDirs: [d.dirs.runitDir], ignore: [new RegExp(`^${d.dirs.stateDir}$`)] };
    const before = await takeSnapshot(opts);
    const r = await runCli(['install', '--settings', d.dirs.settingsFile, '--yes'], { netns: d.ns });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(3);
    expect(r.stdout + r.stderr).toMatch(new RegExp(`host\\s+QSR\\s+qliksenserepository\\s+${d.ip.replace(/\./g, '\\.')}/32\\s+scram-sha-256`));
    expect(diffSnapshots(before, await takeSnapshot(opts))).toEqual([]);
    // The only thing written is the run's log, which the message points to.
    expect(await readdir(d.dirs.stateDir)).toEqual(['logs']);
  });
});

/** Runs a query as the superuser from inside a namespace (the server listens only there). */
async function queryInNetns(ns: string, host: string, password: string, sql: string): Promise<Record<string, string>[]> {
  const { execFile } = await import('node:child_process');
  const script = `import pg from 'pg'; const c = new pg.Client({ host: process.env.H, port: ${PG_PORT}, user: 'postgres', password: process.env.PW, database: 'postgres' });
await c.connect(); const r = await c.query(process.env.Q); console.log(JSON.stringify(r.rows)); await c.end();`;
  return new Promise((resolve, reject) => {
    execFile('ip', ['netns', 'exec', ns, process.execPath, '--input-type=module', '-e', script], { cwd: process.cwd(), timeout: 20_000, env: { ...process.env, H: host, PW: password, Q: sql } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(String(stdout)) as Record<string, string>[]);
    });
  });
}
