/**
 * Reading and writing spc.cfg files. spc.cfg holds the database password in plain text, so it is
 * written with mode 0600 like every secret file.
 */
import { readFile } from 'node:fs/promises';
import { UserError } from '../../shared/errors.js';
import { writeSecretTextFile } from '../bundle/files.js';

const MAX_SPC_BYTES = 1024 * 1024;

/** Writes spc.cfg text with mode 0600, atomically. */
export async function writeSpcFile(path: string, text: string): Promise<void> {
  await writeSecretTextFile(path, text);
}

/** Reads spc.cfg as text: UTF-8 (with or without a BOM) or UTF-16 with a BOM; invalid bytes are an error. */
export async function readSpcFile(path: string): Promise<string> {
  const bytes = await readFile(path).catch((err: unknown) => {
    const code = (err as { code?: unknown } | null)?.code;
    throw new UserError(code === 'ENOENT' ? 'not-found' : 'permission-denied', `Cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : String(code ?? err)}.`, 'Check the path of the spc.cfg file.');
  });
  if (bytes.length > MAX_SPC_BYTES) throw new UserError('invalid-input', `${path} is too large to be an spc.cfg file (${bytes.length} bytes).`, 'Choose the spc.cfg file.');
  return decodeSpcBytes(bytes, path);
}

/** Decodes file bytes by their BOM (UTF-8 when there is none), refusing invalid sequences. */
export function decodeSpcBytes(bytes: Uint8Array, source: string): string {
  const encoding = bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : 'utf-8';
  try {
    // TextDecoder drops the BOM itself.
    return new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    throw new UserError('invalid-input', `${source} is not valid ${encoding.toUpperCase()} text.`, 'Save the file as UTF-8.');
  }
}
