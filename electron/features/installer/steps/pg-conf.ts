/**
 * Step kinds: postgresql.conf settings of a server that is not running yet (a local database this
 * plan creates: validated offline with `postgres -C`), and pg_hba.conf rules (offline, or on a
 * running server, which checks them through pg_hba_file_rules before it is reloaded). Settings of
 * a running server are changed where they take effect by the `pg-settings` kind. The edit touches
 * only the lines it must and the file is backed up first.
 */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { contentBasis } from '../../../engine/basis.js';
import { defineStepKind, type StepContext } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { unifiedDiff } from '../../../system/text-diff.js';
import { readConfSetting, setConfSettings } from '../../../system/postgres/conf-editor.js';
import { HBA_TYPES, ensureHbaRules, formatHbaRule } from '../../../system/postgres/hba-editor.js';
import { adminServer, connectAdmin } from './pg-admin.js';

/** A running server to validate and reload through (dedicated database preparation). */
const liveServer = adminServer.extend({ restart: z.array(z.string()).optional() });

const confParams = z.object({
  path: z.string(),
  settings: z.record(z.string(), z.string()),
  validate: z.object({ binDir: z.string(), dataDir: z.string(), osUser: z.string() }).optional(),
  /** A running server whose postgresql.conf holds these settings (the migration's existing database). */
  live: liveServer.optional(),
  /** Settings only ever raised: a higher value in the file is kept (other nodes may count on it). */
  neverLower: z.array(z.string()).optional(),
});
type ConfParams = z.infer<typeof confParams>;

/** The settings to write into this text: the wanted ones, with a higher value of a `neverLower` one kept, and why. */
function effectiveSettings(p: ConfParams, text: string): { settings: Record<string, string>; kept: string[] } {
  const settings = { ...p.settings };
  const kept: string[] = [];
  for (const name of p.neverLower ?? []) {
    const current = Number(readConfSetting(text, name));
    const wanted = Number(settings[name]);
    if (current > wanted) {
      settings[name] = String(current);
      kept.push(`${name} stays ${current}, above the ${wanted} needed`);
    }
  }
  return { settings, kept };
}

const hbaParams = z.object({
  path: z.string(),
  rules: z.array(z.object({ type: z.enum(HBA_TYPES), database: z.string(), user: z.string(), address: z.string(), method: z.string(), keywords: z.array(z.enum(['database', 'user'])).optional() })),
  live: liveServer.optional(),
});

async function readRequired(sys: System, path: string): Promise<string> {
  const text = await sys.files.readText(path);
  if (text === undefined) throw new UserError('not-found', `${path} does not exist.`, 'Check the database data directory.');
  return text;
}

type Edit = (text: string) => string;

async function checkEdit(sys: System, path: string, edit: Edit, what: string) {
  const before = await sys.files.readText(path);
  const basis = { [path]: contentBasis(before) };
  if (before === undefined) return { action: 'create' as const, summary: `${what} in ${path} (written when the database is created)`, basis };
  const after = edit(before);
  if (after === before) return { action: 'noop' as const, summary: `${what}: already set`, basis };
  return { action: 'update' as const, summary: `${what} in ${path}`, diff: unifiedDiff(path, before, after), basis };
}

/** Writes an edit through the running server's own validation, then reloads (and restarts if needed). */
async function applyLive(ctx: StepContext<System>, kind: 'conf' | 'hba', path: string, candidate: string, live: z.infer<typeof liveServer>, expect?: Record<string, string>) {
  const { sys } = ctx;
  const conn = await connectAdmin(live, ctx);
  let result;
  try {
    result = await sys.postgres.applyConfig(conn, { kind, path, candidate, backup: (p) => sys.files.backup(p, `${ctx.stateDir}/backups`), ...(expect ? { expect } : {}) });
  } finally {
    await conn.close();
  }
  if (result.restartNeeded.length) {
    if (!live.restart?.length) {
      ctx.log(`PostgreSQL must be restarted for ${result.restartNeeded.join(', ')} to take effect: restart the database service.`, 'warn');
    } else {
      ctx.log(`Restarting PostgreSQL for ${result.restartNeeded.join(', ')}.`);
      const [file, ...args] = live.restart;
      await sys.processes.run(file!, args, { timeoutMs: 120_000 });
    }
  }
  return result.backupPath ? { backup: result.backupPath } : {};
}

