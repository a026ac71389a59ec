/**
 * The `.spbundle` file: a readable header and an AES-256-GCM encrypted payload.
 *
 * Layout (all lines end with a single LF):
 *   line 1  `SPBUNDLE1`                  magic and format version (ASCII)
 *   line 2  header JSON (UTF-8, one line) see `BundleHeader`
 *   line 3  SHA-256 of line 2, 64 hex     tells accidental damage of the header apart from a wrong passphrase
 *   then    ciphertext (header.payloadBytes bytes) followed by the 16-byte GCM tag
 *
 * The key material is scrypt(passphrase NFC, salt, 64 bytes) with the header's N, r, p: the first 32
 * bytes are the AES key, the last 32 bytes key an HMAC-SHA256 of a constant that is stored in the
 * header as `check`, so a wrong passphrase is told apart from a changed file. Lines 1 to 3 are the
 * GCM associated data: changing any header field fails authentication. The payload is the JSON of
 * `BundleContents`.
 *
 * Checks, in order: magic, version, complete header, header checksum, length, passphrase check
 * value, GCM authentication, then (on authenticated data) expiry and product.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { UserError } from '../../shared/errors.js';
import { bundleContentsSchema } from './contents.js';
import type { BundleContents } from './contents.js';
import { assertPassphraseStrength } from './passphrase.js';

export { generatePassphrase, checkPassphraseStrength } from './passphrase.js';

export const BUNDLE_MAGIC = 'SPBUNDLE';
export const BUNDLE_FORMAT_VERSION = 1;
export const DEFAULT_BUNDLE_EXPIRY_MS = 24 * 60 * 60 * 1000;
/** scrypt cost: N = 2^15, r = 8 takes about 0.1 s and 32 MiB. */
export const DEFAULT_KDF = { N: 2 ** 15, r: 8, p: 1 } as const;

const TAG_BYTES = 16;
const MAX_HEADER_BYTES = 16 * 1024;
const CHECK_LABEL = 'spsetup bundle passphrase check v1';

/** Why a bundle was refused; in `UserError.details.reason`. */
export type BundleFailure = 'not-a-bundle' | 'truncated' | 'unsupported-version' | 'tampered' | 'wrong-passphrase' | 'expired' | 'wrong-product';

const base64 = (bytes: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9+/]+={0,2}$/)
    .refine((s) => Buffer.from(s, 'base64').length === bytes, { message: `must hold ${bytes} bytes` });

const headerSchema = z
  .object({
    format: z.literal(BUNDLE_FORMAT_VERSION),
    product: z.object({ id: z.string().min(1), version: z.string().min(1) }).strict(),
    clusterId: z.string().min(1),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().nullable(),
    kdf: z
      .object({
        name: z.literal('scrypt'),
        // The header is not authenticated until the key is derived: a tight cap (at most twice what
        // this version writes, 64 MiB) so a crafted bundle cannot make us use gigabytes or minutes.
        N: z.number().int().min(2 ** 10).max(2 ** 16).refine((n) => (n & (n - 1)) === 0, { message: 'N must be a power of 2' }),
        r: z.number().int().min(1).max(8),
        p: z.number().int().min(1).max(1),
        salt: base64(16),
      })
      .strict(),
    cipher: z.object({ name: z.literal('aes-256-gcm'), nonce: base64(12) }).strict(),
    check: base64(32),
    payloadBytes: z.number().int().min(0),
  })
  .strict();

/** The readable header of a bundle (authenticated only once `openBundle` succeeds). */
export type BundleHeader = z.output<typeof headerSchema>;

export interface SealOptions {
  /** Lifetime from `now`; null for a bundle that never expires. */
  readonly expiresInMs: number | null;
  readonly now: Date;
  /** scrypt cost, DEFAULT_KDF unless given. */
  readonly kdf?: { readonly N: number; readonly r: number; readonly p: number };
}

