/**
 * The site backup's manifest: what the backup holds (versions, nodes, the database dump and every
 * share file with its size and SHA-256, the tables' row counts and digests, the timings) and a
 * seal: an HMAC-SHA256 over the manifest text with a key derived from the backup passphrase
 * (scrypt), plus a check value that tells a wrong passphrase from a changed manifest. So a backup
 * whose files, or whose manifest, were changed after it was made is refused, and nobody without the
 * passphrase can make a changed one pass. Nothing in it is secret.
 */
import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { UserError } from '../../shared/errors.js';

export const MANIFEST_FILE = 'manifest.json';
export const DUMP_FILE = 'repository.dump';
export const SHARE_DIR = 'share';
export const BACKUP_FORMAT = 'spsetup-site-backup';
export const BACKUP_FORMAT_VERSION = 1;

/** scrypt cost written by this version, and the most a manifest may ask for (a crafted one is refused before deriving). */
export const DEFAULT_KDF = { N: 2 ** 15, r: 8, p: 1 } as const;
const MAX_KDF = { N: 2 ** 16, r: 8, p: 1 } as const;
const CHECK_LABEL = 'spsetup site backup passphrase check';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const relPath = z.string().min(1).refine((p) => !p.startsWith('/') && !p.split('/').some((s) => s === '' || s === '.' || s === '..'), 'a relative path inside the backup');

export const tableDigestSchema = z.object({ name: z.string().min(1), rows: z.number().int().min(0), md5: z.string().regex(/^[0-9a-f]{32}$/) }).strict();
export type TableDigest = z.infer<typeof tableDigestSchema>;

export const manifestBodySchema = z
  .object({
    format: z.literal(BACKUP_FORMAT),
    formatVersion: z.number().int().min(1),
    spsetupVersion: z.string().min(1),
    product: z.object({ id: z.string().min(1), version: z.string().min(1) }).strict(),
    /** The site as `site status` showed it when the backup started. */
    nodes: z.array(z.object({ hostname: z.string(), isCentral: z.boolean() }).strict()),
    database: z
      .object({
        name: z.string().min(1),
        endpoint: z.string().min(1),
        serverVersionNum: z.number().int(),
        dumpVersionMajor: z.number().int(),
        file: z.literal(DUMP_FILE),
        size: z.number().int().min(0),
        sha256,
        /** Schemas left out of the dump (spsetup's own: operations and heartbeats are not content). */
        excludedSchemas: z.array(z.string()),
        /** Every product table in the dump's snapshot, sorted by name. */
        tables: z.array(tableDigestSchema),
        sequences: z.array(z.object({ name: z.string(), lastValue: z.string(), isCalled: z.boolean() }).strict()),
      })
      .strict(),
    share: z
      .object({
        root: z.string().min(1),
        dir: z.literal(SHARE_DIR),
        bytes: z.number().int().min(0),
        dirs: z.array(relPath),
        files: z.array(z.object({ path: relPath, size: z.number().int().min(0), sha256, mode: z.number().int().min(0).max(0o7777) }).strict()),
        /** Links and special files found in the share: named, not copied. */
        skipped: z.array(z.string()),
      })
      .strict(),
    startedAt: z.string().datetime(),
    endedAt: z.string().datetime(),
    /** From the services stopped on every node to all of them started again (0 for a backup taken with services left as they were). */
    downtimeMs: z.number().int().min(0),
    servicesStopped: z.boolean(),
  })
  .strict();
export type ManifestBody = z.infer<typeof manifestBodySchema>;

const kdfSchema = z.object({ name: z.literal('scrypt'), N: z.number().int(), r: z.number().int(), p: z.number().int(), salt: z.string().min(16) }).strict();
const sealedSchema = z.object({ format: z.literal(BACKUP_FORMAT), kdf: kdfSchema, check: z.string(), mac: z.string(), body: z.string() }).strict();
type Kdf = z.infer<typeof kdfSchema>;

const refuse = (message: string, fix = 'Use another backup, or make a new one with spsetup site backup.') => new UserError('invalid-input', message, fix);

