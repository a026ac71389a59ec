import { describe, expect, it } from 'vitest';
import { UserError } from '../../../../electron/shared/errors.js';
import { openBundle, readBundleHeader, sealBundle, DEFAULT_BUNDLE_EXPIRY_MS } from '../../../../electron/features/bundle/format.js';
import type { BundleFailure } from '../../../../electron/features/bundle/format.js';
import { bundleContentsFromSettings } from '../../../../electron/features/bundle/contents.js';
import type { BundleContents } from '../../../../electron/features/bundle/contents.js';
import { CENTRAL_PASSWORD, centralSettings } from './sample-settings.js';

const PASSPHRASE = 'correct horse battery staple';
const NOW = new Date('2030-01-01T12:00:00Z');
const PRODUCT = { id: 'reference', version: '1.2.0' } as const;
const CA = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ0FfY2VydA==\n-----END CERTIFICATE-----\n';

function contents(): BundleContents {
  return bundleContentsFromSettings(centralSettings({ database: { ...centralSettings().database, ssl: 'require' } }), {
    clusterId: 'c0ffee00-1234-4abc-9def-000000000001',
    productVersion: PRODUCT.version,
    password: CENTRAL_PASSWORD,
    caCert: CA,
    platform: 'win32',
  });
}

async function seal(options: { expiresInMs?: number | null; now?: Date } = {}): Promise<Buffer> {
  return sealBundle(contents(), PASSPHRASE, { expiresInMs: options.expiresInMs === undefined ? DEFAULT_BUNDLE_EXPIRY_MS : options.expiresInMs, now: options.now ?? NOW });
}

/** The refusal reason, or 'opened'. */
async function outcome(bytes: Uint8Array, passphrase = PASSPHRASE, now = NOW, expectProduct: { id: string; version: string } = PRODUCT): Promise<BundleFailure | 'opened'> {
  try {
    await openBundle(bytes, passphrase, { now, expectProduct });
    return 'opened';
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    expect(err.code).toBe('bundle');
    return (err.details as { reason: BundleFailure }).reason;
  }
}

