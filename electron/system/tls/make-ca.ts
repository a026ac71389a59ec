/**
 * A site certificate authority: a self-signed CA certificate that signs the database server's
 * certificate, so that clients can verify the server (verify-full) with the CA from the bundle.
 */
import { randomBytes } from 'node:crypto';
import { generateKeyPair, privateKeyPem, SIGNING_ALGORITHM } from './keys.js';
import { x509 } from './x509.js';

export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}

const DAY_MS = 86_400_000;

/** A new CA valid from now (minus a minute of clock skew) for `validDays`. */
export async function makeCa(opts: { commonName: string; validDays: number; now?: Date }): Promise<PemPair> {
  const now = opts.now ?? new Date();
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(16).toString('hex').replace(/^[89a-f]/, '1'),
    name: [{ CN: [opts.commonName] }],
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + opts.validDays * DAY_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}
