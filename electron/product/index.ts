/** The products the engine can deploy, by id. */
import type { ProductManifest } from './manifest.js';
import { qlikSenseManifest } from './qlik-sense.js';
import { referenceManifest } from './reference/manifest.js';

export const PRODUCTS: readonly ProductManifest[] = [referenceManifest, qlikSenseManifest];

export type ProductId = ProductManifest['id'];

/** The manifest of a product. */
export function getManifest(id: ProductId): ProductManifest {
  const manifest = PRODUCTS.find((p) => p.id === id);
  if (manifest === undefined) throw new Error(`Unknown product: ${String(id)}`);
  return manifest;
}
