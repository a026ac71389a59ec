import { describe, expect, it } from 'vitest';
import { areaOf, describeCounts, diffStats, summarizePlan } from '../../../renderer/src/lib/plan-summary.js';
import type { PlannedStep, StepAction } from '../../../electron/shared/plan.js';

const step = (id: string, kind: string, action: StepAction): PlannedStep => ({ id, kind, title: `T ${id}`, action, summary: '', params: {} });

describe('plan summary (Ready screen)', () => {
  it('counts only steps that change something as changes, by area in a fixed order', () => {
    const s = summarizePlan([
      step('svc', 'service', 'create'),
      step('acct', 'os-account', 'noop'),
      step('conf', 'pg-conf', 'update'),
      step('hba', 'pg-hba', 'noop'),
      step('init', 'pg-initdb', 'create'),
      step('boot', 'bootstrap', 'run'),
    ]);
    expect(s.map((a) => a.area)).toEqual(['accounts', 'database', 'services', 'site']);
    const accounts = s[0]!;
    expect(accounts.counts).toEqual([]);
    expect(accounts.unchanged).toBe(1);
    expect(describeCounts(accounts)).toBe('no change');
    const db = s[1]!;
    expect(db.changing).toEqual(['T conf', 'T init']);
    expect(describeCounts(db)).toBe('1 to create, 1 to update');
    expect(db.unchanged).toBe(1);
    expect(describeCounts(s[3]!)).toBe('1 command');
  });

  it('puts every installer step kind in an area; an unknown kind is kept (configuration)', () => {
    expect(areaOf('windows-service-logon')).toBe('accounts');
    expect(areaOf('copy-tree')).toBe('folders');
    expect(areaOf('server-certificate')).toBe('security');
    expect(areaOf('node-registered')).toBe('site');
    expect(areaOf('file-content')).toBe('configuration');
    expect(areaOf('something-new')).toBe('configuration');
    expect(summarizePlan([step('x', 'something-new', 'create')])[0]!.changing).toEqual(['T x']);
  });

  it('counts added and removed lines of a diff without its file headers', () => {
    expect(diffStats('--- a\n+++ b\n@@ -1,2 +1,2 @@\n-x = 1\n+x = 2\n+y = 3\n ctx')).toEqual({ added: 2, removed: 1 });
  });
});