/** Encrypts bundle contents with a passphrase (which must meet the minimum strength). */
export async function sealBundle(contents: BundleContents, passphrase: string, options: SealOptions): Promise<Buffer> {
  assertPassphraseStrength(passphrase);
  const checked = bundleContentsSchema.safeParse(contents);
  if (!checked.success) throw new UserError('bundle', 'The bundle contents are not valid.', 'Check the settings the bundle is made from.');
  const { expiresInMs, now } = options;
  if (expiresInMs !== null && !(Number.isFinite(expiresInMs) && expiresInMs > 0)) {
    throw new UserError('bundle', 'The bundle lifetime must be a positive duration, or none.', 'Give a lifetime such as 24h, or none for a bundle that never expires.');
  }
  const kdf = { name: 'scrypt' as const, ...(options.kdf ?? DEFAULT_KDF), salt: randomBytes(16).toString('base64') };
  const nonce = randomBytes(12);
  const keys = await deriveKeys(passphrase, kdf);
  const plaintext = Buffer.from(JSON.stringify(checked.data), 'utf8');
  const header: BundleHeader = {
    format: BUNDLE_FORMAT_VERSION,
    product: { ...checked.data.product },
    clusterId: checked.data.clusterId,
    createdAt: now.toISOString(),
    expiresAt: expiresInMs === null ? null : new Date(now.getTime() + expiresInMs).toISOString(),
    kdf,
    cipher: { name: 'aes-256-gcm', nonce: nonce.toString('base64') },
    check: passphraseCheck(keys.checkKey).toString('base64'),
    payloadBytes: plaintext.length, // GCM is a stream mode: ciphertext length = plaintext length
  };
  const headerJson = JSON.stringify(header);
  const aad = Buffer.from(`${BUNDLE_MAGIC}${BUNDLE_FORMAT_VERSION}\n${headerJson}\n${sha256Hex(headerJson)}\n`, 'utf8');
  const cipher = createCipheriv('aes-256-gcm', keys.aesKey, nonce);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([aad, ciphertext, cipher.getAuthTag()]);
}

export interface OpenOptions {
  readonly now: Date;
  /** Refuse a bundle made for another product or version. */
  readonly expectProduct?: { readonly id: string; readonly version: string };
}

/** Decrypts and checks a bundle; each kind of failure is its own UserError (code 'bundle'). */
export async function openBundle(bytes: Uint8Array, passphrase: string, options: OpenOptions): Promise<BundleContents> {
  const { header, aad, ciphertext, tag } = splitBundle(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const keys = await deriveKeys(passphrase, header.kdf);
  if (!timingSafeEqual(passphraseCheck(keys.checkKey), Buffer.from(header.check, 'base64'))) {
    throw fail('wrong-passphrase', 'The passphrase is wrong for this settings bundle.', 'Use the passphrase shown when the bundle was exported (it is case-sensitive), or export a new bundle on the central node.');
  }
  let plaintext: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keys.aesKey, Buffer.from(header.cipher.nonce, 'base64'));
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw tampered('its contents failed authentication');
  }
  const parsed = parsePayload(plaintext);
  if (parsed.product.id !== header.product.id || parsed.product.version !== header.product.version || parsed.clusterId !== header.clusterId) {
    throw tampered('its header does not match its contents');
  }
  checkExpiry(header, options.now);
  const expect = options.expectProduct;
  if (expect && (expect.id !== header.product.id || expect.version !== header.product.version)) {
    throw fail(
      'wrong-product',
      `This settings bundle is for ${header.product.id} ${header.product.version}; this installer deploys ${expect.id} ${expect.version}.`,
      `Use the spsetup release for ${header.product.id} ${header.product.version}, or export a new bundle with this release on the central node.`,
    );
  }
  return parsed;
}

/** Reads the header without a passphrase (for display; not authenticated until `openBundle`). */
export function readBundleHeader(bytes: Uint8Array): BundleHeader {
  return splitBundle(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).header;
}

