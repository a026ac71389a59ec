/**
 * Issue 17: restore onto a NEW site. Site A (a PostgreSQL 15 server, a central and a rim node, each
 * in its own namespace) with content on its share and in its repository is backed up; site B is
 * installed from scratch in fresh namespaces (its own server, share, site key) as the guide says
 * (create, then join), and A's backup is restored onto it: B's nodes start, are registered in the
 * restored repository, and B holds A's rows and A's share files.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
import { getManifest } from '../../electron/product/index.js';

const skip = clusterSkipReason() ?? debianMissing();
const PRODUCT_SERVICES = getManifest('reference').services.map((s) => s.name);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function fileSums(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(join(root, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile()) out[r] = sha256(await readFile(join(root, r)));
    }
  };
  await walk('');
  return out;
}

interface Node {
  readonly ns: string;
  readonly ip: string;
  readonly dirs: NodeDirs;
}

interface Site {
  readonly tag: string;
  readonly subnet: string;
  readonly nsDb: string;
  readonly ipDb: string;
  readonly password: string;
  server: TestServer;
  dbDirs: NodeDirs;
  share: Awaited<ReturnType<typeof makeShare>>;
  readonly nodes: Node[];
}

describe.skipIf(skip)(`site restore onto a new 2-node site${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const user = accountName('rn');
  const sites: Site[] = [];
  let work: string;
  let passFile: string;

  const query = async <T extends Record<string, unknown>>(site: Site, sql: string): Promise<T[]> => {
    const c = await site.server.connect({ database: 'QSR' });
    try {
      return await c.query<T>(sql);
    } finally {
      await c.close();
    }
  };
  const cli = (site: Site, args: string[]) => runCli(['site', ...args, '--settings', site.nodes[0]!.dirs.settingsFile], { netns: site.nodes[0]!.ns, timeoutMs: 300_000 });

  async function makeSite(tag: string): Promise<Site> {
    const subnet = randomSubnet();
    const hub = clusterNetnsName(`${tag}hub`);
    const nsDb = clusterNetnsName(`${tag}db`);
    const ipDb = `${subnet}.1`;
    await createHub(hub);
    await attachNode(hub, nsDb, `${ipDb}/24`);
    const nodes: Node[] = [];
    for (const [i, name] of ['c', 'r'].entries()) {
      const node = { ns: clusterNetnsName(`${tag}${name}`), ip: `${subnet}.${i + 2}`, dirs: await makeNodeDirs(`rn${tag}${name}`) };
      await attachNode(hub, node.ns, `${node.ip}/24`);
      nodes.push(node);
    }
    const server = await startTestServer({ flavor: 'debian15', netns: nsDb, port: await freePort() });
    const site: Site = { tag, subnet, nsDb, ipDb, password: randomPassword(), server, dbDirs: await makeNodeDirs(`rn${tag}db`), share: await makeShare(), nodes };
    sites.push(site);
    return site;
  }

  async function installSite(site: Site): Promise<void> {
    const settingsFor = (dirs: NodeDirs, mode: 'create' | 'join', hostname: string, extra: Record<string, unknown> = {}, cluster: Record<string, unknown> = {}) => {
      const doc = nodeSettings({ dirs, mode, dbInstall: 'existing', dbHost: site.ipDb, dbPort: site.server.port, password: site.password, shareRoot: site.share.share, hostname, user, plannedNodes: 2 });
      return { ...doc, cluster: { ...(doc.cluster as Record<string, unknown>), ...cluster }, database: { ...(doc.database as Record<string, unknown>), ...extra } };
    };
    const prep = settingsFor(site.dbDirs, 'create', site.ipDb, { superuserPassword: site.server.password, listener: { listenAddresses: ['127.0.0.1', site.ipDb], ipRanges: [`${site.subnet}.0/24`], maxConnections: 200 } });
    const p = await runCli(['db', 'prepare', '--settings', await writeSettings(site.dbDirs.settingsFile, prep)], { netns: site.nsDb });
    expect(p.code, `${p.stdout}\n${p.stderr}`).toBe(0);
    const [c, r] = site.nodes as [Node, Node];
    const a = await runCli(['install', '--settings', await writeSettings(c.dirs.settingsFile, settingsFor(c.dirs, 'create', c.ip)), '--yes'], { netns: c.ns });
    expect(a.code, `${a.stdout}\n${a.stderr}`).toBe(0);
    const b = await runCli(['install', '--settings', await writeSettings(r.dirs.settingsFile, settingsFor(r.dirs, 'join', r.ip, {}, { siteKey: { file: join(c.dirs.stateDir, 'site.key') } })), '--yes'], { netns: r.ns });
    expect(b.code, `${b.stdout}\n${b.stderr}`).toBe(0);
  }

  async function servicesRunning(site: Site): Promise<boolean> {
    const r = await cli(site, ['status', '--json']);
    if (r.code !== 0) return false;
    const st = JSON.parse(r.stdout) as { nodes: { hostname: string; services: { name: string; state: string }[] }[] };
    return site.nodes.every((n) => st.nodes.find((x) => x.hostname === n.ip)?.services.filter((s) => PRODUCT_SERVICES.includes(s.name)).every((s) => s.state === 'running'));
  }

  async function waitFor(what: string, ok: () => Promise<boolean>, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await ok())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'spcl-restore-new-'));
    passFile = join(work, 'passphrase');
    await writeFile(passFile, 'Backup-Pass-7fK2q9Lm\n', { mode: 0o600 });
  });

  afterAll(async () => {
    for (const s of sites) {
      for (const n of [...s.nodes].reverse()) await cleanupNode(n.dirs);
      await cleanupNode(s.dbDirs);
      await s.server.stop();
      await s.share.cleanup();
    }
    await deleteClusterNetns();
    if (work) await rm(work, { recursive: true, force: true });
    await removeUser(user);
  });

  it("site A backed up; a new site B installed in fresh namespaces; A's backup restored onto B: B's nodes start, are registered, and serve A's rows and A's share files", async () => {
    const a = await makeSite('a');
    await installSite(a);
    // Content: app rows as the product writes them, files on the share.
    await query(a, "INSERT INTO apps (name, file_name) SELECT md5(g::text), 'app-' || g || '.qvf' FROM generate_series(1, 25) g");
    await mkdir(join(a.share.share, 'StaticContent', 'img'), { recursive: true });
    await writeFile(join(a.share.share, 'StaticContent', 'img', 'logo.png'), Buffer.alloc(200_000, 3));
    await writeFile(join(a.share.share, 'Apps', 'app-1.qvf'), 'site A app\n');
    const out = join(work, 'a-backup');
    const bk = await cli(a, ['backup', '--out', out, '--passphrase-file', passFile]);
    expect(bk.code, `${bk.stdout}\n${bk.stderr}`).toBe(0);
    const aApps = await query<{ r: string }>(a, 'SELECT (x)::text AS r FROM (SELECT id, name, file_name FROM apps) x ORDER BY 1');
    const aFiles = await fileSums(a.share.share);
    expect(aApps.length).toBeGreaterThanOrEqual(25);

    const b = await makeSite('b');
    await installSite(b);
    expect(await query(b, 'SELECT 1 FROM apps')).toEqual([]);
    const plan = await cli(b, ['restore', out, '--passphrase-file', passFile, '--plan']);
    expect(plan.code, `${plan.stdout}\n${plan.stderr}`).toBe(0);
    expect(plan.stdout).toContain(`register this site's nodes ${b.nodes.map((n) => n.ip).join(', ')} in the restored repository (the backup is of ${a.nodes.map((n) => n.ip).join(', ')})`);
    const res = await cli(b, ['restore', out, '--passphrase-file', passFile, '--yes']);
    expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
    expect(res.stdout).toMatch(/Verified: \d+ table\(s\) and \d+ share file\(s\) equal the backup/);
    expect(res.stdout).toContain(`Registered this site's nodes in the restored repository: ${b.nodes[0]!.ip} (central), ${b.nodes[1]!.ip}.`);

    // B's nodes start against the restored repository (the repository service exits when its node is not registered).
    await waitFor("B's services", () => servicesRunning(b));
    const central = await query<{ hostname: string }>(b, 'SELECT hostname FROM nodes WHERE is_central');
    expect(central.map((r) => r.hostname)).toEqual([b.nodes[0]!.ip]);
    const registered = (await query<{ hostname: string }>(b, 'SELECT hostname FROM nodes')).map((r) => r.hostname);
    for (const n of b.nodes) expect(registered).toContain(n.ip);
    // B's heartbeats: both of B's repositories run against the restored data.
    await waitFor("B's heartbeats", async () => (await query<{ n: string }>(b, `SELECT count(*)::text AS n FROM nodes WHERE last_seen > now() - interval '1 minute' AND hostname IN ('${b.nodes[0]!.ip}', '${b.nodes[1]!.ip}')`))[0]!.n === '2');
    expect(await query<{ r: string }>(b, 'SELECT (x)::text AS r FROM (SELECT id, name, file_name FROM apps) x ORDER BY 1')).toEqual(aApps);
    expect(await fileSums(b.share.share)).toEqual(aFiles);
    // Site A is untouched by all of it.
    expect(await servicesRunning(a)).toBe(true);
  }, 900_000);
});
