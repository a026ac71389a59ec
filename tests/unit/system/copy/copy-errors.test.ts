import { describe, expect, it } from 'vitest';
import { toCopyError } from '../../../../electron/system/copy/copy-errors.js';
import { UserError } from '../../../../electron/shared/errors.js';

const fsErr = (code: string) => Object.assign(new Error(`${code}: boom`), { code });

describe('copy errors', () => {
  it('names the file and the fix for a full disk', () => {
    const e = toCopyError(fsErr('ENOSPC'), 'write', '/share/Apps/a.qvf') as UserError;
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toContain('/share/Apps/a.qvf');
    expect(e.fix).toMatch(/Free space/);
  });

  it('says which side lacks permission', () => {
    const r = toCopyError(fsErr('EACCES'), 'read', '/data/Apps/a.qvf') as UserError;
    const w = toCopyError(fsErr('EPERM'), 'write', '/share/Apps/a.qvf') as UserError;
    expect([r.code, w.code]).toEqual(['permission-denied', 'permission-denied']);
    expect(r.message).toBe('Permission denied reading /data/Apps/a.qvf.');
    expect(w.message).toBe('Permission denied writing /share/Apps/a.qvf.');
    expect(w.fix).toMatch(/write access to the share/);
  });

  it('reports a read-only target', () => {
    const e = toCopyError(fsErr('EROFS'), 'write', '/share/Apps') as UserError;
    expect(e.code).toBe('filesystem');
    expect(e.message).toMatch(/read-only/);
  });

  it('passes bugs through untouched', () => {
    const bug = new TypeError('x is undefined');
    expect(toCopyError(bug, 'write', '/p')).toBe(bug);
  });
});
