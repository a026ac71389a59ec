/**
 * Step kind: the guide's TRUNCATE of the synchronization tables (CASCADE), in one transaction, and
 * only once the content copy is verified: without that manifest it refuses and changes nothing.
 */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { escapeIdentifier } from 'pg';
import { connectLogin, dbLogin } from './common.js';
import { readManifest } from './content-copy.js';

const params = z.object({ database: dbLogin, tables: z.array(z.string()).min(1), requireManifest: z.string().optional() });

async function counts(conn: { query<T extends Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]> }, tables: readonly string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of tables) {
    const [exists] = await conn.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [escapeIdentifier(t)]);
    if (!exists?.ok) throw new UserError('database', `The synchronization table "${t}" does not exist in the repository database.`, 'Check that the settings point at this site\'s repository database.');
    const [row] = await conn.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${escapeIdentifier(t)}`);
    out[t] = Number(row?.n ?? 0);
  }
  return out;
}

/** The `migration-truncate-sync` step kind. */
export const truncateSyncStep = defineStepKind<typeof params, System>({
  kind: 'migration-truncate-sync',
  params,
  async check(p, ctx) {
    const conn = await connectLogin(ctx, p.database);
    try {
      const c = await counts(conn, p.tables);
      const rows = Object.values(c).reduce((a, b) => a + b, 0);
      if (rows === 0) return { action: 'noop', summary: 'The synchronization tables are empty' };
      return { action: 'delete', summary: `TRUNCATE ${p.tables.length} synchronization tables (${rows} row(s): ${Object.entries(c).filter(([, n]) => n > 0).map(([t, n]) => `${t} ${n}`).join(', ')})` };
    } finally {
      await conn.close();
    }
  },
  async apply(p, ctx) {
    if (p.requireManifest && !(await readManifest(p.requireManifest))) {
      throw new UserError('conflict', 'The content copy to the share is not verified: the synchronization tables were not truncated.', 'Resume the migration: the copy runs again first.');
    }
    const conn = await connectLogin(ctx, p.database);
    try {
      await conn.query('BEGIN');
      try {
        await conn.query(`TRUNCATE ${p.tables.map(escapeIdentifier).join(', ')} CASCADE`);
        await conn.query('COMMIT');
      } catch (err) {
        await conn.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      await conn.close();
    }
  },
  async verify(p, ctx) {
    const conn = await connectLogin(ctx, p.database);
    try {
      const left = Object.entries(await counts(conn, p.tables)).filter(([, n]) => n > 0);
      if (left.length) throw new UserError('verify-failed', `Rows are left in ${left.map(([t]) => t).join(', ')}.`, 'Resume the migration.');
    } finally {
      await conn.close();
    }
  },
});