async function deriveKey(passphrase: string, kdf: Kdf): Promise<{ macKey: Buffer; checkKey: Buffer }> {
  const maxmem = 128 * kdf.N * kdf.r * 2 + 1024 * 1024;
  const material = await new Promise<Buffer>((resolve, reject) =>
    scrypt(passphrase.normalize('NFC'), Buffer.from(kdf.salt, 'base64'), 64, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem }, (err, key) => (err ? reject(err) : resolve(key))),
  );
  return { macKey: material.subarray(0, 32), checkKey: material.subarray(32) };
}

const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text, 'utf8').digest();

/** The manifest file's text: the body sealed with the passphrase. */
export async function sealManifest(body: ManifestBody, passphrase: string, kdfCost: { N: number; r: number; p: number } = DEFAULT_KDF): Promise<string> {
  const kdf: Kdf = { name: 'scrypt', ...kdfCost, salt: randomBytes(16).toString('base64') };
  const keys = await deriveKey(passphrase, kdf);
  const text = JSON.stringify(manifestBodySchema.parse(body), null, 1);
  return `${JSON.stringify({ format: BACKUP_FORMAT, kdf, check: hmac(keys.checkKey, CHECK_LABEL).toString('hex'), mac: hmac(keys.macKey, text).toString('hex'), body: text }, null, 1)}\n`;
}

/** The manifest's body once its seal verifies with this passphrase; a clear refusal otherwise. */
export async function openManifest(text: string, passphrase: string, where: string): Promise<ManifestBody> {
  let outer: z.infer<typeof sealedSchema>;
  try {
    outer = sealedSchema.parse(JSON.parse(text));
  } catch {
    throw refuse(`${where} is not an spsetup site backup manifest (or it is truncated).`);
  }
  const { N, r, p } = outer.kdf;
  if (N > MAX_KDF.N || r > MAX_KDF.r || p > MAX_KDF.p || N < 2 || (N & (N - 1)) !== 0 || r < 1 || p < 1) {
    throw refuse(`${where} asks for a key derivation cost this version does not accept (N ${N}, r ${r}, p ${p}): it was not written by spsetup.`);
  }
  const keys = await deriveKey(passphrase, outer.kdf);
  const same = (hex: string, wanted: Buffer) => /^[0-9a-f]{64}$/.test(hex) && timingSafeEqual(Buffer.from(hex, 'hex'), wanted);
  if (!same(outer.check, hmac(keys.checkKey, CHECK_LABEL))) {
    throw new UserError('invalid-input', `The passphrase is wrong for the backup ${where}.`, 'Give the passphrase file used when the backup was made (the passphrase is case-sensitive).');
  }
  if (!same(outer.mac, hmac(keys.macKey, outer.body))) throw refuse(`The backup manifest ${where} was changed after the backup was made (its seal does not verify): the backup is refused.`);
  let body: unknown;
  try {
    body = JSON.parse(outer.body);
  } catch {
    throw refuse(`The backup manifest ${where} is not readable.`);
  }
  const parsed = manifestBodySchema.safeParse(body);
  if (!parsed.success) {
    const version = (body as { formatVersion?: unknown } | null)?.formatVersion;
    if (typeof version === 'number' && version > BACKUP_FORMAT_VERSION) throw refuse(`The backup ${where} was made by a newer spsetup (backup format ${version}; this one reads ${BACKUP_FORMAT_VERSION}).`, 'Verify or restore it with the spsetup release that made it.');
    throw refuse(`The backup manifest ${where} does not describe a backup this version understands: ${parsed.error.issues[0]?.message ?? 'invalid'}.`);
  }
  if (parsed.data.formatVersion > BACKUP_FORMAT_VERSION) throw refuse(`The backup ${where} was made by a newer spsetup (backup format ${parsed.data.formatVersion}; this one reads ${BACKUP_FORMAT_VERSION}).`, 'Verify or restore it with the spsetup release that made it.');
  return parsed.data;
}