interface SplitBundle {
  readonly header: BundleHeader;
  readonly aad: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

function splitBundle(bytes: Buffer): SplitBundle {
  if (bytes.length === 0) throw truncated('The settings bundle file is empty (0 bytes).');
  const magic = Buffer.from(BUNDLE_MAGIC, 'ascii');
  if (bytes.length < magic.length) {
    if (magic.subarray(0, bytes.length).equals(bytes)) throw truncated(`The settings bundle file is cut short (${bytes.length} bytes).`);
    throw notABundle();
  }
  if (!bytes.subarray(0, magic.length).equals(magic)) throw notABundle();

  const versionEnd = bytes.indexOf(0x0a, magic.length);
  const versionText = bytes.subarray(magic.length, versionEnd === -1 ? bytes.length : versionEnd).toString('latin1');
  if (!/^\d{0,6}$/.test(versionText)) throw notABundle();
  if (versionEnd === -1) throw truncated(`The settings bundle file is cut short (${bytes.length} bytes, in its first line).`);
  const version = Number(versionText);
  if (versionText === '' || version !== BUNDLE_FORMAT_VERSION) {
    throw fail(
      'unsupported-version',
      `The settings bundle has format version ${versionText || '(none)'}; this spsetup reads version ${BUNDLE_FORMAT_VERSION}.`,
      'Import it with the spsetup release that exported it, or export the bundle again with this release.',
    );
  }

  const headerStart = versionEnd + 1;
  const headerEnd = bytes.indexOf(0x0a, headerStart);
  if (headerEnd === -1 || headerEnd - headerStart > MAX_HEADER_BYTES) {
    // A header cut short is text to the end; binary after it means its line end was damaged.
    const rest = bytes.subarray(headerStart);
    if (rest.length <= MAX_HEADER_BYTES && isPlainText(rest)) throw truncated(`The settings bundle file is cut short (${bytes.length} bytes, in its header).`);
    throw tampered('its header has no end');
  }
  const digestEnd = headerEnd + 1 + 64;
  if (bytes.length < digestEnd + 1) throw truncated(`The settings bundle file is cut short (${bytes.length} bytes, in its header checksum).`);
  const headerBytes = bytes.subarray(headerStart, headerEnd);
  const digest = bytes.subarray(headerEnd + 1, digestEnd).toString('latin1');
  if (bytes[digestEnd] !== 0x0a || digest !== sha256Hex(headerBytes)) throw tampered('its header does not match its checksum');

  let header: BundleHeader;
  try {
    header = headerSchema.parse(JSON.parse(headerBytes.toString('utf8')));
  } catch {
    throw tampered('its header is not valid');
  }
  const payloadStart = digestEnd + 1;
  const expected = payloadStart + header.payloadBytes + TAG_BYTES;
  if (bytes.length < expected) {
    throw truncated(`The settings bundle file is cut short: it has ${bytes.length} bytes of ${expected}.`);
  }
  if (bytes.length > expected) throw tampered(`it has ${bytes.length - expected} extra bytes at its end`);
  return {
    header,
    aad: bytes.subarray(0, payloadStart),
    ciphertext: bytes.subarray(payloadStart, payloadStart + header.payloadBytes),
    tag: bytes.subarray(payloadStart + header.payloadBytes, expected),
  };
}

function parsePayload(plaintext: Buffer): BundleContents {
  try {
    return bundleContentsSchema.parse(JSON.parse(plaintext.toString('utf8')));
  } catch {
    // Authenticated but not what we write: made by something else with the passphrase.
    throw tampered('its contents are not a valid settings bundle');
  }
}

function checkExpiry(header: BundleHeader, now: Date): void {
  if (header.expiresAt === null) return;
  const expiresAt = new Date(header.expiresAt);
  if (now.getTime() < expiresAt.getTime()) return;
  throw fail(
    'expired',
    `The settings bundle expired on ${formatTime(expiresAt)} (it was exported on ${formatTime(new Date(header.createdAt))}).`,
    'Export a new bundle on the central node (spsetup bundle export --settings F --out B --passphrase-file P --expires 24h, or "Export settings bundle" in the wizard).',
  );
}

interface Keys {
  readonly aesKey: Buffer;
  readonly checkKey: Buffer;
}

async function deriveKeys(passphrase: string, kdf: { readonly N: number; readonly r: number; readonly p: number; readonly salt: string }): Promise<Keys> {
  const salt = Buffer.from(kdf.salt, 'base64');
  const maxmem = 128 * kdf.N * kdf.r * 2 + 1024 * 1024;
  const material = await new Promise<Buffer>((resolve, reject) => {
    scrypt(passphrase.normalize('NFC'), salt, 64, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem }, (err, key) => (err ? reject(err) : resolve(key)));
  });
  return { aesKey: material.subarray(0, 32), checkKey: material.subarray(32, 64) };
}

function passphraseCheck(checkKey: Buffer): Buffer {
  return createHmac('sha256', checkKey).update(CHECK_LABEL).digest();
}

function isPlainText(bytes: Buffer): boolean {
  if (bytes.some((b) => b < 0x20 || b === 0x7f)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true }); // a character cut at the end is fine
    return true;
  } catch {
    return false;
  }
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function formatTime(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function fail(reason: BundleFailure, message: string, fix: string): UserError {
  return new UserError('bundle', message, fix, { reason });
}

function notABundle(): UserError {
  return fail('not-a-bundle', 'The file is not a settings bundle (it does not start with SPBUNDLE).', 'Choose the .spbundle file exported on the central node.');
}

function truncated(message: string): UserError {
  return fail('truncated', message, 'Copy the complete file again from the central node, or export a new bundle there.');
}

function tampered(why: string): UserError {
  return fail('tampered', `The settings bundle is damaged or was changed after it was exported: ${why}.`, 'Copy the file again from the central node, or export a new bundle there.');
}