async function refusal(bytes: Uint8Array, passphrase = PASSPHRASE, now = NOW, expectProduct: { id: string; version: string } = PRODUCT): Promise<UserError> {
  const err = await openBundle(bytes, passphrase, { now, expectProduct }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  return err as UserError;
}

function payloadStart(bytes: Buffer): number {
  const first = bytes.indexOf(0x0a);
  const second = bytes.indexOf(0x0a, first + 1);
  return bytes.indexOf(0x0a, second + 1) + 1;
}

describe('sealBundle and openBundle', () => {
  it('round trips the contents, including the CA certificate and a password with special characters', async () => {
    const bytes = await seal();
    const opened = await openBundle(bytes, PASSPHRASE, { now: NOW, expectProduct: PRODUCT });
    expect(opened).toEqual(contents());
    expect(opened.database.password).toBe(CENTRAL_PASSWORD);
    expect(opened.database.caCert).toBe(CA);
  });

  it('writes a readable header with the documented fields and encrypts the payload', async () => {
    const bytes = await seal();
    const text = bytes.toString('latin1');
    expect(text.startsWith('SPBUNDLE1\n')).toBe(true);
    const header = readBundleHeader(bytes);
    expect(header).toMatchObject({
      format: 1,
      product: PRODUCT,
      clusterId: 'c0ffee00-1234-4abc-9def-000000000001',
      createdAt: '2030-01-01T12:00:00.000Z',
      expiresAt: '2030-01-02T12:00:00.000Z',
      kdf: { name: 'scrypt', N: 32768, r: 8, p: 1 },
      cipher: { name: 'aes-256-gcm' },
    });
    expect(Buffer.from(header.kdf.salt, 'base64')).toHaveLength(16);
    expect(Buffer.from(header.cipher.nonce, 'base64')).toHaveLength(12);
    // Nothing secret or identifying in clear: no password, host or passphrase anywhere in the file.
    for (const secret of [CENTRAL_PASSWORD, 'central.example.test', PASSPHRASE, 'qliksenserepository']) {
      expect(bytes.includes(Buffer.from(secret, 'utf8'))).toBe(false);
    }
  });

  it('never puts the passphrase into the payload', async () => {
    const bytes = await seal();
    const opened = await openBundle(bytes, PASSPHRASE, { now: NOW });
    expect(JSON.stringify(opened)).not.toContain(PASSPHRASE);
    expect(JSON.stringify(readBundleHeader(bytes))).not.toContain(PASSPHRASE);
  });

  it('uses a fresh salt and nonce for every bundle', async () => {
    const [a, b] = [await seal(), await seal()];
    expect(readBundleHeader(a).kdf.salt).not.toBe(readBundleHeader(b).kdf.salt);
    expect(readBundleHeader(a).cipher.nonce).not.toBe(readBundleHeader(b).cipher.nonce);
  });

  it('refuses a weak passphrase and writes nothing', async () => {
    for (const weak of ['short', 'aaaaaaaaaaaaaaaa', 'abcabcabcabcabc', '123456789012']) {
      await expect(sealBundle(contents(), weak, { expiresInMs: null, now: NOW })).rejects.toThrow(UserError);
    }
  });

  it('refuses a lifetime that is not positive', async () => {
    await expect(sealBundle(contents(), PASSPHRASE, { expiresInMs: 0, now: NOW })).rejects.toThrow(/positive duration/);
  });
});

describe('openBundle refusals', () => {
  it('says a changed byte means damaged or changed, wherever it is in the header or the payload', async () => {
    const bytes = await seal();
    const start = payloadStart(bytes);
    const firstLine = bytes.indexOf(0x0a) + 1;
    const positions = [
      firstLine, // header JSON opening brace
      firstLine + 12, // inside the format/product fields
      firstLine + 40,
      Math.floor((firstLine + start) / 2), // middle of the header (kdf or nonce)
      start - 66, // the header's line end
      start - 30, // header checksum
      start - 1, // checksum line end
      start, // first ciphertext byte
      start + 7,
      Math.floor((start + bytes.length) / 2),
      bytes.length - 17, // last ciphertext byte
      bytes.length - 16, // first tag byte
      bytes.length - 1, // last tag byte
    ];
    for (const pos of positions) {
      const changed = Buffer.from(bytes);
      changed[pos] = (changed[pos] ?? 0) ^ 0x01;
      expect({ pos, outcome: await outcome(changed) }).toEqual({ pos, outcome: 'tampered' });
    }
    const err = await refusal(Buffer.concat([bytes.subarray(0, start), Buffer.from([bytes[start]! ^ 0xff]), bytes.subarray(start + 1)]));
    expect(err.message).toMatch(/damaged or was changed/);
    expect(err.fix).toMatch(/export a new bundle/);
  });

  it('says "not a settings bundle" for a changed magic and another file', async () => {
    const bytes = await seal();
    const changed = Buffer.from(bytes);
    changed[0] = 0x58;
    expect(await outcome(changed)).toBe('not-a-bundle');
    expect(await outcome(Buffer.from('{"database": {"host": "x"}}\n'))).toBe('not-a-bundle');
    expect((await refusal(Buffer.from('hello world, this is text'))).message).toMatch(/not a settings bundle/);
  });

  it('refuses extra bytes after the end', async () => {
    const bytes = await seal();
    expect(await outcome(Buffer.concat([bytes, Buffer.from('x')]))).toBe('tampered');
  });

  it('says the file is cut short for a truncated file of any length, including 0', async () => {
    const bytes = await seal();
    const start = payloadStart(bytes);
    const lengths = [0, 1, 5, 8, 9, 10, 40, start - 70, start - 65, start - 20, start - 1, start, start + 10, bytes.length - 16, bytes.length - 1];
    for (const length of lengths) {
      expect({ length, outcome: await outcome(bytes.subarray(0, length)) }).toEqual({ length, outcome: 'truncated' });
    }
    expect((await refusal(Buffer.alloc(0))).message).toMatch(/empty/);
    expect((await refusal(bytes.subarray(0, bytes.length - 1))).message).toMatch(new RegExp(`has ${bytes.length - 1} bytes of ${bytes.length}`));
  });

  it('tells a wrong passphrase apart from a damaged file', async () => {
    const bytes = await seal();
    expect(await outcome(bytes, 'correct horse battery stapler')).toBe('wrong-passphrase');
    expect(await outcome(bytes, PASSPHRASE.toUpperCase())).toBe('wrong-passphrase');
    const err = await refusal(bytes, 'another passphrase entirely');
    expect(err.message).toBe('The passphrase is wrong for this settings bundle.');
    expect(err.message).not.toContain('another passphrase');
  });

  it('refuses an expired bundle, saying when it expired and how to export a new one', async () => {
    const bytes = await seal({ expiresInMs: 60 * 60 * 1000 });
    expect(await outcome(bytes, PASSPHRASE, new Date('2030-01-01T12:59:59Z'))).toBe('opened');
    const err = await refusal(bytes, PASSPHRASE, new Date('2030-01-01T13:00:00Z'));
    expect((err.details as { reason: string }).reason).toBe('expired');
    expect(err.message).toContain('expired on 2030-01-01 13:00 UTC');
    expect(err.fix).toMatch(/spsetup bundle export/);
  });

  it('opens a bundle without expiry at any later time', async () => {
    const bytes = await seal({ expiresInMs: null });
    expect(readBundleHeader(bytes).expiresAt).toBeNull();
    expect(await outcome(bytes, PASSPHRASE, new Date('2099-01-01T00:00:00Z'))).toBe('opened');
  });

  it('refuses a bundle for another product or version, naming both', async () => {
    const bytes = await seal();
    expect(await outcome(bytes, PASSPHRASE, NOW, { id: 'reference', version: '1.3.0' })).toBe('wrong-product');
    const err = await refusal(bytes, PASSPHRASE, NOW, { id: 'qlik-sense', version: '1.2.0' });
    expect(err.message).toBe('This settings bundle is for reference 1.2.0; this installer deploys qlik-sense 1.2.0.');
  });

  it('refuses another format version', async () => {
    const bytes = await seal();
    const changed = Buffer.from(bytes);
    changed[8] = 0x32; // SPBUNDLE2
    const err = await refusal(changed);
    expect((err.details as { reason: string }).reason).toBe('unsupported-version');
    expect(err.message).toContain('format version 2');
  });
});
