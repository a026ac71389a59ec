/**
 * Issue 14: site operations through the node agents and the repository database. A dedicated
 * Debian PostgreSQL 15 server (namespace DB, so pg_dump matches it), a central node A and rim
 * nodes B and C, each in its own namespace with its own runit supervisor and node agent.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
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
import { execBounded } from '../support/netns.js';
import { getManifest } from '../../electron/product/index.js';
import { binDirOf, debianMissing, freePort, startTestServer, type TestServer } from '../support/pg-server.js';

const skip = clusterSkipReason() ?? debianMissing();

interface Node {
  readonly name: string;
  readonly ns: string;
  readonly ip: string;
  readonly dirs: NodeDirs;
}

interface StatusJson {
  nodes: { hostname: string; isCentral: boolean; reachable: boolean; endpoint: string; spsetupVersion: string; services: { name: string; state: string }[] }[];
}
interface Outcome {
  hostname: string;
  state: string;
  message: string;
  details?: { started?: string[]; stopped?: string[] };
}

/** The reference product's services in the manifest's start order. */
const PRODUCT_SERVICES = getManifest('reference').services.map((s) => s.name);

describe.skipIf(skip)(`site operations on a central and two rim nodes${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const subnet = randomSubnet();
  const hub = clusterNetnsName('hub');
  const nsDb = clusterNetnsName('db');
  const ipDb = `${subnet}.1`;
  const user = accountName('site');
  let password = randomPassword();
  let server: TestServer;
  let dbDirs: NodeDirs;
  let share: Awaited<ReturnType<typeof makeShare>>;
  const nodes: Node[] = [];
  const central = () => nodes[0]!;

  const settingsFor = (dirs: NodeDirs, mode: 'create' | 'join', hostname: string, extra: Record<string, unknown> = {}, cluster: Record<string, unknown> = {}) => {
    const doc = nodeSettings({ dirs, mode, dbInstall: 'existing', dbHost: ipDb, dbPort: server.port, password, shareRoot: share.share, hostname, user });
    return { ...doc, cluster: { ...(doc.cluster as Record<string, unknown>), ...cluster }, database: { ...(doc.database as Record<string, unknown>), ...extra } };
  };
  const site = (args: string[], node = central()) => runCli(['site', ...args, '--settings', node.dirs.settingsFile], { netns: node.ns, timeoutMs: 170_000 });
  const sv = (node: Node, action: 'up' | 'down', service: string) => execBounded('sv', ['-w', '30', action, join(node.dirs.runitDir, service)]);
  const repositoryLog = (node: Node) => readFile(join(node.dirs.dataDir, 'log', 'repository.log'), 'utf8').catch(() => '');
  const startedLines = (text: string) => text.split('\n').filter((l) => l.includes('Repository service started')).length;

  async function status(): Promise<StatusJson> {
    const r = await site(['status', '--json']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    return JSON.parse(r.stdout) as StatusJson;
  }

  /** Waits until every node's last heartbeat shows `state` for every product service. */
  async function waitForServices(state: string, hosts = nodes.map((n) => n.ip)): Promise<StatusJson> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const st = await status();
      const ok = hosts.every((h) => st.nodes.find((n) => n.hostname === h)?.services.filter((s) => PRODUCT_SERVICES.includes(s.name)).every((s) => s.state === state));
      if (ok || Date.now() > deadline) return st;
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  beforeAll(async () => {
    share = await makeShare();
    await createHub(hub);
    await attachNode(hub, nsDb, `${ipDb}/24`);
    for (const [i, name] of ['a', 'b', 'c'].entries()) {
      const node = { name, ns: clusterNetnsName(name), ip: `${subnet}.${i + 2}`, dirs: await makeNodeDirs(`site${name}`) };
      await attachNode(hub, node.ns, `${node.ip}/24`);
      nodes.push(node);
    }
    dbDirs = await makeNodeDirs('sitedb');
    server = await startTestServer({ flavor: 'debian15', netns: nsDb, port: await freePort() });
  });

  afterAll(async () => {
    for (const d of [...nodes.map((n) => n.dirs)].reverse()) await cleanupNode(d);
    if (dbDirs) await cleanupNode(dbDirs);
    await server?.stop();
    await deleteClusterNetns();
    await share?.cleanup();
    await removeUser(user);
  });

  it('creates the cluster on A, joins B with the site key in its settings and C from a settings bundle; site status lists all three with every service', async () => {
    const prep = settingsFor(dbDirs, 'create', ipDb, { superuserPassword: server.password, listener: { listenAddresses: ['127.0.0.1', ipDb], ipRanges: [`${subnet}.0/24`], maxConnections: 300 } });
    const p = await runCli(['db', 'prepare', '--settings', await writeSettings(dbDirs.settingsFile, prep)], { netns: nsDb });
    expect(p.code, `${p.stdout}\n${p.stderr}`).toBe(0);
    const a = await runCli(['install', '--settings', await writeSettings(central().dirs.settingsFile, settingsFor(central().dirs, 'create', central().ip)), '--yes'], { netns: central().ns });
    expect(a.code, `${a.stdout}\n${a.stderr}`).toBe(0);
    // B: the central node's site key given in its settings.
    const keyFile = join(central().dirs.stateDir, 'site.key');
    const b = nodes[1]!;
    const rb = await runCli(['install', '--settings', await writeSettings(b.dirs.settingsFile, settingsFor(b.dirs, 'join', b.ip, {}, { siteKey: { file: keyFile } })), '--yes'], { netns: b.ns });
    expect(rb.code, `${rb.stdout}\n${rb.stderr}`).toBe(0);
    // C: a settings bundle exported on A carries the key (encrypted); the silent join stores it for administrators only.
    const c = nodes[2]!;
    const bundle = join(central().dirs.root, 'cluster.spbundle');
    const passFile = join(central().dirs.root, 'passphrase');
    const exported = await runCli(['bundle', 'export', '--settings', central().dirs.settingsFile, '--out', bundle, '--generate-passphrase', passFile], { netns: central().ns });
    expect(exported.code, `${exported.stdout}\n${exported.stderr}`).toBe(0);
    expect(exported.stdout).not.toMatch(/no site key/);
    const key = (await readFile(keyFile, 'utf8')).trim();
    expect((await readFile(bundle)).toString('latin1')).not.toContain(key);
    const set = (k: string, v: string) => ['--set', `${k}=${v}`];
    const rc = await runCli(
      [
        'install', '--bundle', bundle, '--passphrase-file', passFile, '--silent', '--yes',
        ...set('hostname', c.ip), ...set('serviceAccount.user', user), ...set('installDir', c.dirs.installDir), ...set('dataDir', c.dirs.dataDir),
        ...set('stateDir', c.dirs.stateDir), ...set('services.manager', 'runit'), ...set('services.runitDir', c.dirs.runitDir),
      ],
      { netns: c.ns },
    );
    expect(rc.code, `${rc.stdout}\n${rc.stderr}`).toBe(0);
    expect(rc.stdout + rc.stderr).not.toContain(key);
    expect((await readFile(join(c.dirs.stateDir, 'site.key'), 'utf8')).trim()).toBe(key);
    expect((await stat(join(c.dirs.stateDir, 'site.key'))).mode & 0o077).toBe(0);
    for (const file of [join(c.dirs.stateDir, 'journal.jsonl'), join(c.dirs.stateDir, 'plan.json')]) expect(await readFile(file, 'utf8'), file).not.toContain(key);
    await writeSettings(c.dirs.settingsFile, settingsFor(c.dirs, 'join', c.ip));
    const st = await waitForServices('running');
    expect(st.nodes.map((n) => `${n.hostname}${n.isCentral ? ' central' : ''}`)).toEqual([`${central().ip} central`, nodes[1]!.ip, nodes[2]!.ip]);
    for (const n of st.nodes) {
      expect(n.reachable, n.hostname).toBe(true);
      expect(n.endpoint).toBe(`${ipDb}:${server.port}`);
      expect(n.services.map((s) => `${s.name} ${s.state}`)).toEqual([...PRODUCT_SERVICES, 'spsetup-node-agent'].map((s) => `${s} running`));
    }
    const text = await site(['status']);
    expect(text.stdout).toContain(`${central().ip} (central)`);
  }, 400_000);

  it('services stop then start: every node stops in reverse order and starts in the manifest order', async () => {
    const stop = await site(['services', 'stop', '--json']);
    expect(stop.code, `${stop.stdout}\n${stop.stderr}`).toBe(0);
    const stopped = JSON.parse(stop.stdout.slice(stop.stdout.indexOf('['))) as Outcome[];
    expect(stopped.map((o) => `${o.hostname} ${o.state}`)).toEqual(nodes.map((n) => `${n.ip} done`));
    for (const o of stopped) expect(o.details?.stopped).toEqual([...PRODUCT_SERVICES].reverse());
    for (const n of nodes) {
      const r = await execBounded('sv', ['status', join(n.dirs.runitDir, 'reference-repository')]);
      expect(r.stdout, n.ip).toMatch(/^down:/);
    }
    expect((await waitForServices('stopped')).nodes.every((n) => n.services.find((s) => s.name === 'spsetup-node-agent')?.state === 'running')).toBe(true);
    const start = await site(['services', 'start', '--json']);
    expect(start.code, `${start.stdout}\n${start.stderr}`).toBe(0);
    const started = JSON.parse(start.stdout.slice(start.stdout.indexOf('['))) as Outcome[];
    expect(started.map((o) => `${o.hostname} ${o.state}`)).toEqual(nodes.map((n) => `${n.ip} done`));
    for (const o of started) expect(o.details?.started).toEqual(PRODUCT_SERVICES);
    const st = await waitForServices('running');
    for (const n of st.nodes) for (const s of n.services) expect(`${n.hostname} ${s.name} ${s.state}`).toBe(`${n.hostname} ${s.name} running`);
  });

  it('folders set changes the product configuration on all three', async () => {
    const apps = join(share.share, 'Apps2');
    const r = await site(['folders', 'set', '--apps', apps]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    for (const n of nodes) {
      const config = JSON.parse(await readFile(join(n.dirs.dataDir, 'reference.json'), 'utf8')) as { share: { apps: string; root: string } };
      expect(config.share, n.ip).toEqual(expect.objectContaining({ apps, root: share.share }));
    }
    // folders show asks every node's agent: the folders each one now holds.
    const shown = await site(['folders', 'show', '--json']);
    expect(shown.code, `${shown.stdout}\n${shown.stderr}`).toBe(0);
    const report = JSON.parse(shown.stdout) as { nodes: { hostname: string; folders: { apps: string; root: string } }[] };
    expect(report.nodes.map((n) => `${n.hostname} ${n.folders.apps} ${n.folders.root}`)).toEqual(nodes.map((n) => `${n.ip} ${apps} ${share.share}`));
  });

  it('connection set of the password reaches all three, their repository services reconnect, and pg_dump holds no plaintext password', async () => {
    const before = await Promise.all(nodes.map(async (n) => startedLines(await repositoryLog(n))));
    password = randomPassword();
    const file = join(central().dirs.root, 'new-password');
    await writeFile(file, `${password}\n`, { mode: 0o600 });
    const r = await site(['connection', 'set', '--password-file', file]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    for (const [i, n] of nodes.entries()) {
      const text = await readFile(join(n.dirs.dataDir, 'secrets', 'repository.connection'), 'utf8');
      expect(text, n.ip).toContain(`Password='${password}'`);
      // Restarted with the new string, and connected: the old password no longer works.
      expect(startedLines(await repositoryLog(n)), n.ip).toBeGreaterThan(before[i]!);
    }
    // The administrator's settings file follows the new password.
    await writeSettings(central().dirs.settingsFile, settingsFor(central().dirs, 'create', central().ip));
    // connection show: every node's string as its agent reads it, the password only said to be set.
    const shown = await site(['connection', 'show']);
    expect(shown.code, `${shown.stdout}\n${shown.stderr}`).toBe(0);
    expect(shown.stdout).not.toContain(password);
    for (const n of nodes) expect(shown.stdout).toMatch(new RegExp(`${n.ip.replace(/\./g, '\\.')}.* Host=${ipDb.replace(/\./g, '\\.')}; Port=${server.port}; Database=QSR; .*Password=\\*{8}`));
    const st = await waitForServices('running');
    for (const n of st.nodes) expect(n.services.every((s) => s.state === 'running'), n.hostname).toBe(true);
    const dump = await execBounded('runuser', ['-u', 'postgres', '--', join(binDirOf('debian15'), 'pg_dump'), '-h', server.socketDir, '-p', String(server.port), '-d', 'QSR'], { env: { PGPASSWORD: server.password } });
    expect(dump.code, dump.stderr).toBe(0);
    expect(dump.stdout).toContain('spsetup.operations');
    expect(dump.stdout).not.toContain(password);
  });

  it('an operation inserted without the site key is refused by every agent', async () => {
    const id = randomUUID();
    const c = await server.connect({ database: 'QSR' });
    try {
      const payload = JSON.stringify({ id, targets: nodes.map((n) => n.ip), requestedAt: new Date().toISOString(), requestedBy: 'intruder', deadline: new Date(Date.now() + 60_000).toISOString(), body: { kind: 'services', action: 'stop' } });
      await c.query(`INSERT INTO spsetup.operations (id, kind, target_nodes, payload, signature, requested_by, deadline) VALUES ($1, 'services', $2, $3, $4, 'intruder', now() + interval '1 minute')`, [id, nodes.map((n) => n.ip), payload, 'f'.repeat(64)]);
      await c.query(`SELECT pg_notify('spsetup_site', $1)`, [id]);
      const deadline = Date.now() + 20_000;
      let rows: { hostname: string; state: string; message: string }[] = [];
      while (Date.now() < deadline) {
        rows = await c.query(`SELECT hostname, state, message FROM spsetup.results WHERE operation_id = $1 ORDER BY hostname`, [id]);
        if (rows.length === nodes.length) break;
        await new Promise((res) => setTimeout(res, 200));
      }
      expect(rows.map((x) => `${x.hostname} ${x.state} ${x.message}`)).toEqual(nodes.map((n) => `${n.ip} refused not signed with the site key`));
    } finally {
      await c.close();
    }
    const st = await waitForServices('running');
    for (const n of st.nodes) expect(n.services.every((s) => s.state === 'running'), n.hostname).toBe(true);
  });

  it('a rim node whose agent is stopped is reported unreachable within the bound; back again, it reports the stale operation and never runs it', async () => {
    const c = nodes[2]!;
    expect((await sv(c, 'down', 'spsetup-node-agent')).code).toBe(0);
    const logBefore = startedLines(await repositoryLog(c));
    // A bound long enough for a restart on a loaded machine; the stopped node is reported when it passes.
    const r = await site(['services', 'restart', '--timeout', '30', '--json']);
    const ended = Date.now();
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
    const outcomes = JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as Outcome[];
    expect(outcomes.map((o) => `${o.hostname} ${o.state}`)).toEqual([`${nodes[0]!.ip} done`, `${nodes[1]!.ip} done`, `${c.ip} unreachable`]);
    expect((await sv(c, 'up', 'spsetup-node-agent')).code).toBe(0);
    const conn = await server.connect({ database: 'QSR' });
    try {
      // The restart just sent (the newest operation addressed to C), and C's answer to it once its agent is back.
      const op = (await conn.query<{ id: string; requested_ms: string }>(`SELECT id::text AS id, (extract(epoch FROM requested_at) * 1000)::bigint AS requested_ms FROM spsetup.operations WHERE $1 = ANY (target_nodes) AND requested_by <> 'intruder' ORDER BY requested_at DESC LIMIT 1`, [c.ip]))[0]!;
      // C was reported within the operation's 30 s bound (plus the command's own exit), not after some longer wait.
      expect(ended - Number(op.requested_ms)).toBeLessThan(30_000 + 5_000);
      const deadline = Date.now() + 20_000;
      let row: { state: string; message: string } | undefined;
      while (Date.now() < deadline && !row) {
        row = (await conn.query<{ state: string; message: string }>(`SELECT state, message FROM spsetup.results WHERE operation_id = $1 AND hostname = $2 AND state <> 'running'`, [op.id, c.ip]))[0];
        if (!row) await new Promise((res) => setTimeout(res, 200));
      }
      expect(row?.state).toBe('expired');
      expect(row?.message).toMatch(/after its deadline/);
    } finally {
      await conn.close();
    }
    // Restarted once more: still not run (its node journal holds the one `expired` entry).
    expect((await sv(c, 'down', 'spsetup-node-agent')).code).toBe(0);
    expect((await sv(c, 'up', 'spsetup-node-agent')).code).toBe(0);
    await new Promise((res) => setTimeout(res, 3_000));
    expect(startedLines(await repositoryLog(c))).toBe(logBefore);
    const journal = (await readFile(join(c.dirs.stateDir, 'site', 'operations.jsonl'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; state: string });
    const last = journal.at(-1)!;
    expect(last.state).toBe('expired');
    expect(journal.filter((e) => e.id === last.id).map((e) => e.state)).toEqual(['expired']);
  });
});
