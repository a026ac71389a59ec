/**
 * Whether this node's certificates from the central node are installed: the root certificate and
 * the node's certificate present in the manifest's folder, and the node's signed by the root.
 * Read through Files; checked with Node's X509Certificate (nothing is made here).
 */
import { X509Certificate } from 'node:crypto';
import { joinPath, type Platform } from '../../shared/settings.js';
import type { RegistrationSpec } from '../../product/manifest.js';
import type { Files } from '../../system/types.js';

export type CertificateState =
  | { readonly installed: true; readonly root: string; readonly subject: string; readonly fingerprint: string }
  | { readonly installed: false; readonly why: string };

/** The certificate folder of a node. */
export function certificateFolder(platform: Platform, dataDir: string, spec: RegistrationSpec): string {
  return joinPath(platform, dataDir, spec.certificates.dir);
}

/** Reads and checks the node's installed certificates. */
export async function readNodeCertificates(files: Files, platform: Platform, dataDir: string, spec: RegistrationSpec): Promise<CertificateState> {
  const dir = certificateFolder(platform, dataDir, spec);
  const read = (name: string) => files.readText(joinPath(platform, dir, name)).catch(() => undefined);
  const [rootPem, certPem, keyPem] = await Promise.all([read(spec.certificates.root), read(spec.certificates.clientCert), read(spec.certificates.clientKey)]);
  if (rootPem === undefined || certPem === undefined || keyPem === undefined) return { installed: false, why: `no certificates in ${dir}` };
  try {
    const root = new X509Certificate(rootPem);
    const cert = new X509Certificate(certPem);
    if (!cert.verify(root.publicKey)) return { installed: false, why: `${spec.certificates.clientCert} in ${dir} is not signed by ${spec.certificates.root}` };
    return { installed: true, root: root.fingerprint256, subject: cert.subject, fingerprint: cert.fingerprint256 };
  } catch (err) {
    return { installed: false, why: `the certificates in ${dir} cannot be read: ${(err as Error).message}` };
  }
}
