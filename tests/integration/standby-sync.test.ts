/**
 * Issue 16, synchronous mode: with `replication.synchronous` the primary's commits wait for the
 * standby (synchronous_standby_names). A writer in a node's namespace commits numbered rows; the
 * primary's machine is lost mid-stream (link cut, server killed with SIGKILL); after db failover
 * on the standby every row whose commit the writer saw return is on the new primary, and the
 * writer goes on there by itself (it follows the server that is not in recovery).
 */
import { chown, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachNode, clusterNetnsName, clusterSkipReason, deleteClusterNetns, randomSubnet, runCli, writeSettings } from '../support/cluster.js';
import { createDbPair, type DbPair } from '../support/db-pair.js';
import { runInNetns } from '../support/netns.js';
import { binDirOf, debianMissing } from '../support/pg-server.js';
import { startWriter, type WriterProcess } from '../support/writer-process.js';
import { ensureOsUser } from '../support/pg-tools.js';
const skip = clusterSkipReason() ?? debianMissing();

describe.skipIf(skip)(`synchronous standby: a lost primary loses no committed row${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let pair: DbPair;
  let writer: WriterProcess | undefined;
  const nodeNs = clusterNetnsName('w');
  const onStandby = (args: string[]) => runCli(['db', ...args, '--settings', pair.standby.settingsFile], { netns: pair.standby.ns, timeoutMs: 240_000 });
  const onStandbySql = (sql: string) =>
    runInNetns(pair.standby.ns, join(binDirOf('debian15'), 'psql'), ['-h', '127.0.0.1', '-p', String(pair.primary.server.port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-Atc', sql], { env: { PGPASSWORD: pair.primary.server.password } });

  beforeAll(async () => {
    const subnet = randomSubnet();
    pair = await createDbPair(subnet, clusterNetnsName('hub'));
    await attachNode(pair.hub, nodeNs, `${subnet}.3/24`);
    // Its own socket folder: both servers run on this host with the same port.
    const ids = await ensureOsUser();
    const socketDir = join(pair.standby.dirs.root, 'sock');
    await mkdir(socketDir, { mode: 0o755 });
    await chown(socketDir, ids.uid, ids.gid);
    const doc = pair.settings({ synchronous: true }) as { standby: Record<string, unknown> };
    await writeSettings(pair.standby.settingsFile, { ...doc, standby: { ...doc.standby, socketDir } });
    const first = await onStandby(['standby', 'add', '--yes']);
    expect(first.stdout).toMatch(/take effect only after a restart/);
    await pair.restartPrimary();
    const added = await onStandby(['standby', 'add', '--yes']);
    expect(added.code, `${added.stdout}\n${added.stderr}`).toBe(0);
  }, 600_000);

  afterAll(async () => {
    await writer?.stop();
    await pair?.cleanup();
    await deleteClusterNetns();
  });

  it('db status shows the standby as synchronous', async () => {
    const r = await onStandby(['status', '--json']);
    const [p] = JSON.parse(r.stdout) as { replicas?: { syncState: string; state: string }[] }[];
    expect(p!.replicas).toEqual([expect.objectContaining({ state: 'streaming', syncState: 'sync' })]);
  });

  it('the primary lost while a writer commits: after db failover every acknowledged row is on the new primary', async () => {
    writer = startWriter(nodeNs, { hosts: [pair.primary.ip, pair.standby.ip], port: pair.primary.server.port, password: pair.primary.server.password });
    await writer.ackAfter(0, pair.primary.ip, 30_000);
    // Let it commit for a while, then lose the machine mid-stream.
    await new Promise((r) => setTimeout(r, 3_000));
    await pair.cutPrimary(true);
    const postmaster = (await readFile(join(pair.primary.server.dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]!;
    process.kill(Number(postmaster), 'SIGKILL');
    const lostAt = Date.now();
    const ackedBefore = [...writer.acked];
    expect(ackedBefore.length).toBeGreaterThan(20);
    const r = await onStandby(['failover', '--yes']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/In synchronous mode every commit it acknowledged is on this standby/);
    // The writer goes on on the new primary by itself.
    await writer.ackAfter(lostAt, pair.standby.ip, 60_000);
    await writer.stop();
    const acked = [...writer.acked];
    const present = new Set((await onStandbySql('SELECT id FROM writer_rows')).stdout.trim().split('\n').map(Number));
    const missing = acked.filter((id) => !present.has(id));
    expect(missing, `acknowledged rows missing on the new primary (of ${acked.length})`).toEqual([]);
    expect(acked.length).toBeGreaterThan(ackedBefore.length);
  }, 300_000);
});
