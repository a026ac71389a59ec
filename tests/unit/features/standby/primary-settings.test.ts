import { describe, expect, it } from 'vitest';
import { primarySettings, primarySideSteps, type PrimaryFacts } from '../../../../electron/features/standby/plan-standby.js';
import { formatHbaRule, type HbaRule } from '../../../../electron/system/postgres/hba-editor.js';
import { standbyName, standbySettingsSchema } from '../../../../electron/features/standby/standby-settings.js';

const settings = standbySettingsSchema.parse({
  primary: { host: '10.0.0.1', superuserPassword: 'x' },
  standby: { host: '10.0.0.2', dataDir: '/srv/pg' },
  replication: { password: 'y' },
  stateDir: '/var/lib/spsetup',
});
const facts = (f: Partial<PrimaryFacts>): PrimaryFacts => ({ versionNum: 150004, ssl: false, walLevel: 'replica', maxWalSenders: 10, dataChecksums: false, ...f });

describe('the primary settings a standby needs', () => {
  it('uses wal_keep_size from 13 and wal_keep_segments (16 MB each) before', () => {
    expect(primarySettings(settings, facts({}))).toEqual({ wal_level: 'replica', max_wal_senders: '10', hot_standby: 'on', wal_keep_size: '512', wal_log_hints: 'on' });
    expect(primarySettings(settings, facts({ versionNum: 120010 }))).toMatchObject({ wal_keep_segments: '32' });
    expect(primarySettings(settings, facts({ versionNum: 120010 }))).not.toHaveProperty('wal_keep_size');
  });

  it('keeps logical WAL and more senders, and needs no wal_log_hints with data checksums', () => {
    const s = primarySettings(settings, facts({ walLevel: 'logical', maxWalSenders: 20, dataChecksums: true }));
    expect(s).toMatchObject({ wal_level: 'logical', max_wal_senders: '20' });
    expect(s).not.toHaveProperty('wal_log_hints');
  });

  it("writes the standby's rule for the replication keyword, not a database named \"replication\"", () => {
    const step = primarySideSteps(settings, facts({})).find((st) => st.id === 'replication-access');
    const [rule] = (step?.params as { rules: HbaRule[] }).rules;
    expect(formatHbaRule(rule!).split(/\s+/).slice(0, 3)).toEqual(['host', 'replication', 'spsetup_replication']);
  });

  it('names the slot after the standby address, as a slot name may be', () => {
    expect(standbyName('10.0.0.2')).toBe('spsetup_10_0_0_2');
  });

  it('refuses a standby that is the primary itself', () => {
    const r = standbySettingsSchema.safeParse({ ...settings, standby: { ...settings.standby, host: '10.0.0.1', port: 5432 } });
    expect(r.success).toBe(false);
  });
});
