/**
 * Step kind: the repository password, read from the existing repository configuration with its
 * XML escapes decoded (the guide's warning), proved by logging in to the repository database.
 * Reads only; the value never leaves memory (the plan refers to it by name).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { parseConnectionString } from '../../../shared/connection-string.js';
import { parseRepositoryConfig } from '../repository-config.js';
import { connectLogin, dbLogin } from './common.js';

const params = z.object({ configPath: z.string(), database: dbLogin });

/** The decoded password in the repository configuration at `path`. */
export async function readRepositoryPassword(path: string): Promise<{ password: string; user: string; escaped: number }> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  const config = text === undefined ? undefined : parseRepositoryConfig(text);
  if (!config || text === undefined) throw new UserError('not-found', `No repository configuration at ${path}.`, 'Check installDir in the settings.');
  const fields = parseConnectionString(config.connectionString);
  const raw = /connectionString="([^"]*)"/.exec(text)?.[1] ?? '';
  return { password: fields.password, user: fields.userId, escaped: (raw.match(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9A-Fa-f]+);/g) ?? []).length };
}

/** The `migration-repository-password` step kind. */
export const repositoryPasswordStep = defineStepKind<typeof params, System>({
  kind: 'migration-repository-password',
  params,
  async check(p) {
    const { user, escaped } = await readRepositoryPassword(p.configPath);
    return { action: 'noop', summary: `Repository password of ${user} read from ${p.configPath}${escaped ? ` (${escaped} XML escape(s) decoded)` : ''}` };
  },
  async apply() {
    // Nothing to change: the password is read at planning and at apply time.
  },
  async verify(p, ctx) {
    const conn = await connectLogin(ctx, p.database);
    await conn.close();
  },
});
