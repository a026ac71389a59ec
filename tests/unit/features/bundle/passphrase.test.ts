import { describe, expect, it } from 'vitest';
import { checkPassphraseStrength, generatePassphrase } from '../../../../electron/features/bundle/passphrase.js';
import { parseBundleExpiry } from '../../../../electron/features/bundle/expiry.js';

describe('generatePassphrase', () => {
  it('makes 24 unambiguous base32 characters in six groups, different each time, that pass the minimum', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i += 1) {
      const p = generatePassphrase();
      expect(p).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){5}$/);
      expect(checkPassphraseStrength(p)).toEqual({ ok: true });
      seen.add(p);
    }
    expect(seen.size).toBe(50);
  });
});

describe('checkPassphraseStrength', () => {
  it.each([
    ['', /too short: 0 characters/],
    ['elevenchars', /too short: 11 characters, at least 12/],
    ['aaaaaaaaaaaaaaaa', /fewer than 5 different/],
    ['abcdabcdabcdabcd', /fewer than 5 different/],
    ['passwordpassword', /repeated/],
    ['abcdefghijklmnop', /sequence/],
    ['123456789012', /sequence/],
    ['987654321098', /sequence/],
    [' leading space here', /white space/],
  ])('refuses %j', (passphrase, message) => {
    const result = checkPassphraseStrength(passphrase);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(message);
  });

  it.each(['correct horse battery staple', 'Tr0ub4dor&3x!', 'mot de passe très long'])('accepts %j', (passphrase) => {
    expect(checkPassphraseStrength(passphrase)).toEqual({ ok: true });
  });
});

describe('parseBundleExpiry', () => {
  it('reads minutes, hours, days and none', () => {
    expect(parseBundleExpiry('24h')).toBe(24 * 3_600_000);
    expect(parseBundleExpiry('30m')).toBe(1_800_000);
    expect(parseBundleExpiry('7d')).toBe(7 * 86_400_000);
    expect(parseBundleExpiry('none')).toBeNull();
    expect(parseBundleExpiry('never')).toBeNull();
  });

  it.each(['0h', '24', 'h', '-1h', '2y', '400d', ''])('refuses %j', (text) => {
    expect(() => parseBundleExpiry(text)).toThrow(/not a bundle lifetime/);
  });
});
