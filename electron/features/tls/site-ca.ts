/**
 * The site CA kept where the database server's certificate is made (`<stateDir>/tls`): ca.pem
 * (public, 0644: it goes to every node and into the bundle) and ca.key (0600, root only), so the
 * same CA signs a renewed certificate and the nodes keep trusting it.
 */
import { UserError } from '../../shared/errors.js';
import type { System } from '../../system/system.js';
import { inspectCert, makeCa, publicKeyOfPrivate, type PemPair } from '../../system/tls/index.js';

export const SITE_CA_DAYS = 3650;

export const siteCaPaths = (caDir: string) => ({ cert: `${caDir}/ca.pem`, key: `${caDir}/ca.key` });

/** Reads the site CA; undefined when there is none yet; a UserError when it is broken or its key is exposed. */
export async function readSiteCa(sys: System, caDir: string): Promise<PemPair | undefined> {
  const paths = siteCaPaths(caDir);
  const [certPem, keyPem] = await Promise.all([sys.files.readText(paths.cert), sys.files.readText(paths.key)]);
  if (certPem === undefined && keyPem === undefined) return undefined;
  if (certPem === undefined || keyPem === undefined) {
    throw new UserError('conflict', `The site CA in ${caDir} is incomplete (${certPem === undefined ? 'ca.pem' : 'ca.key'} is missing).`, `Put the missing file back, or move ${caDir} away to make a new CA (every node then needs the new ca.pem).`);
  }
  const info = inspectCert(certPem);
  const key = publicKeyOfPrivate(keyPem);
  if (!info?.isCa || !key || !key.equals(info.publicKey)) {
    throw new UserError('conflict', `The site CA in ${caDir} cannot be used: ca.key does not belong to ca.pem, or ca.pem is not a CA.`, `Put the right files back, or move ${caDir} away to make a new CA.`);
  }
  const stat = await sys.files.stat(paths.key);
  if (sys.platform !== 'win32' && stat && (stat.mode & 0o077) !== 0) {
    throw new UserError('conflict', `The site CA key ${paths.key} may be read by other users (mode ${(stat.mode & 0o777).toString(8)}).`, `Restrict it: chmod 600 ${paths.key}`);
  }
  return { certPem, keyPem };
}

/** The site CA, made (and written) when there is none. */
export async function ensureSiteCa(sys: System, caDir: string, siteName: string): Promise<{ ca: PemPair; created: boolean }> {
  const existing = await readSiteCa(sys, caDir);
  if (existing) return { ca: existing, created: false };
  const ca = await makeCa({ commonName: `spsetup site CA ${siteName}`, validDays: SITE_CA_DAYS });
  const paths = siteCaPaths(caDir);
  await sys.files.ensureDir(caDir, { mode: 0o755 });
  await sys.files.writeAtomic(paths.key, ca.keyPem, { mode: 0o600 });
  await sys.files.writeAtomic(paths.cert, ca.certPem, { mode: 0o644 });
  return { ca, created: true };
}