async function applyOffline(ctx: StepContext<System>, path: string, candidate: string, validate?: z.infer<typeof confParams>['validate'], names: string[] = []) {
  const { sys } = ctx;
  if (validate) await sys.postgres.validateOffline({ ...validate, conf: candidate, names });
  const backup = await sys.files.backup(path, `${ctx.stateDir}/backups`);
  await sys.files.writeAtomic(path, candidate); // keeps the file's owner and mode
  return backup ? { backup } : {};
}

async function restoreBackup(sys: System, path: string, record: Record<string, unknown> | undefined) {
  const backup = record?.['backup'];
  if (typeof backup !== 'string') return;
  const text = await sys.files.readText(backup);
  if (text !== undefined) await sys.files.writeAtomic(path, text);
}

/** The `pg-conf` step kind. */
export const pgConfStep = defineStepKind<typeof confParams, System>({
  kind: 'pg-conf',
  params: confParams,
  async check(p, { sys }) {
    const { settings, kept } = effectiveSettings(p, (await sys.files.readText(p.path)) ?? '');
    const what = `Set ${Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join(', ')}${kept.length ? ` (${kept.join('; ')})` : ''}`;
    return checkEdit(sys, p.path, (t) => setConfSettings(t, settings).text, what);
  },
  async apply(p, ctx) {
    const text = await readRequired(ctx.sys, p.path);
    const { settings } = effectiveSettings(p, text);
    const candidate = setConfSettings(text, settings).text;
    if (p.live) return applyLive(ctx, 'conf', p.path, candidate, p.live, settings);
    return applyOffline(ctx, p.path, candidate, p.validate, Object.keys(settings));
  },
  async verify(p, { sys }) {
    const text = await readRequired(sys, p.path);
    for (const [name, value] of Object.entries(effectiveSettings(p, text).settings)) {
      if (readConfSetting(text, name) !== value) throw new UserError('verify-failed', `${p.path}: ${name} is not ${value} after the edit.`, 'Another program may have changed the file; resume to try again.');
    }
  },
  async undo(p, { sys }, record) {
    await restoreBackup(sys, p.path, record);
  },
});

/** The `pg-hba` step kind. */
export const pgHbaStep = defineStepKind<typeof hbaParams, System>({
  kind: 'pg-hba',
  params: hbaParams,
  async check(p, { sys }) {
    return checkEdit(sys, p.path, (t) => ensureHbaRules(t, p.rules).text, `Allow ${p.rules.map(formatHbaRule).map((r) => r.replace(/\s+/g, ' ')).join('; ')}`);
  },
  async apply(p, ctx) {
    const candidate = ensureHbaRules(await readRequired(ctx.sys, p.path), p.rules).text;
    if (p.live) return applyLive(ctx, 'hba', p.path, candidate, p.live);
    return applyOffline(ctx, p.path, candidate);
  },
  async verify(p, ctx) {
    const text = await readRequired(ctx.sys, p.path);
    if (ensureHbaRules(text, p.rules).text !== text) throw new UserError('verify-failed', `${p.path} does not hold the access rules after the edit.`, 'Resume to try again.');
    if (!p.live) return;
    const conn = await connectAdmin(p.live, ctx);
    try {
      const errors = await conn.query<{ line_number: number | null; error: string }>('SELECT line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL');
      if (errors.length) throw new UserError('verify-failed', `PostgreSQL cannot use ${p.path}: ${errors.map((e) => `line ${e.line_number ?? '?'}: ${e.error}`).join('; ')}.`, 'Correct those lines, then run again.');
    } finally {
      await conn.close();
    }
  },
  async undo(p, ctx, record) {
    await restoreBackup(ctx.sys, p.path, record);
    if (!p.live || typeof record?.['backup'] !== 'string') return;
    const conn = await connectAdmin(p.live, ctx);
    try {
      await conn.query('SELECT pg_reload_conf()');
    } finally {
      await conn.close();
    }
  },
});
