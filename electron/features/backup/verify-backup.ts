/**
 * `spsetup site verify DIR`: checks a site backup without changing anything: the manifest's seal
 * (the passphrase), the dump's size and SHA-256 and that pg_restore reads its table of contents,
 * and every share file's size and SHA-256, with no file missing or added.
 */
import { UserError } from '../../shared/errors.js';
import { hashFile } from '../../system/copy/index.js';
import type { System } from '../../system/system.js';
import { clientBinDir, listDump } from './database.js';
import { MANIFEST_FILE, openManifest, type ManifestBody } from './manifest.js';
import { compareShare } from './share.js';

export interface VerifiedBackup {
  readonly dir: string;
  readonly manifest: ManifestBody;
  /** pg_restore --list entries of the dump. */
  readonly dumpEntries: number;
  readonly client: { readonly binDir: string; readonly major: number };
}

/** The backup's manifest once every check passed; a UserError naming each problem otherwise. */
export async function verifyBackup(sys: System, dir: string, passphrase: string): Promise<VerifiedBackup> {
  const root = dir.replace(/\/+$/, '') || '/';
  if ((await sys.files.stat(root))?.kind !== 'dir') throw new UserError('not-found', `${root} is not a folder.`, 'Give the folder the backup was written to.');
  const text = await sys.files.readText(`${root}/${MANIFEST_FILE}`);
  if (text === undefined) throw new UserError('invalid-input', `${root} holds no backup manifest: it is not a site backup, or the backup did not finish.`, 'Use a complete backup, or make a new one with spsetup site backup.');
  const manifest = await openManifest(text, passphrase, `${root}/${MANIFEST_FILE}`);
  const problems: string[] = [];
  const dumpPath = `${root}/${manifest.database.file}`;
  const dump = await hashFile(dumpPath).catch(() => undefined);
  if (!dump) problems.push(`the database dump ${manifest.database.file} is missing or unreadable`);
  else if (dump.size !== manifest.database.size) problems.push(`the database dump has ${dump.size} bytes (manifest: ${manifest.database.size}): truncated or changed`);
  else if (dump.sha256 !== manifest.database.sha256) problems.push('the database dump was changed (its SHA-256 differs from the manifest)');
  const client = await clientBinDir(sys, manifest.database.dumpVersionMajor);
  let dumpEntries = 0;
  if (!problems.length) dumpEntries = (await listDump(sys, client.binDir, dumpPath)).length;
  const shareDir = `${root}/${manifest.share.dir}`;
  if ((await sys.files.stat(shareDir))?.kind !== 'dir') problems.push(`the share copy ${manifest.share.dir}/ is missing`);
  else problems.push(...(await compareShare(shareDir, manifest.share)).map((p) => `share: ${p}`));
  if (problems.length) {
    const shown = problems.slice(0, 20).map((p) => `  - ${p}`).join('\n');
    throw new UserError('invalid-input', `The backup ${root} does not match its manifest, so it is refused:\n${shown}${problems.length > 20 ? `\n  ... and ${problems.length - 20} more` : ''}`, 'Use another backup (this one was damaged or changed after it was made), or make a new one.');
  }
  return { dir: root, manifest, dumpEntries, client };
}
