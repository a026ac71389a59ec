/**
 * Issue 16, automatic failover with pg_auto_failover: spsetup sets up a monitor and two keepers
 * (the primary's existing server taken over, the standby copied by pg_autoctl) in network
 * namespaces; a writer on a client machine commits numbered rows. The primary machine is lost
 * (its link cut, its pg_autoctl and server SIGKILLed): with nobody running any command, the writer
 * commits on the standby, which the monitor promoted; every row whose commit returned is there;
 * the old primary, back on the network, is rewound by its keeper and streams as the standby.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterSkipReason, deleteClusterNetns, randomSubnet } from '../support/cluster.js';
import { createAutoFailoverSite, type AutoFailoverSite } from '../support/auto-failover-site.js';
import { debianMissing } from '../support/pg-server.js';
import { startWriter, type WriterProcess } from '../support/writer-process.js';
import { existsSync } from 'node:fs';

const skip = clusterSkipReason() ?? debianMissing() ?? (existsSync('/usr/bin/pg_autoctl') ? undefined : 'pg_autoctl is not installed (postgresql-15-auto-failover)');
// Failure detection in about two seconds (pg_auto_failover's defaults take about 30).
const TIMINGS = { healthCheckPeriodMs: 1000, healthCheckTimeoutMs: 1000, healthCheckRetries: 1, healthCheckRetryDelayMs: 500, unhealthyTimeoutMs: 2000, demoteTimeoutMs: 2000 };

async function until(what: string, probe: () => Promise<boolean>, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(skip)(`automatic failover with pg_auto_failover${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let site: AutoFailoverSite;
  let writer: WriterProcess | undefined;
  const at = (m: { ip: string; port: number }) => `${m.ip}:${m.port}`;

  beforeAll(async () => {
    site = await createAutoFailoverSite(randomSubnet(), TIMINGS);
    for (const [m, word] of [[site.monitor, 'monitor'], [site.a, 'keeper'], [site.b, 'keeper']] as const) {
      const r = await site.setup(m, word);
      expect(r.code, `${word} on ${m.ip}: ${r.stdout}\n${r.stderr}`).toBe(0);
    }
  }, 600_000);

  afterAll(async () => {
    await writer?.stop();
    await site?.cleanup();
    await deleteClusterNetns();
  });

  it('the monitor has the old server as primary and the copy as secondary; a run again changes nothing', async () => {
    // The primary leaves wait_primary once the monitor has seen the copy catch up.
    await until('the monitor sees a primary and a secondary', async () => {
      const s = await site.monitorStates();
      return s.get(at(site.a)) === 'primary' && s.get(at(site.b)) === 'secondary';
    });
    expect(await site.sql(site.b, 'SELECT pg_is_in_recovery()')).toBe('t');
    const again = await site.setup(site.a, 'keeper', ['--plan', '--json']);
    const plan = JSON.parse(again.stdout) as { plan: { steps: { id: string; action: string }[] } };
    expect(plan.plan.steps.filter((s) => s.action !== 'noop')).toEqual([]);
  });

  it('the primary lost: writes go on on the standby with nobody acting, no acknowledged row lost, the old primary rejoins as standby', async () => {
    writer = startWriter(site.client.ns, { hosts: [at(site.a), at(site.b)], port: site.a.port, password: site.superuserPassword });
    await writer.ackAfter(0, at(site.a), 30_000);
    await new Promise((r) => setTimeout(r, 1_000));
    await site.cut(site.a, true);
    await site.crash(site.a);
    const lostAt = Date.now();
    const ackedBefore = writer.acked.length;
    // On a failure the monitor's event log says which transition took too long.
    const resumedAt = await writer.ackAfter(lostAt, at(site.b), 120_000).catch(async (err: unknown) => {
      throw new Error(`${(err as Error).message}\nmonitor events:\n${await site.monitorEvents()}`);
    });
    process.stdout.write(`automatic failover: first commit on the new primary ${resumedAt - lostAt} ms after the loss\n`);
    expect(ackedBefore).toBeGreaterThan(5);
    expect(await site.sql(site.b, 'SELECT pg_is_in_recovery()')).toBe('f');
    // Back on the network: its keeper hears it was demoted, rewinds, and follows the new primary.
    await site.cut(site.a, false);
    await until('the old primary streams from the new one', async () => (await site.sql(site.b, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")) === '1');
    expect(await site.sql(site.a, 'SELECT pg_is_in_recovery()')).toBe('t');
    await until('the monitor sees both settled', async () => {
      const s = await site.monitorStates();
      return s.get(at(site.b)) === 'primary' && s.get(at(site.a)) === 'secondary';
    });
    await writer.stop();
    const present = new Set((await site.sql(site.b, 'SELECT id FROM writer_rows')).split('\n').map(Number));
    const missing = writer.acked.filter((id) => !present.has(id));
    expect(missing, `acknowledged rows missing on the new primary (of ${writer.acked.length})`).toEqual([]);
    expect(writer.acked.length).toBeGreaterThan(ackedBefore);
  }, 300_000);
});
