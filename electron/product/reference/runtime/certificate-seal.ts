/**
 * The hand-over of a node's certificate set: the central node seals it with a key derived from the
 * one-time registration password (scrypt, AES-256-GCM) when the registration starts; the rim node
 * proves it knows the password (an HMAC over its host name) to fetch the sealed set once, and opens
 * it. The password itself never travels between the nodes.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { CertificateSet } from './certificates.js';

const SCRYPT = { N: 1 << 14, r: 8, p: 1 } as const;

/** The key both nodes derive from the password and the registration's salt. */
export function deriveRegistrationKey(password: string, salt: Buffer): Buffer {
  return scryptSync(password.normalize('NFC'), salt, 32, SCRYPT);
}

/** What the rim node sends to redeem the password: HMAC(key, "redeem:" + host name), hex. */
export function redeemProof(key: Buffer, hostname: string): string {
  return createHmac('sha256', key).update(`redeem:${hostname}`, 'utf8').digest('hex');
}

/** Whether a proof matches (constant time). */
export function proofMatches(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'hex');
  const b = /^[0-9a-f]{64}$/.test(given) ? Buffer.from(given, 'hex') : Buffer.alloc(0);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A new one-time password (what the QMC shows; here 24 base64url characters). */
export function newRegistrationPassword(): string {
  return randomBytes(18).toString('base64url');
}

/** Seals the node's set (never the CA key) for `hostname`; returns the salt, the proof to expect and the sealed text. */
export function sealCertificateSet(set: CertificateSet, password: string, hostname: string): { salt: string; proof: string; sealed: string } {
  const salt = randomBytes(16);
  const key = deriveRegistrationKey(password, salt);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(hostname, 'utf8'));
  const plain = JSON.stringify({ rootPem: set.rootPem, serverPem: set.serverPem, serverKeyPem: set.serverKeyPem });
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return { salt: salt.toString('base64url'), proof: redeemProof(key, hostname), sealed: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url') };
}

/** Opens a sealed set with the derived key; a wrong password or host name is an error. */
export function openCertificateSet(sealed: string, key: Buffer, hostname: string): CertificateSet {
  const raw = Buffer.from(sealed, 'base64url');
  if (raw.length < 29) throw new Error('the sealed certificate set is truncated');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(hostname, 'utf8'));
  decipher.setAuthTag(raw.subarray(12, 28));
  let text: string;
  try {
    text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    throw new Error('the certificate set cannot be opened with this password');
  }
  const parsed = JSON.parse(text) as Record<string, unknown>;
  const field = (k: string) => {
    const v = parsed[k];
    if (typeof v !== 'string' || !v.includes('-----BEGIN')) throw new Error(`the certificate set has no ${k}`);
    return v;
  };
  return { rootPem: field('rootPem'), serverPem: field('serverPem'), serverKeyPem: field('serverKeyPem') };
}
