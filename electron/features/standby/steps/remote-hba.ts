/**
 * Step kind `pg-hba-remote`: access rules added to a server's pg_hba.conf from another machine,
 * through the superuser's own file functions (pg_read_file; a large object exported over the
 * file). The server validates the candidate (pg_hba_file_rules) before it reloads; a refused
 * candidate is put back at once. The previous text is kept in this machine's state directory.
 */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { contentBasis } from '../../../engine/basis.js';
import { defineStepKind, type StepContext } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import type { PgConnection } from '../../../system/postgres/index.js';
import { ensureHbaRules, formatHbaRule, HBA_TYPES } from '../../../system/postgres/hba-editor.js';
import { unifiedDiff } from '../../../system/text-diff.js';
import { serverRef, withServer } from './server-ref.js';

const rule = z.object({ type: z.enum(HBA_TYPES), database: z.string(), user: z.string(), address: z.string(), method: z.string(), keywords: z.array(z.enum(['database', 'user'])).optional() }).strict();
const params = z.object({ server: serverRef, rules: z.array(rule).min(1) }).strict();

async function readHba(conn: PgConnection): Promise<{ path: string; text: string }> {
  const row = (await conn.query<{ path: string; text: string }>(`SELECT current_setting('hba_file') AS path, pg_read_file(current_setting('hba_file')) AS text`))[0];
  if (!row) throw new UserError('database', 'The server did not return its pg_hba.conf.', 'Check that the user is a superuser.');
  return row;
}

/** Writes the file as the server's own account (it owns pg_hba.conf). */
async function writeHba(conn: PgConnection, path: string, text: string): Promise<void> {
  const oid = (await conn.query<{ oid: number }>(`SELECT lo_from_bytea(0, convert_to($1, 'UTF8')) AS oid`, [text]))[0]!.oid;
  try {
    await conn.query('SELECT lo_export($1, $2)', [oid, path]);
  } finally {
    await conn.query('SELECT lo_unlink($1)', [oid]);
  }
}

async function hbaErrors(conn: PgConnection): Promise<string[]> {
  return (await conn.query<{ e: string }>(`SELECT line_number || ': ' || error AS e FROM pg_hba_file_rules WHERE error IS NOT NULL`)).map((r) => r.e);
}

const title = (rules: z.infer<typeof rule>[]) => rules.map((r) => formatHbaRule(r).replace(/\s+/g, ' ')).join('; ');

export const remoteHbaStep = defineStepKind<typeof params, System>({
  kind: 'pg-hba-remote',
  params,
  async check(p, ctx) {
    const { path, text } = await withServer(p.server, ctx, readHba);
    const after = ensureHbaRules(text, p.rules).text;
    const basis = { [`${p.server.host}:${path}`]: contentBasis(text) };
    if (after === text) return { action: 'noop', summary: `${p.server.host}: pg_hba.conf allows ${title(p.rules)}`, basis };
    return { action: 'update', summary: `${p.server.host}: pg_hba.conf: allow ${title(p.rules)}`, diff: unifiedDiff(`${p.server.host}:${path}`, text, after), basis };
  },
  async apply(p, ctx: StepContext<System>) {
    return withServer(p.server, ctx, async (conn) => {
      const { path, text } = await readHba(conn);
      const after = ensureHbaRules(text, p.rules).text;
      if (after === text) return {};
      const backups = `${ctx.stateDir}/backups`;
      await ctx.sys.files.ensureDir(backups, { mode: 0o700 });
      const backup = `${backups}/pg_hba.conf.${p.server.host}.${Date.now()}`;
      await ctx.sys.files.writeAtomic(backup, text, { mode: 0o600 });
      await writeHba(conn, path, after);
      const errors = await hbaErrors(conn);
      if (errors.length) {
        await writeHba(conn, path, text);
        throw new UserError('config-invalid', `${p.server.host} refused the new pg_hba.conf (${errors.join('; ')}); the previous file is back.`, 'Correct the named line on the server, then run again.');
      }
      await conn.query('SELECT pg_reload_conf()');
      return { backup, path };
    });
  },
  async verify(p, ctx) {
    const { text } = await withServer(p.server, ctx, readHba);
    if (ensureHbaRules(text, p.rules).text !== text) throw new UserError('verify-failed', `${p.server.host}: pg_hba.conf does not hold the replication rule.`, 'Run the command again.');
  },
  async undo(p, ctx, record) {
    const backup = record?.['backup'];
    const path = record?.['path'];
    if (typeof backup !== 'string' || typeof path !== 'string') return;
    const text = await ctx.sys.files.readText(backup);
    if (text === undefined) return;
    await withServer(p.server, ctx, async (conn) => {
      await writeHba(conn, path, text);
      await conn.query('SELECT pg_reload_conf()');
    });
  },
});
