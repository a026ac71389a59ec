/**
 * What a certificate says, read from PEM: names, validity, issuer, fingerprint. The first
 * certificate of a file counts (a file may carry the chain after it).
 */
import { createHash } from 'node:crypto';
import { x509 } from './x509.js';

export interface CertInfo {
  readonly subject: string;
  readonly issuer: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCa: boolean;
  /** SHA-256 of the DER certificate, hex with colons. */
  readonly fingerprint: string;
  /** The subject's public key (SPKI DER). */
  readonly publicKey: Buffer;
}

/** The certificate blocks of a PEM text. */
export function pemCertificates(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** Parses the first certificate of a PEM text; undefined when there is none or it cannot be read. */
export function inspectCert(pem: string): CertInfo | undefined {
  const first = pemCertificates(pem)[0];
  if (!first) return undefined;
  let cert: InstanceType<typeof x509.X509Certificate>;
  try {
    cert = new x509.X509Certificate(first);
  } catch {
    return undefined;
  }
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const names = san?.names.toJSON() ?? [];
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    dnsNames: names.filter((n) => n.type === 'dns').map((n) => n.value),
    ipAddresses: names.filter((n) => n.type === 'ip').map((n) => n.value),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    isCa: basic?.ca ?? false,
    fingerprint: createHash('sha256').update(Buffer.from(cert.rawData)).digest('hex').toUpperCase().replace(/(..)(?!$)/g, '$1:'),
    publicKey: Buffer.from(cert.publicKey.rawData),
  };
}

/** The common name of a distinguished name such as "CN=db1.example.com, O=Site". */
export function commonName(dn: string): string | undefined {
  return /(?:^|,\s*)CN=([^,]+)/.exec(dn)?.[1];
}
