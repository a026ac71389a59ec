import { describe, expect, it } from 'vitest';
import { parseAutoFailoverSettings } from '../../../../electron/features/auto-failover/auto-failover-settings.js';
import { autoctlService, keeperSteps, monitorSteps, monitorTimings, monitorUri } from '../../../../electron/features/auto-failover/plan-auto-failover.js';
import { createArgs } from '../../../../electron/features/auto-failover/steps/autoctl-create.js';

const doc = {
  monitor: { host: '10.0.0.9', port: 5431, dataDir: '/srv/monitor', password: { env: 'MON_PW' } },
  node: { host: '10.0.0.1', dataDir: '/var/lib/postgresql/15/main', superuserPassword: { env: 'SU_PW' } },
  replicationPassword: { env: 'REPL_PW' },
  stateDir: '/var/lib/spsetup',
};
const settings = parseAutoFailoverSettings('s.json', JSON.stringify(doc));

describe('auto-failover settings', () => {
  it('names a bad field and refuses an unreadable file', () => {
    expect(() => parseAutoFailoverSettings('s.json', JSON.stringify({ ...doc, monitor: { ...doc.monitor, port: 0 } }))).toThrow(/monitor\.port: a port is 1\.\.65535/);
    expect(() => parseAutoFailoverSettings('s.json', undefined)).toThrow(/Cannot read the settings file s\.json/);
    expect(() => parseAutoFailoverSettings('s.json', JSON.stringify({ ...doc, extra: 1 }))).toThrow(/invalid fields/);
  });
});

describe('auto-failover plans', () => {
  it('the keeper is given the monitor without a password, and no secret reaches argv or the service', () => {
    expect(monitorUri(settings)).toBe('postgres://autoctl_node@10.0.0.9:5431/pg_auto_failover?sslmode=require');
    const steps = keeperSteps(settings, settings.node!, { registered: false, hasCluster: true });
    const create = steps.find((s) => s.kind === 'pg-autoctl-create')!.params as Parameters<typeof createArgs>[0];
    const args = createArgs(create);
    expect(args.slice(0, 2)).toEqual(['create', 'postgres']);
    expect(args).toContain('--ssl-self-signed');
    expect(args.join(' ')).not.toMatch(/password|MON_PW|SU_PW|REPL_PW/i);
    const service = autoctlService(settings, 'spsetup-pg-autoctl', create.home);
    expect(service.args).toEqual(['run', '--pgdata', '/var/lib/postgresql/15/main']);
    expect(service.env?.['PGPASSFILE']).toBe('/var/lib/spsetup/auto-failover/pgpass');
    expect(JSON.stringify(steps)).not.toMatch(/MON_PW|SU_PW|REPL_PW/);
  });

  it('stops the old server only before pg_autoctl has the node; a copy has nothing to stop', () => {
    const ids = (f: { registered: boolean; hasCluster: boolean }) => keeperSteps(settings, settings.node!, f).map((s) => s.id);
    expect(ids({ registered: false, hasCluster: true })).toContain('old-server-stopped');
    expect(ids({ registered: true, hasCluster: true })).not.toContain('old-server-stopped');
    expect(ids({ registered: false, hasCluster: false })).not.toContain('old-server-stopped');
  });

  it('sets only the failure-detection timings the file gives', () => {
    expect(monitorTimings(settings)).toEqual({});
    expect(monitorSteps(settings).map((s) => s.id)).not.toContain('monitor-timings');
    const fast = parseAutoFailoverSettings('s.json', JSON.stringify({ ...doc, monitor: { ...doc.monitor, healthCheckPeriodMs: 1000, demoteTimeoutMs: 2000 } }));
    expect(monitorTimings(fast)).toEqual({ 'pgautofailover.health_check_period': '1000', 'pgautofailover.primary_demote_timeout': '2000' });
    expect(() => monitorSteps(parseAutoFailoverSettings('s.json', JSON.stringify({ ...doc, monitor: { ...doc.monitor, dataDir: undefined } })))).toThrow(/monitor\.dataDir is required/);
  });
});
