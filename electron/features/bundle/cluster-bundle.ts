/** A settings bundle for this cluster: sealed from a central node's settings, opened for this spsetup's product. */
import { UserError } from '../../shared/errors.js';
import type { Platform, Settings } from '../../shared/settings.js';
import { getManifest } from '../../product/index.js';
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

/** Seals the bundle for these settings with the plain database password (and the site key, when the node has one). */
export async function sealClusterBundle(settings: Settings, password: string, passphrase: string, expiresInMs: number | null, platform: Platform, siteKey?: string): Promise<Buffer> {
  const contents = bundleContentsFromSettings(settingsForOtherNodes(settings), {
    clusterId: clusterIdOf(settings),
    productVersion: getManifest(settings.product).version,
    password,
    platform,
    ...(siteKey !== undefined ? { siteKey } : {}),
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
