/**
 * bench/cluster: `spsetup install` creating a cluster with a local database (namespace A) and two
 * rim nodes joining it (B, C), reference product, timing each phase (each step, from the CLI's
 * own progress lines), against the floor measured in the same run: initdb, server start, the
 * role and database DDL, and starting the same service programs directly with node.
 * Run as root: `npx tsx bench/cluster/index.ts`. The last line printed is the JSON result.
 */
import { randomBytes } from 'node:crypto';
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
  writeSettings,
  type NodeDirs,
} from '../../tests/support/cluster.js';
import { printResult, round } from '../lib/index.js';
import { databaseFloor, startProgramsDirectly, stopProductServices, timedInstall, type TimedRun } from '../lib/install-timing.js';

async function main(): Promise<void> {
  const skip = clusterSkipReason();
  if (skip) throw new Error(`bench/cluster cannot run: ${skip}`);
  const subnet = randomSubnet();
  const hub = clusterNetnsName('hub');
  const user = accountName('bench');
  const password = randomPassword();
  const superuserPassword = randomPassword();
  const share = await makeShare();
  const nodes: { ns: string; ip: string; dirs: NodeDirs }[] = [];
  const port = 4432 + (randomBytes(1)[0]! % 100);
  try {
    await createHub(hub);
    for (const [i, tag] of ['a', 'b', 'c'].entries()) {
      const node = { ns: clusterNetnsName(tag), ip: `${subnet}.${i + 1}`, dirs: await makeNodeDirs(`bench${tag}`) };
      await attachNode(hub, node.ns, `${node.ip}/24`);
      nodes.push(node);
    }
    const [a, b, c] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]];
    const settings = (n: typeof a, mode: 'create' | 'join') =>
      nodeSettings({
        dirs: n.dirs,
        mode,
        dbInstall: mode === 'create' ? 'local' : 'existing',
        dbHost: a.ip,
        dbPort: port,
        password,
        ...(mode === 'create' ? { superuserPassword, listener: { listenAddresses: ['*'], ipRanges: [`${subnet}.0/24`], maxConnections: 300 } } : {}),
        shareRoot: share.share,
        hostname: n.ip,
        user,
      });

    const floor = await databaseFloor();
    process.stdout.write(`floor: initdb ${floor.initdbMs} ms, server start ${floor.startMs} ms, role + database DDL ${floor.ddlMs} ms\n`);

    const phases: Record<string, TimedRun> = {};
    for (const [name, node, mode] of [['create', a, 'create'], ['join-b', b, 'join'], ['join-c', c, 'join']] as const) {
      const r = await timedInstall(node.ns, await writeSettings(node.dirs.settingsFile, settings(node, mode)));
      if (r.code !== 0) throw new Error(`${name} failed (exit ${r.code}):\n${r.output}`);
      phases[name] = r;
      process.stdout.write(`${name}: ${r.totalMs} ms (${Object.entries(r.steps).map(([k, v]) => `${k} ${v}`).join(', ')})\n`);
    }
    await stopProductServices(c.dirs);
    const servicesMs = await startProgramsDirectly(c.ns, c.dirs);
    process.stdout.write(`floor: the six programs started directly, in order, each ready before the next: ${servicesMs} ms\n`);

    const create = phases['create']!;
    const floorCreate = floor.initdbMs + floor.startMs + floor.ddlMs + servicesMs;
    const ratio = (x: number | undefined, y: number) => (x === undefined ? null : round(x / y, 2));
    printResult({
      bench: 'cluster',
      nodes: 3,
      create: { totalMs: create.totalMs, steps: create.steps },
      joins: { b: { totalMs: phases['join-b']!.totalMs, steps: phases['join-b']!.steps }, c: { totalMs: phases['join-c']!.totalMs, steps: phases['join-c']!.steps } },
      floor: { ...floor, servicesMs, createMs: round(floorCreate, 1), joinMs: servicesMs },
      ratio: {
        create: ratio(create.totalMs, floorCreate),
        joinB: ratio(phases['join-b']!.totalMs, servicesMs),
        joinC: ratio(phases['join-c']!.totalMs, servicesMs),
        initdb: ratio(create.steps['database-cluster'], floor.initdbMs),
        serverStart: ratio(create.steps['database-start'], floor.startMs),
        ddl: ratio(create.steps['database-owner'], floor.ddlMs),
        startServices: ratio(create.steps['start-services'], servicesMs),
      },
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
