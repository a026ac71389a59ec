import { describe, expect, it } from 'vitest';
import { UserError } from '../../../../electron/shared/errors.js';
import type { ServiceState } from '../../../../electron/system/types.js';
import { textLogReader, waitForReadiness, type ReadyWait } from '../../../../electron/system/services/wait-ready.js';

/** A wait over an in-memory log whose text grows by one entry per read, on a fake clock. */
function wait(log: string[], overrides: Partial<ReadyWait> & Pick<ReadyWait, 'readiness'>): ReadyWait {
  let clock = 0;
  let reads = 0;
  return {
    name: 'svc',
    logFile: '/log',
    fromOffset: 0,
    log: textLogReader(async () => log.slice(0, ++reads).join('')),
    canConnect: async () => false,
    probe: async () => ({ state: 'running' as ServiceState }),
    pollMs: 1_000,
    now: () => clock,
    sleep: async (ms) => void (clock += ms),
    timeout: { code: 'timeout', fixWithoutLog: 'look elsewhere' },
    ...overrides,
  };
}

describe('waitForReadiness (every service manager)', () => {
  it('does not count a ready line an earlier run wrote before the start offset', async () => {
    const earlier = 'Repository service started\n';
    const w = wait([earlier, 'starting\n', 'still loading\n'], { readiness: { logLine: /service started/, timeoutMs: 3_000 }, fromOffset: Buffer.byteLength(earlier) });
    const err = await waitForReadiness(w).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toContain('Service svc was not ready within 3 s (waited for the log line /service started/)');
    expect((err as UserError).message).toContain('starting\nstill loading');
    expect((err as UserError).message).not.toContain('Repository service started');
    expect((err as UserError).fix).toBe('Read /log to see what the service is waiting for.');
  });

  it('with needs "all" waits for the port after the line, and with the default either is enough', async () => {
    const lines = ['Repository service started\n'];
    let portOpen = false;
    const connects: number[] = [];
    const base = { readiness: { logLine: /started/, port: 4242, timeoutMs: 10_000 }, canConnect: async (p: number) => (connects.push(p), portOpen) };
    await expect(waitForReadiness(wait(lines, base))).resolves.toBeUndefined();
    expect(connects).toEqual([]);
    const all = wait(lines, { ...base, readiness: { ...base.readiness, needs: 'all' }, sleep: async () => void (portOpen = true) });
    await expect(waitForReadiness(all)).resolves.toBeUndefined();
    expect(connects).toEqual([4242, 4242]);
  });

  it('with neither a line nor a port, a running service is ready; a failure from the probe ends the wait at once', async () => {
    await expect(waitForReadiness(wait([], { readiness: { timeoutMs: 1_000 } }))).resolves.toBeUndefined();
    const stopped = new UserError('service', 'svc stopped while starting.');
    await expect(waitForReadiness(wait([], { readiness: { port: 1, timeoutMs: 60_000 }, probe: async () => ({ state: 'stopped', failure: stopped }) }))).rejects.toBe(stopped);
  });

  it('refuses a log line without a log file to look in', async () => {
    const { logFile: _unused, ...noLog } = wait([], { readiness: { logLine: /x/, timeoutMs: 1_000 } });
    await expect(waitForReadiness(noLog)).rejects.toThrow('No log file is known for svc');
  });
});
