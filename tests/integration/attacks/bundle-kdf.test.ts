/**
 * Attack 7 of issue 11: the bundle's KDF cost comes from its header, which nothing authenticates
 * before the key is derived. A header rewritten to N 2^20, r 32, p 16 (its digest recomputed)
 * made `bundle inspect` use 2.7 GB for over 20 s; it is now refused before any key is derived.
 * (The old code is not replayed here: it would take gigabytes of this shared machine's memory.)
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { bundleContentsFromSettings } from '../../../electron/features/bundle/contents.js';
import { openBundle, sealBundle } from '../../../electron/features/bundle/format.js';
import { UserError } from '../../../electron/shared/errors.js';
import { parseSettings } from '../../../electron/shared/settings.js';

const PASSPHRASE = 'correct-horse-battery-staple-42';

/** The bundle with its header's KDF replaced and the header digest recomputed, as an attacker would. */
function withKdf(bundle: Buffer, kdf: { N: number; r: number; p: number }): Buffer {
  const first = bundle.indexOf(10);
  const second = bundle.indexOf(10, first + 1);
  const third = bundle.indexOf(10, second + 1);
  const header = JSON.parse(bundle.subarray(first + 1, second).toString('utf8')) as { kdf: Record<string, unknown> };
  const json = JSON.stringify({ ...header, kdf: { ...header.kdf, ...kdf } });
  const digest = createHash('sha256').update(json).digest('hex');
  return Buffer.concat([bundle.subarray(0, first + 1), Buffer.from(`${json}\n${digest}\n`), bundle.subarray(third + 1)]);
}

describe('attack 7: a crafted KDF cost in the bundle header', () => {
  it('refuses N 2^20, r 32, p 16 before deriving a key', async () => {
    const parsed = parseSettings({
      product: 'reference', cluster: { mode: 'create' }, database: { install: 'existing', host: '10.250.9.1', port: 4432, password: 'Pw-1' },
      share: { root: '/srv/share' }, serviceAccount: { user: 'spref' }, hostname: 'central.example.com', plannedNodes: 3,
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const contents = bundleContentsFromSettings(parsed.settings, { clusterId: 'c1', productVersion: '1.0.0', password: 'Pw-1', platform: 'linux' });
    const good = await sealBundle(contents, PASSPHRASE, { expiresInMs: 3_600_000, now: new Date() });
    expect((await openBundle(good, PASSPHRASE, { now: new Date() })).database.password).toBe('Pw-1');
    for (const kdf of [{ N: 2 ** 20, r: 32, p: 16 }, { N: 2 ** 17, r: 8, p: 1 }, { N: 2 ** 15, r: 8, p: 2 }]) {
      const err = await openBundle(withKdf(good, kdf), PASSPHRASE, { now: new Date() }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).code).toBe('bundle');
      expect((err as UserError).message).toContain('its header is not valid'); // not a derived key's 'wrong passphrase'
    }
  });
});
