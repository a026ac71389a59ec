/**
 * Builds the content folders of a synchronized-persistence node (laid out by content-layout.ts)
 * with many small files and a few large ones, deterministic from a seed, and returns every file
 * with its SHA-256 and where the migration should put it on the share.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, utimes } from 'node:fs/promises';
import path from 'node:path';
import { contentLayout } from '../../electron/features/migration/content-layout.js';
import type { ContentId, ContentMapping, LocalContentInput } from '../../electron/features/migration/content-layout.js';
import { shareFolders } from '../../electron/shared/settings.js';

export interface ContentTreeOptions {
  /** Everything is created under this folder: root/data (the local data dir) and root/share. */
  readonly root: string;
  readonly seed?: number;
  readonly smallFiles?: number;
  /** Small file sizes are spread between min and max bytes. */
  readonly smallSize?: { readonly min: number; readonly max: number };
  /** Large files go to Apps (apps are the big files of a site). */
  readonly largeFiles?: number;
  readonly largeSize?: number;
  /** Content folders not to create (the guide: folders are created only when needed). */
  readonly omit?: readonly ContentId[];
}

export interface GeneratedFile {
  readonly mapping: ContentId;
  /** Absolute path of the local file. */
  readonly source: string;
  /** Absolute path where the migration must put it. */
  readonly target: string;
  /** Relative to the mapping's source (and target) with '/' separators. */
  readonly rel: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly sha256: string;
}

export interface ContentTree {
  readonly layoutInput: LocalContentInput;
  readonly mappings: readonly ContentMapping[];
  readonly files: readonly GeneratedFile[];
  readonly bytes: number;
}

/** Where small files go, by weight, with the sub folder names a real site has there. */
const SMALL_PLAN: readonly { id: ContentId; weight: number; dirs: readonly string[]; ext: string }[] = [
  { id: 'static-content/AppContent', weight: 30, dirs: ['', 'img', 'media/thumbs'], ext: 'png' },
  { id: 'static-content/Content', weight: 15, dirs: ['Default', 'Default/images', 'Default/css'], ext: 'css' },
  { id: 'static-content/Extensions', weight: 20, dirs: ['', 'lib', 'lib/vendor/d3', 'assets/icons'], ext: 'js' },
  { id: 'static-content/DefaultContent', weight: 5, dirs: ['', 'theme'], ext: 'json' },
  { id: 'static-content/DefaultApps', weight: 2, dirs: [''], ext: 'qvf' },
  { id: 'apps', weight: 5, dirs: [''], ext: 'qvf' },
  { id: 'custom-data', weight: 8, dirs: ['Data', 'Data/2023/q4'], ext: 'csv' },
  { id: 'connectors', weight: 8, dirs: ['QvRestConnector', 'QvOdbcConnectorPackage/lib'], ext: 'dll' },
  { id: 'archived-logs', weight: 7, dirs: ['node1/Repository/Trace', 'node1/Engine/System'], ext: 'log' },
];

/** Creates the tree; the same options always give the same bytes, names and mtimes. */
export async function generateContentTree(options: ContentTreeOptions): Promise<ContentTree> {
  const rnd = mulberry32(options.seed ?? 1);
  const smallCount = options.smallFiles ?? 200;
  const smallSize = options.smallSize ?? { min: 512, max: 32 * 1024 };
  const largeCount = options.largeFiles ?? 2;
  const largeSize = options.largeSize ?? 4 * 1024 * 1024;
  const omit = new Set(options.omit ?? []);

  const layoutInput: LocalContentInput = {
    platform: 'linux',
    dataDir: path.join(options.root, 'data'),
    share: shareFolders({ root: path.join(options.root, 'share') }, 'linux'),
  };
  const mappings = contentLayout(layoutInput);
  const byId = new Map(mappings.map((m) => [m.id, m]));
  const plan = SMALL_PLAN.filter((p) => !omit.has(p.id));
  if (plan.length === 0) throw new Error('generateContentTree: every content folder is omitted');
  const totalWeight = plan.reduce((n, p) => n + p.weight, 0);
  // Each mapping gets a few GUID-like app folders so the tree nests like a real site.
  const groups = new Map(plan.map((p) => [p.id, Array.from({ length: 4 }, () => guid(rnd))]));

  const files: GeneratedFile[] = [];
  const write = async (mapping: ContentMapping, rel: string, size: number, large: boolean): Promise<void> => {
    const source = path.join(mapping.source, ...rel.split('/'));
    await mkdir(path.dirname(source), { recursive: true });
    const sha256 = large ? await writeLarge(source, size, rnd) : await writeSmall(source, size, rnd);
    // Whole milliseconds, from 2021 on: a copy must keep them.
    const mtimeMs = Date.UTC(2021, 0, 1) + Math.floor(rnd() * 3 * 365 * 86400) * 1000 + Math.floor(rnd() * 1000);
    await utimes(source, new Date(mtimeMs + 86_400_000), new Date(mtimeMs));
    files.push({ mapping: mapping.id, source, target: path.join(mapping.target, ...rel.split('/')), rel, size, mtimeMs, sha256 });
  };

  const apps = byId.get('apps');
  for (let i = 0; i < largeCount; i++) {
    if (!apps || omit.has('apps')) break;
    await write(apps, `${guid(rnd)}.qvf`, largeSize, true);
  }
  for (let i = 0; i < smallCount; i++) {
    let pick = rnd() * totalWeight;
    const p = plan.find((x) => (pick -= x.weight) < 0) ?? plan[plan.length - 1]!;
    const mapping = byId.get(p.id);
    if (!mapping) continue;
    const group = groups.get(p.id)![Math.floor(rnd() * 4)]!;
    const sub = p.dirs[Math.floor(rnd() * p.dirs.length)]!;
    const useGroup = p.id === 'static-content/AppContent' || p.id === 'static-content/Extensions';
    const parts = [useGroup ? group : '', sub, `file-${String(i).padStart(5, '0')}.${p.ext}`].filter((s) => s !== '');
    const size = smallSize.min + Math.floor(rnd() * (smallSize.max - smallSize.min + 1));
    await write(mapping, parts.join('/'), size, false);
  }
  return { layoutInput, mappings, files, bytes: files.reduce((n, f) => n + f.size, 0) };
}

async function writeSmall(file: string, size: number, rnd: () => number): Promise<string> {
  const buf = randomBytes(size, rnd);
  const fh = await open(file, 'w');
  try {
    await fh.write(buf);
  } finally {
    await fh.close();
  }
  return createHash('sha256').update(buf).digest('hex');
}

/** A seeded 1 MiB block, repeated with the chunk number stamped in so every chunk differs. */
async function writeLarge(file: string, size: number, rnd: () => number): Promise<string> {
  const CHUNK = 1024 * 1024;
  const block = randomBytes(CHUNK, rnd);
  const hash = createHash('sha256');
  const fh = await open(file, 'w');
  try {
    for (let pos = 0, n = 0; pos < size; pos += CHUNK, n++) {
      block.writeUInt32LE(n, 0);
      const len = Math.min(CHUNK, size - pos);
      hash.update(block.subarray(0, len));
      await fh.write(block, 0, len, pos);
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

function randomBytes(size: number, rnd: () => number): Buffer {
  const buf = Buffer.allocUnsafe(size);
  let i = 0;
  for (; i + 4 <= size; i += 4) buf.writeUInt32LE((rnd() * 0x1_0000_0000) >>> 0, i);
  for (; i < size; i++) buf[i] = Math.floor(rnd() * 256);
  return buf;
}

function guid(rnd: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rnd() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A small, fast seeded PRNG (mulberry32). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
