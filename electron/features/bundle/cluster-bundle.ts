/** A settings bundle for this cluster: sealed from a central node's settings, opened for this spsetup's product. */
import { UserError } from '../../shared/errors.js';
import type { Platform, Settings } from '../../shared/settings.js';
import { getManifest } from '../../product/index.js';
import { layoutFor, type InstallerContext } from '../installer/installer.js';
import { nodeCaPath } from '../tls/plan-tls.js';
import { bundleContentsFromSettings, type BundleContents } from './contents.js';
import { openBundle, readBundleHeader, sealBundle } from './format.js';

/** The cluster's identity: the given id, or the repository database every node shares. */
export function clusterIdOf(settings: Settings): string {
  const db = settings.database;
  return settings.cluster.id ?? `${db.host}:${db.port}/${db.name}`;
}

/**
 * The settings as another node must see them: a central node's local database is often reached as
 * localhost there, which a rim node would take for itself; other nodes use the central's host name.
 */
export function settingsForOtherNodes(settings: Settings): Settings {
  const host = settings.database.host;
  const loopback = host === 'localhost' || host === '::1' || /^127\./.test(host);
  return settings.database.install === 'local' && loopback ? { ...settings, database: { ...settings.database, host: settings.hostname } } : settings;
}

/**
 * The CA a verify-full site's joining nodes must trust, to carry in the bundle: this node's own copy
 * (its install wrote it), else the given database.tls.ca or caFile. Undefined when nodes do not verify.
 */
export async function readBundleCa(settings: Settings, ctx: InstallerContext): Promise<string | undefined> {
  const db = settings.database;
  if (db.ssl !== 'verify-full') return undefined;
  const own = nodeCaPath(layoutFor(settings, ctx).dataDir);
  for (const path of [own, ...(db.tls?.caFile !== undefined ? [db.tls.caFile] : [])]) {
    const pem = await ctx.sys.files.readText(path).catch(() => undefined);
    if (pem !== undefined) return pem;
  }
  if (db.tls?.ca !== undefined) return db.tls.ca;
  throw new UserError('bundle', `The nodes verify the database server (database.ssl is "verify-full"), but there is no CA certificate to give them: ${own} does not exist.`, 'Install this node first (it writes that file), or set database.tls.caFile to the site CA; then export again.');
}

/** What a bundle carries besides the settings: the site key and the CA, when the node has them. */
export interface BundleExtras {
  readonly siteKey?: string | undefined;
  readonly caCert?: string | undefined;
}

/** Seals the bundle for these settings with the plain database password. */
export async function sealClusterBundle(settings: Settings, password: string, passphrase: string, expiresInMs: number | null, platform: Platform, extras: BundleExtras = {}): Promise<Buffer> {
  const contents = bundleContentsFromSettings(settingsForOtherNodes(settings), {
    clusterId: clusterIdOf(settings),
    productVersion: getManifest(settings.product).version,
    password,
    platform,
    ...(extras.siteKey !== undefined ? { siteKey: extras.siteKey } : {}),
    ...(extras.caCert !== undefined ? { caCert: extras.caCert } : {}),
  });
  return sealBundle(contents, passphrase, { expiresInMs, now: new Date() });
}

/** Opens a bundle for `product` (default: the one it names) at the version this spsetup installs. */
export async function openClusterBundle(bytes: Uint8Array, passphrase: string, product?: string): Promise<BundleContents> {
  const id = product ?? readBundleHeader(bytes).product.id;
  if (id !== 'reference' && id !== 'qlik-sense') {
    throw new UserError('bundle', `This spsetup does not install the product "${id}".`, 'Use the spsetup release that matches the central node.');
  }
  const manifest = getManifest(id);
  return openBundle(bytes, passphrase, { now: new Date(), expectProduct: { id: manifest.id, version: manifest.version } });
}
