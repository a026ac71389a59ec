/**
 * The site key: 32 random bytes made when the cluster is created, kept protected on every node
 * (root/LocalSystem only) and never in the database. It authenticates every operation (HMAC) and
 * encrypts any secret an operation carries (AES-256-GCM), each with its own derived key.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { UserError } from '../../shared/errors.js';

/** A secret sealed with the site key, as stored in an operation's payload. */
export interface SealedSecret {
  readonly sealed: string;
}

const KEY_TEXT = /^[A-Za-z0-9_-]{43}$/;

/** A new site key, as text (base64url of 32 bytes). */
export function generateSiteKey(): string {
  return randomBytes(32).toString('base64url');
}

/** Checks the stored form of a site key. */
export function parseSiteKey(text: string): Buffer {
  const trimmed = text.trim();
  if (!KEY_TEXT.test(trimmed)) throw new UserError('invalid-input', 'The site key is not valid (expected 43 base64url characters).', 'Copy it again from the central node, or join the node with a settings bundle.');
  return Buffer.from(trimmed, 'base64url');
}

function derive(key: Buffer, purpose: 'operation-mac' | 'secret-box'): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `spsetup site ${purpose}`, 32));
}

/** The HMAC of an operation's payload text (hex). */
export function signPayload(key: Buffer, payload: string): string {
  return createHmac('sha256', derive(key, 'operation-mac')).update(payload, 'utf8').digest('hex');
}

/** Whether the signature is the payload's HMAC under this key (constant time). */
export function verifyPayload(key: Buffer, payload: string, signature: string): boolean {
  const wanted = Buffer.from(signPayload(key, payload), 'hex');
  const given = /^[0-9a-f]{64}$/.test(signature) ? Buffer.from(signature, 'hex') : Buffer.alloc(0);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** Encrypts a secret for a payload; `context` (the operation id) is bound in as associated data. */
export function sealSecret(key: Buffer, value: string, context: string): SealedSecret {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', derive(key, 'secret-box'), iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return { sealed: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url') };
}

/** Decrypts a sealed secret; a wrong key or context is an error. */
export function openSecret(key: Buffer, secret: SealedSecret, context: string): string {
  const raw = Buffer.from(secret.sealed, 'base64url');
  if (raw.length < 28) throw new UserError('invalid-input', 'A sealed secret in the operation is truncated.', 'Send the operation again.');
  const decipher = createDecipheriv('aes-256-gcm', derive(key, 'secret-box'), raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(raw.subarray(12, 28));
  try {
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    throw new UserError('invalid-input', 'A sealed secret in the operation cannot be opened with this node\'s site key.', 'Check that every node has the same site key.');
  }
}
