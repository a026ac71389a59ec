import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../../../electron/system/text-diff.js';

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('/etc/a.conf', 'x\n', 'x\n')).toBe('');
  });
  it('has a/ b/ headers and only the changed line', () => {
    const d = unifiedDiff('/etc/postgresql/postgresql.conf', 'a\nb\nc\n', 'a\nB\nc\n');
    expect(d.split('\n').slice(0, 2)).toEqual(['--- a/etc/postgresql/postgresql.conf', '+++ b/etc/postgresql/postgresql.conf']);
    expect(d).not.toContain('=====');
    expect(d.split('\n').filter((l) => /^[-+][^-+]/.test(l))).toEqual(['-b', '+B']);
  });
});
