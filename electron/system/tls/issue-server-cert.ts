/**
 * A server certificate for the database host, signed by the site CA: its names (DNS names and IP
 * addresses) are the subject alternative names a verify-full client checks.
 */
import { isIP } from 'node:net';
import { randomBytes } from 'node:crypto';
import { generateKeyPair, importSigningKey, privateKeyPem, SIGNING_ALGORITHM } from './keys.js';
import type { PemPair } from './make-ca.js';
import { x509 } from './x509.js';

const DAY_MS = 86_400_000;

/** Issues a certificate for `names` (first one is the common name) valid for `validDays`. */
export async function issueServerCert(opts: { ca: PemPair; names: readonly string[]; validDays: number; now?: Date }): Promise<PemPair> {
  if (opts.names.length === 0) throw new Error('issueServerCert: at least one name');
  const now = opts.now ?? new Date();
  const caCert = new x509.X509Certificate(opts.ca.certPem);
  const caKey = await importSigningKey(opts.ca.keyPem);
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(16).toString('hex').replace(/^[89a-f]/, '1'),
    subject: [{ CN: [opts.names[0]!] }],
    issuer: caCert.subjectName,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + opts.validDays * DAY_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(opts.names.map((n) => (isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n }))),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}
