/**
 * bench/site8: an 8-node site deployed for real: the central node creates the cluster with a local
 * database (namespace 1), exports a settings bundle, and 7 rim nodes join from that one bundle in
 * parallel (namespaces 2..8, `install --bundle --silent`), reference product on runit. Timed until
 * `site status` shows every node registered and every service running. The floor, measured in the
 * same run: the database made directly (initdb, start, role and database DDL) plus the product's six
 * programs started directly on all 8 nodes at once (each node in order, each ready before the next).
 * Run as root: `npx tsx bench/site8/index.ts`. The last line printed is the JSON result.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
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
} from '../../tests/support/cluster.js';
import { printResult, round } from '../lib/index.js';
import { databaseFloor, startProgramsDirectly, stopProductServices, timedCli, timedInstall, type TimedRun } from '../lib/install-timing.js';

const NODES = 8;

interface Node {
  readonly ns: string;
  readonly ip: string;
  readonly dirs: NodeDirs;
}

interface Status {
  nodes: { hostname: string; registered: boolean | null; services: { name: string; state: string }[] }[];
}

/** Polls `site status --json` on the central node until all `hosts` are registered with every service running. */
async function waitForSite(central: Node, hosts: readonly string[], timeoutMs: number): Promise<{ ms: number; polls: number }> {
  const t0 = performance.now();
  let polls = 0;
  let last = '';
  while (performance.now() - t0 < timeoutMs) {
    polls++;
    const r = await runCli(['site', 'status', '--json', '--settings', central.dirs.settingsFile], { netns: central.ns, timeoutMs: 30_000 });
    if (r.code === 0) {
      const st = JSON.parse(r.stdout) as Status;
      const up = (h: string) => {
        const n = st.nodes.find((x) => x.hostname === h);
        return n !== undefined && n.registered === true && n.services.length > 0 && n.services.every((s) => s.state === 'running');
      };
      if (hosts.every(up)) return { ms: round(performance.now() - t0, 1), polls };
      last = st.nodes.map((n) => `${n.hostname} registered=${n.registered} ${n.services.filter((s) => s.state !== 'running').map((s) => `${s.name}:${s.state}`).join(',')}`).join('; ');
    } else last = r.stderr;
  }
  throw new Error(`the site was not up within ${timeoutMs} ms: ${last}`);
}

async function main(): Promise<void> {
  const skip = clusterSkipReason();
  if (skip) throw new Error(`bench/site8 cannot run: ${skip}`);
  const subnet = randomSubnet();
  const hub = clusterNetnsName('hub');
  const user = accountName('s8');
  const share = await makeShare();
  const nodes: Node[] = [];
  const port = 4432 + (randomBytes(1)[0]! % 100);
  try {
    await createHub(hub);
    for (let i = 1; i <= NODES; i++) {
      const node = { ns: clusterNetnsName(`n${i}`), ip: `${subnet}.${i}`, dirs: await makeNodeDirs(`s8n${i}`) };
      await attachNode(hub, node.ns, `${node.ip}/24`);
      nodes.push(node);
    }
    const [central, ...rims] = nodes as [Node, ...Node[]];
    const doc = nodeSettings({
      dirs: central.dirs,
      mode: 'create',
      dbInstall: 'local',
      dbHost: central.ip,
      dbPort: port,
      password: randomPassword(),
      superuserPassword: randomPassword(),
      listener: { listenAddresses: ['*'], ipRanges: [`${subnet}.0/24`], maxConnections: 100 * NODES },
      shareRoot: share.share,
      hostname: central.ip,
      user,
      plannedNodes: NODES,
    });

    const floor = await databaseFloor();
    process.stdout.write(`floor: initdb ${floor.initdbMs} ms, server start ${floor.startMs} ms, role + database DDL ${floor.ddlMs} ms\n`);

    const t0 = performance.now();
    const create = await timedInstall(central.ns, await writeSettings(central.dirs.settingsFile, doc));
    if (create.code !== 0) throw new Error(`create failed (exit ${create.code}):\n${create.output}`);
    process.stdout.write(`create: ${create.totalMs} ms\n`);
    const bundle = join(central.dirs.root, 'site.spbundle');
    const passFile = join(central.dirs.root, 'passphrase');
    const exported = await timedCli(central.ns, ['bundle', 'export', '--settings', central.dirs.settingsFile, '--out', bundle, '--generate-passphrase', passFile]);
    if (exported.code !== 0) throw new Error(`bundle export failed:\n${exported.output}`);
    const set = (k: string, v: string) => ['--set', `${k}=${v}`];
    const joinsStarted = performance.now();
    const joins: TimedRun[] = await Promise.all(
      rims.map((n) =>
        timedCli(n.ns, [
          'install', '--bundle', bundle, '--passphrase-file', passFile, '--silent', '--yes',
          ...set('hostname', n.ip), ...set('serviceAccount.user', user), ...set('installDir', n.dirs.installDir), ...set('dataDir', n.dirs.dataDir),
          ...set('stateDir', n.dirs.stateDir), ...set('services.manager', 'runit'), ...set('services.runitDir', n.dirs.runitDir),
        ]),
      ),
    );
    const joinsMs = round(performance.now() - joinsStarted, 1);
    for (const [i, r] of joins.entries()) if (r.code !== 0) throw new Error(`join of ${rims[i]!.ip} failed (exit ${r.code}):\n${r.output}`);
    process.stdout.write(`7 joins in parallel: ${joinsMs} ms (each ${joins.map((j) => j.totalMs).join(', ')})\n`);
    const up = await waitForSite(central, nodes.map((n) => n.ip), 120_000);
    const totalMs = round(performance.now() - t0, 1);
    process.stdout.write(`site up (all registered, all services running): ${totalMs} ms; ${up.ms} ms after the joins ended\n`);

    for (const n of nodes) await stopProductServices(n.dirs);
    const s0 = performance.now();
    const perNode = await Promise.all(nodes.map((n) => startProgramsDirectly(n.ns, n.dirs)));
    const servicesMs = round(performance.now() - s0, 1);
    process.stdout.write(`floor: the six programs started directly on all ${NODES} nodes at once: ${servicesMs} ms (each ${perNode.join(', ')})\n`);
    const floorMs = round(floor.initdbMs + floor.startMs + floor.ddlMs + servicesMs, 1);
    const slowest = joins.reduce((a, b) => (b.totalMs > a.totalMs ? b : a));
    printResult({
      bench: 'site8',
      nodes: NODES,
      cores: availableParallelism(),
      totalMs,
      underSixtySeconds: totalMs < 60_000,
      create: { totalMs: create.totalMs, steps: create.steps },
      bundleExportMs: exported.totalMs,
      joins: { wallMs: joinsMs, eachMs: joins.map((j) => j.totalMs), slowestSteps: slowest.steps },
      upAfterJoinsMs: up.ms,
      floor: { ...floor, servicesAllNodesMs: servicesMs, totalMs: floorMs },
      ratio: round(totalMs / floorMs, 2),
      note:
        'total: from the central install starting to site status showing all 8 nodes registered with every service running (polled; heartbeats every 2 s). ' +
        'floor: initdb + server start + role/database DDL done directly, plus the six programs started directly (each ready before the next) on all 8 nodes at once; ' +
        'it has no product files to copy, no certificates, no registration and no supervisor.',
    });
  } finally {
    for (const n of [...nodes].reverse()) await cleanupNode(n.dirs);
    await deleteClusterNetns();
    await share.cleanup();
    await removeUser(user);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
