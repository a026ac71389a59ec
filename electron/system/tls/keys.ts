/**
 * Key pairs for certificates: RSA 2048 with SHA-256 (what every PostgreSQL client driver accepts,
 * the vendor's older ones included), written as unencrypted PKCS#8 PEM because the server reads
 * its key file without a passphrase; the file's access (0600, the server's account) protects it.
 */
import { createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';

export const SIGNING_ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;

/** A new signing key pair (extractable, so the private key can be written to its file). */
export async function generateKeyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(SIGNING_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** The private key as PKCS#8 PEM. */
export async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** A PEM private key (PKCS#8, PKCS#1 or SEC1) as a WebCrypto signing key; throws on anything else. */
export async function importSigningKey(pem: string): Promise<CryptoKey> {
  const der = createPrivateKey(pem).export({ format: 'der', type: 'pkcs8' });
  return webcrypto.subtle.importKey('pkcs8', der, { name: SIGNING_ALGORITHM.name, hash: SIGNING_ALGORITHM.hash }, false, ['sign']);
}

/** The public key (SPKI DER) that belongs to a PEM private key; undefined when it is not a key. */
export function publicKeyOfPrivate(pem: string): Buffer | undefined {
  try {
    return createPublicKey(createPrivateKey(pem)).export({ format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}
