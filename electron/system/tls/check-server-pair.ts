/**
 * Whether a certificate and key can serve as the database server's: the key belongs to the
 * certificate, the certificate is valid now (and for a while), it names every host the clients
 * use (what verify-full checks) and, given the CA, was signed by it. Each problem is one sentence.
 */
import { isIP } from 'node:net';
import { commonName, inspectCert, pemCertificates, type CertInfo } from './inspect-cert.js';
import { publicKeyOfPrivate } from './keys.js';
import { x509 } from './x509.js';

export interface ServerPairInput {
  readonly certPem: string;
  readonly keyPem: string;
  /** Host names or addresses clients connect to; each must be in the certificate. */
  readonly names: readonly string[];
  readonly caPem?: string;
  readonly now?: Date;
}

export interface ServerPairResult {
  readonly cert?: CertInfo;
  readonly problems: readonly string[];
}

/** Whether `name` (a host name or an IP address) is covered by the certificate's names (one-label wildcards). */
export function certCoversName(cert: CertInfo, name: string): boolean {
  if (isIP(name)) return cert.ipAddresses.includes(name);
  const want = name.toLowerCase();
  const dns = cert.dnsNames.length > 0 ? cert.dnsNames : [commonName(cert.subject) ?? ''];
  return dns.some((d) => {
    const n = d.toLowerCase();
    if (n === want) return true;
    return n.startsWith('*.') && want.endsWith(n.slice(1)) && !want.slice(0, -(n.length - 1)).includes('.');
  });
}

/** Every reason the pair cannot serve; empty when it can. */
export async function checkServerPair(input: ServerPairInput): Promise<ServerPairResult> {
  const problems: string[] = [];
  const cert = inspectCert(input.certPem);
  if (!cert) return { problems: ['the certificate file holds no PEM certificate that can be read'] };
  const key = publicKeyOfPrivate(input.keyPem);
  if (!key) problems.push('the key file holds no PEM private key that can be read (an encrypted key cannot be used: the server reads it without a passphrase)');
  else if (!key.equals(cert.publicKey)) problems.push(`the private key does not belong to the certificate (${cert.subject})`);
  const now = input.now ?? new Date();
  if (cert.notAfter.getTime() <= now.getTime()) problems.push(`the certificate expired on ${cert.notAfter.toISOString()}`);
  if (cert.notBefore.getTime() > now.getTime()) problems.push(`the certificate is not valid before ${cert.notBefore.toISOString()}`);
  const missing = input.names.filter((n) => !certCoversName(cert, n));
  if (missing.length) problems.push(`the certificate does not name ${missing.join(', ')} (it names ${[...cert.dnsNames, ...cert.ipAddresses].join(', ') || commonName(cert.subject) || 'nothing'}), so a verify-full client would refuse it`);
  if (input.caPem !== undefined) {
    const ca = pemCertificates(input.caPem)[0];
    if (!ca) problems.push('the CA file holds no PEM certificate');
    else if (!(await signedBy(pemCertificates(input.certPem)[0]!, ca))) problems.push('the certificate was not signed by the given CA');
  }
  return { cert, problems };
}

async function signedBy(certPem: string, caPem: string): Promise<boolean> {
  try {
    const cert = new x509.X509Certificate(certPem);
    const ca = new x509.X509Certificate(caPem);
    return cert.issuer === ca.subject && (await cert.verify({ publicKey: ca.publicKey, signatureOnly: true }));
  } catch {
    return false;
  }
}
