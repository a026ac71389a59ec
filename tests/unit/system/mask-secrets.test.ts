import { describe, expect, it } from 'vitest';
import { maskSecrets } from '../../../electron/system/mask-secrets.js';

describe('maskSecrets', () => {
  it('replaces every occurrence of every secret', () => {
    expect(maskSecrets('user=bob password=hunter2 again hunter2', ['hunter2'])).toBe('user=bob password=*** again ***');
  });

  it('masks the longest secret first so no fragment of it is left', () => {
    expect(maskSecrets('pw: abc123xyz', ['abc', 'abc123xyz'])).toBe('pw: ***');
  });

  it('ignores empty secrets instead of masking between every character', () => {
    expect(maskSecrets('plain text', ['', 'zzz'])).toBe('plain text');
  });

  it('treats regex characters in secrets literally', () => {
    expect(maskSecrets('a.*b and a.*b', ['a.*b'])).toBe('*** and ***');
    expect(maskSecrets('aXb', ['a.b'])).toBe('aXb');
  });

  it('returns the text unchanged without secrets', () => {
    expect(maskSecrets('x', undefined)).toBe('x');
    expect(maskSecrets('x', [])).toBe('x');
  });
});
