/**
 * bench/failover: RTO and RPO of losing the primary, against the floor of a bare pg_promote() on
 * the same kind of pair, measured in this run. For each mode (asynchronous, synchronous) a fresh
 * primary and standby (db standby add) in network namespaces and a writer in a node's namespace
 * committing numbered rows (it follows the server not in recovery, as the node agents do). The
 * primary's link is cut and its server SIGKILLed; then either `psql -c 'SELECT pg_promote()'` on
 * the standby (floor) or `spsetup db failover --yes` (manual). RTO: loss -> the writer's first
 * commit on the new primary. RPO: acknowledged rows missing on the new primary.
 * Automatic: `spsetup db auto-failover` sets up a monitor and two keepers (the monitor's failure
 * detection tuned to ~2 s as in tests/integration/auto-failover.test.ts); the primary's link is cut
 * and its pg_autoctl and server SIGKILLed; nobody runs anything. pg_auto_failover replicates
 * synchronously (its default with one standby), so its ratio is against the synchronous floor.
 * Run as root: `npx tsx bench/failover/index.ts [--automatic-only]`. Last line: JSON.
 */
import { chown, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { attachNode, clusterNetnsName, clusterSkipReason, deleteClusterNetns, randomSubnet, runCli, writeSettings } from '../../tests/support/cluster.js';
import { createAutoFailoverSite } from '../../tests/support/auto-failover-site.js';
import { createDbPair } from '../../tests/support/db-pair.js';
import { runInNetns } from '../../tests/support/netns.js';
import { binDirOf, debianMissing, ensureOsUser } from '../../tests/support/pg-tools.js';
import { startWriter } from '../../tests/support/writer-process.js';
import { printResult, round } from '../lib/index.js';

interface Outcome {
  readonly rtoMs: number;
  readonly rpoRows: number;
  readonly acked: number;
}

const skip = clusterSkipReason() ?? debianMissing();
if (skip) throw new Error(`bench/failover cannot run here: ${skip}`);
const psql = join(binDirOf('debian15'), 'psql');

async function lose(how: 'floor' | 'manual', synchronous: boolean): Promise<Outcome> {
  const subnet = randomSubnet();
  const pair = await createDbPair(subnet, clusterNetnsName('hub'));
  const writerNs = clusterNetnsName('w');
  const writer: { stop(): Promise<void> }[] = [];
  try {
    await attachNode(pair.hub, writerNs, `${subnet}.3/24`);
    const ids = await ensureOsUser();
    const socketDir = join(pair.standby.dirs.root, 'sock');
    await mkdir(socketDir, { mode: 0o755 });
    await chown(socketDir, ids.uid, ids.gid);
    const doc = pair.settings({ synchronous }) as { standby: Record<string, unknown> };
    await writeSettings(pair.standby.settingsFile, { ...doc, standby: { ...doc.standby, socketDir } });
    const db = (args: string[]) => runCli(['db', ...args, '--settings', pair.standby.settingsFile], { netns: pair.standby.ns, timeoutMs: 240_000 });
    await db(['standby', 'add', '--yes']); // stops at wal_log_hints: a restart of the primary
    await pair.restartPrimary();
    const added = await db(['standby', 'add', '--yes']);
    if (added.code !== 0) throw new Error(`standby add failed: ${added.stdout}\n${added.stderr}`);
    const port = pair.primary.server.port;
    const w = startWriter(writerNs, { hosts: [pair.primary.ip, pair.standby.ip], port, password: pair.primary.server.password });
    writer.push(w);
    await w.ackAfter(0, pair.primary.ip, 30_000);
    await new Promise((r) => setTimeout(r, 3_000));
    await pair.cutPrimary(true);
    process.kill(Number((await readFile(join(pair.primary.server.dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]), 'SIGKILL');
    const lostAt = Date.now();
    const resumed = w.ackAfter(lostAt, pair.standby.ip, 240_000);
    const r =
      how === 'floor'
        ? await runInNetns(pair.standby.ns, psql, ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-Atc', 'SELECT pg_promote()'], { env: { PGPASSWORD: pair.primary.server.password }, timeoutMs: 120_000 })
        : await db(['failover', '--yes']);
    if (r.code !== 0) throw new Error(`${how} failed: ${r.stdout}\n${r.stderr}`);
    const rtoMs = (await resumed) - lostAt;
    await w.stop();
    const rows = await runInNetns(pair.standby.ns, psql, ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-Atc', 'SELECT id FROM writer_rows'], { env: { PGPASSWORD: pair.primary.server.password } });
    const present = new Set(rows.stdout.trim().split('\n').map(Number));
    return { rtoMs, rpoRows: w.acked.filter((id) => !present.has(id)).length, acked: w.acked.length };
  } finally {
    for (const w of writer) await w.stop();
    await pair.cleanup();
    await deleteClusterNetns();
  }
}

const AUTO_TIMINGS = { healthCheckPeriodMs: 1000, healthCheckTimeoutMs: 1000, healthCheckRetries: 1, healthCheckRetryDelayMs: 500, unhealthyTimeoutMs: 2000, demoteTimeoutMs: 2000 };

/** pg_auto_failover: the primary machine lost, nobody acting; RTO until the writer commits on the promoted standby. */
async function loseAutomatic(): Promise<Outcome & { readonly syncNames: string }> {
  const site = await createAutoFailoverSite(randomSubnet(), AUTO_TIMINGS);
  const writer: { stop(): Promise<void> }[] = [];
  try {
    for (const [m, word] of [[site.monitor, 'monitor'], [site.a, 'keeper'], [site.b, 'keeper']] as const) {
      const r = await site.setup(m, word);
      if (r.code !== 0) throw new Error(`db auto-failover ${word} failed: ${r.stdout}\n${r.stderr}`);
    }
    for (const deadline = Date.now() + 180_000; ; ) {
      const s = await site.monitorStates();
      if (s.get(`${site.a.ip}:${site.a.port}`) === 'primary' && s.get(`${site.b.ip}:${site.b.port}`) === 'secondary') break;
      if (Date.now() > deadline) throw new Error('the monitor never saw a primary and a secondary');
      await new Promise((r) => setTimeout(r, 200));
    }
    const syncNames = await site.sql(site.a, 'SHOW synchronous_standby_names');
    const [a, b] = [`${site.a.ip}:${site.a.port}`, `${site.b.ip}:${site.b.port}`];
    const w = startWriter(site.client.ns, { hosts: [a, b], port: site.a.port, password: site.superuserPassword });
    writer.push(w);
    await w.ackAfter(0, a, 30_000);
    await new Promise((r) => setTimeout(r, 3_000));
    await site.cut(site.a, true);
    await site.crash(site.a);
    const lostAt = Date.now();
    const rtoMs = (await w.ackAfter(lostAt, b, 240_000)) - lostAt;
    await w.stop();
    const present = new Set((await site.sql(site.b, 'SELECT id FROM writer_rows')).split('\n').map(Number));
    return { rtoMs, rpoRows: w.acked.filter((id) => !present.has(id)).length, acked: w.acked.length, syncNames };
  } finally {
    for (const w of writer) await w.stop();
    await site.cleanup();
    await deleteClusterNetns();
  }
}

const result: Record<string, unknown> = { bench: 'failover' };
const floors: Record<string, number> = {};
// --automatic-only: the synchronous floor and the automatic mode (the manual runs skipped).
const automaticOnly = process.argv.includes('--automatic-only');
for (const synchronous of automaticOnly ? [true] : [false, true]) {
  const mode = synchronous ? 'sync' : 'async';
  const floor = await lose('floor', synchronous);
  floors[mode] = floor.rtoMs;
  if (automaticOnly) {
    result[mode] = { floorRtoMs: floor.rtoMs, floorRpoRows: floor.rpoRows };
    continue;
  }
  const manual = await lose('manual', synchronous);
  process.stdout.write(`${mode}: pg_promote floor RTO ${floor.rtoMs} ms (RPO ${floor.rpoRows} of ${floor.acked}); db failover RTO ${manual.rtoMs} ms (RPO ${manual.rpoRows} of ${manual.acked})\n`);
  result[mode] = { floorRtoMs: floor.rtoMs, floorRpoRows: floor.rpoRows, manualRtoMs: manual.rtoMs, manualRpoRows: manual.rpoRows, manualRatio: round(manual.rtoMs / floor.rtoMs) };
}
const auto = await loseAutomatic();
process.stdout.write(`automatic (pg_auto_failover, synchronous_standby_names '${auto.syncNames}'): RTO ${auto.rtoMs} ms (RPO ${auto.rpoRows} of ${auto.acked}); against the sync floor ${floors['sync']} ms\n`);
result['automatic'] = { rtoMs: auto.rtoMs, rpoRows: auto.rpoRows, acked: auto.acked, synchronousStandbyNames: auto.syncNames, floorRtoMs: floors['sync'], ratio: round(auto.rtoMs / floors['sync']!), timings: AUTO_TIMINGS };
printResult(result);
