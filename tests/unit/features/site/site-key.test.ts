/** The site key: what authenticates an operation and seals its secrets (features/site/site-key.ts). */
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../../electron/shared/errors.js';
import { generateSiteKey, openSecret, parseSiteKey, sealSecret, signPayload, verifyPayload } from '../../../../electron/features/site/site-key.js';

const key = parseSiteKey(generateSiteKey());
const otherKey = parseSiteKey(generateSiteKey());
const OP = '5b1f0c2e-8a4d-4c3b-9e21-0a6f3c9d7e11';
const payload = JSON.stringify({ id: OP, targets: ['10.0.0.2'], body: { kind: 'services', action: 'stop' } });

describe('site key text', () => {
  it('is 43 base64url characters of 32 random bytes, different each time', () => {
    const a = generateSiteKey();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(parseSiteKey(a)).toHaveLength(32);
    expect(generateSiteKey()).not.toBe(a);
  });

  it('accepts the stored form with a trailing newline, refuses anything else with what to do', () => {
    const text = generateSiteKey();
    expect(parseSiteKey(`${text}\n`).equals(parseSiteKey(text))).toBe(true);
    for (const bad of ['', 'short', `${text}x`, `${text.slice(0, 42)}+`]) {
      const err = (() => {
        try {
          parseSiteKey(bad);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err, JSON.stringify(bad)).toBeInstanceOf(UserError);
      expect((err as UserError).fix).toMatch(/central node|settings bundle/);
    }
  });
});

describe('signing operations', () => {
  it('verifies the payload it signed with the same key', () => {
    expect(verifyPayload(key, payload, signPayload(key, payload))).toBe(true);
  });

  it('refuses an unsigned payload, a signature of another key, and malformed signatures', () => {
    expect(verifyPayload(key, payload, '')).toBe(false);
    expect(verifyPayload(key, payload, 'f'.repeat(64))).toBe(false);
    expect(verifyPayload(key, payload, signPayload(otherKey, payload))).toBe(false);
    const good = signPayload(key, payload);
    expect(verifyPayload(key, payload, good.toUpperCase())).toBe(false);
    expect(verifyPayload(key, payload, good.slice(0, 62))).toBe(false);
    expect(verifyPayload(key, payload, `${good}00`)).toBe(false);
  });

  it('refuses a retargeted or re-identified copy of a signed payload (the signature covers targets and id)', () => {
    const signature = signPayload(key, payload);
    const retargeted = payload.replace('10.0.0.2', '10.0.0.3');
    const replayed = payload.replace(OP, '00000000-0000-4000-8000-000000000000');
    expect(retargeted).not.toBe(payload);
    expect(verifyPayload(key, retargeted, signature)).toBe(false);
    expect(verifyPayload(key, replayed, signature)).toBe(false);
  });

  it('signs with a key derived for the purpose: the signature is not a plain HMAC of the site key', async () => {
    const { createHmac } = await import('node:crypto');
    expect(signPayload(key, payload)).not.toBe(createHmac('sha256', key).update(payload).digest('hex'));
  });
});

describe('secrets in payloads', () => {
  const secret = "P@ss'word;&<x>";

  it('round-trips, and the sealed text holds no trace of the secret', () => {
    const sealed = sealSecret(key, secret, OP);
    expect(openSecret(key, sealed, OP)).toBe(secret);
    expect(sealed.sealed).not.toContain(secret);
    expect(Buffer.from(sealed.sealed, 'base64url').toString('latin1')).not.toContain(secret);
    expect(JSON.stringify(sealed)).not.toContain('word');
  });

  it('seals the same secret differently each time (a fresh IV)', () => {
    expect(sealSecret(key, secret, OP).sealed).not.toBe(sealSecret(key, secret, OP).sealed);
  });

  it('cannot be opened with another key, under another operation id, or when altered or truncated', () => {
    const sealed = sealSecret(key, secret, OP);
    expect(() => openSecret(otherKey, sealed, OP)).toThrow(/cannot be opened with this node's site key/);
    expect(() => openSecret(key, sealed, '00000000-0000-4000-8000-000000000000')).toThrow(/cannot be opened/);
    const raw = Buffer.from(sealed.sealed, 'base64url');
    raw[raw.length - 1] = raw[raw.length - 1]! ^ 1;
    expect(() => openSecret(key, { sealed: raw.toString('base64url') }, OP)).toThrow(/cannot be opened/);
    expect(() => openSecret(key, { sealed: raw.subarray(0, 20).toString('base64url') }, OP)).toThrow(/truncated/);
  });
});
