/**
 * The migration's settings file: the node's role, where the backup goes, and the target settings
 * (the install settings of the node after the migration). The repository password may be left out:
 * it is then read from the node's existing repository configuration, in memory only.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { UserError } from '../../shared/errors.js';
import type { Settings } from '../../shared/settings.js';
import { validateSettings } from '../installer/load-settings.js';

export const migrationFileSchema = z
  .object({
    role: z.enum(['central', 'rim']),
    backupDir: z.string().min(1, 'a backup folder is required'),
    /** The guide makes the old logs optional; default true. */
    includeArchivedLogs: z.boolean().default(true),
    settings: z.record(z.string(), z.unknown()),
  })
  .strict();
export type MigrationFile = z.output<typeof migrationFileSchema>;

/** Reads and checks the migration file (the target settings are validated once the password is known). */
export async function loadMigrationFile(path: string): Promise<MigrationFile> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError('invalid-input', `Cannot read the migration settings ${path}: ${code ?? (err as Error).message}.`, 'Check the path and that the file is JSON.');
  }
  const parsed = migrationFileSchema.safeParse(raw);
  if (!parsed.success) {
    const list = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ');
    throw new UserError('invalid-input', `The migration settings ${path} have invalid fields: ${list}.`, 'Give role (central or rim), backupDir and settings (the node after the migration).');
  }
  return parsed.data;
}

/** The target settings, with the existing repository password filled in when none is given. */
export function targetSettings(file: MigrationFile, existingPassword: string | undefined): Settings {
  const raw = file.settings as Record<string, unknown>;
  const db = (raw['database'] ?? {}) as Record<string, unknown>;
  const withPassword = db['password'] === undefined && existingPassword !== undefined ? { ...raw, database: { ...db, password: existingPassword } } : raw;
  return validateSettings(withPassword, 'The migration settings (settings)');
}

/** The target settings' installDir and dataDir as they are, before validation (detection needs them first). */
export function nodeFolders(file: MigrationFile): { installDir?: string; dataDir?: string; product?: string } {
  const raw = file.settings as Record<string, unknown>;
  const pick = (k: string) => (typeof raw[k] === 'string' ? (raw[k] as string) : undefined);
  const out: { installDir?: string; dataDir?: string; product?: string } = {};
  const installDir = pick('installDir');
  const dataDir = pick('dataDir');
  const product = pick('product');
  if (installDir) out.installDir = installDir;
  if (dataDir) out.dataDir = dataDir;
  if (product) out.product = product;
  return out;
}
