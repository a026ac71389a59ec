/**
 * Step kind `pg-settings`: server settings of a running PostgreSQL changed where they take effect.
 * The check reads pg_settings and pg_file_settings: a value whose winning line is in
 * postgresql.auto.conf is changed with ALTER SYSTEM, one in an included file in that file, one no
 * file sets in postgresql.conf, and one from the command line is refused. Edited files are
 * validated with `postgres -C` (every include present) before anything is written, and that check
 * must show the new value winning. Apply backs up, writes, reloads, restarts only when
 * pending_restart says so, and is done only when pg_settings shows every value; on any failure it
 * puts every file and ALTER SYSTEM value back first.
 */
import { z } from 'zod';
import { escapeIdentifier, escapeLiteral } from '../../../system/postgres/sql.js';
import { UserError } from '../../../shared/errors.js';
import { contentBasis } from '../../../engine/basis.js';
import { defineStepKind, type StepContext, type UndoRecord } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { unifiedDiff } from '../../../system/text-diff.js';
import { setConfSettings } from '../../../system/postgres/conf-editor.js';
import type { PgConnection } from '../../../system/postgres/client.js';
import { autoConfPath, describeTarget, sameSettingValue, settingTargets, type SettingChange, type SettingsFacts } from '../../../system/postgres/setting-sources.js';
import { adminServer, connectAdmin, type AdminServer } from './pg-admin.js';

const params = z.object({
  server: adminServer,
  settings: z.record(z.string(), z.string()),
  /** The command that restarts the server (as its owner); without it a needed restart fails the step. */
  restart: z.array(z.string()).optional(),
});
type Params = z.infer<typeof params>;
type Ctx = Pick<StepContext<System>, 'sys' | 'secret'>;

interface Work {
  readonly facts: SettingsFacts;
  readonly changes: SettingChange[];
  /** Edited files: path -> [before, after]. */
  readonly files: Map<string, { before: string; after: string }>;
  readonly alter: SettingChange[];
  readonly restartOnly: boolean;
}

async function withConn<T>(p: Params, ctx: Ctx, f: (conn: PgConnection) => Promise<T>): Promise<T> {
  const conn = await connectAdmin(p.server, ctx);
  try {
    return await f(conn);
  } finally {
    await conn.close();
  }
}

/** Reads the server and works out every change, refusing (before any change) what cannot be done. */
async function plan(p: Params, ctx: Ctx, conn: PgConnection): Promise<Work> {
  const { sys } = ctx;
  const facts = await sys.postgres.settingsFacts(conn, Object.keys(p.settings));
  if (facts.fileErrors.length) {
    const list = facts.fileErrors.slice(0, 5).map((e) => `${e.sourcefile ?? 'postgresql.conf'} line ${e.sourceline ?? '?'}${e.name ? ` (${e.name})` : ''}: ${e.error}`);
    throw new UserError('preflight-failed', `The server's configuration files already hold errors, so a reload would not take a change: ${list.join('; ')}. Nothing was changed.`, 'Correct those lines (SELECT * FROM pg_file_settings WHERE error IS NOT NULL), then run again.');
  }
  const changes = settingTargets(facts, p.settings);
  const refused = changes.filter((c) => c.target.kind === 'refused');
  if (refused.length) {
    throw new UserError('preflight-failed', `Cannot change ${refused.map((c) => describeTarget(c, facts)).join('; ')}. Nothing was changed.`, 'Change it where it is set, or ask for the value it has.');
  }
  const files = new Map<string, { before: string; after: string }>();
  for (const c of changes) {
    if (c.target.kind !== 'file') continue;
    const path = c.target.path;
    const entry = files.get(path) ?? { before: await readRequired(sys, path), after: '' };
    entry.after = setConfSettings(entry.after || entry.before, { [c.name]: c.value }).text;
    files.set(path, entry);
  }
  const alter = changes.filter((c) => c.target.kind === 'alter-system');
  const restartOnly = files.size === 0 && alter.length === 0 && changes.some((c) => c.target.kind === 'restart');
  return { facts, changes, files, alter, restartOnly };
}

async function readRequired(sys: System, path: string): Promise<string> {
  const text = await sys.files.readText(path);
  if (text === undefined) throw new UserError('preflight-failed', `Cannot read ${path}, which sets a value the server uses.`, 'Run spsetup on the database server as root (or the server account).');
  return text;
}

/** postgres -C with the edits: refuses a bad value, and an edit some other file would override. */
async function validate(p: Params, ctx: Ctx, conn: PgConnection, work: Work): Promise<void> {
  if (work.files.size === 0) return;
  const edits = new Map([...work.files].map(([path, f]) => [path, f.after]));
  const fileChanges = work.changes.filter((c) => c.target.kind === 'file');
  let values;
  try {
    values = await ctx.sys.postgres.validateEdits(conn, edits, fileChanges.map((c) => c.name));
  } catch (err) {
    if (err instanceof UserError && err.code === 'config-invalid') throw new UserError('config-invalid', `${err.message.replace(/\.?$/, '.')} Nothing was changed.`, err.fix);
    throw err;
  }
  if (!values) return;
  const lost = fileChanges.filter((c) => !sameSettingValue(c.name, values[c.name] ?? '', c.value));
  if (lost.length) {
    throw new UserError('preflight-failed', `With the edit, ${lost.map((c) => `${c.name} would still be ${values[c.name]}`).join(', ')}: a later file or include overrides it. Nothing was changed.`, 'See SELECT name, setting, sourcefile, sourceline FROM pg_file_settings for the line that wins.');
  }
}

function diffOf(work: Work, autoBefore: string | undefined): string {
  const parts = [...work.files].map(([path, f]) => unifiedDiff(path, f.before, f.after));
  if (work.alter.length) {
    const sql = work.alter.map((c) => `ALTER SYSTEM SET ${c.name} = ${escapeLiteral(c.value)};`).join('\n');
    const auto = autoConfPath(work.facts.dataDir);
    parts.push(autoBefore === undefined ? `# ${auto} (by ALTER SYSTEM)\n${sql}\n` : unifiedDiff(`${auto} (by ALTER SYSTEM)`, autoBefore, setConfSettings(autoBefore, Object.fromEntries(work.alter.map((c) => [c.name, c.value]))).text));
  }
  return parts.join('');
}

async function reload(conn: PgConnection): Promise<void> {
  const ok = (await conn.query<{ ok: boolean }>('SELECT pg_reload_conf() AS ok'))[0]?.ok;
  if (ok !== true) throw new UserError('apply-failed', 'PostgreSQL did not accept the reload signal.', 'Reload it by hand (pg_ctl reload) and check the server log.');
}

interface Observed {
  readonly name: string;
  readonly setting: string;
  readonly pending: boolean;
  readonly sourcefile: string | null;
  readonly source: string;
}

async function observe(conn: PgConnection, names: readonly string[]): Promise<Observed[]> {
  const rows = await conn.query<{ name: string; setting: string; pending_restart: boolean; sourcefile: string | null; source: string }>(
    'SELECT name, setting, pending_restart, sourcefile, source FROM pg_settings WHERE name = ANY($1::text[])',
    [names.map((n) => n.toLowerCase())],
  );
  return rows.map((r) => ({ name: r.name, setting: r.setting, pending: r.pending_restart, sourcefile: r.sourcefile, source: r.source }));
}

/** After a reload: waits (bounded) until each value is in effect or pending a restart; whether a restart is needed. */
async function settle(conn: PgConnection, wanted: Readonly<Record<string, string>>, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await observe(conn, Object.keys(wanted));
    const open = rows.filter((r) => !sameSettingValue(r.name, r.setting, wantedOf(wanted, r.name)));
    if (open.every((r) => r.pending)) return rows.some((r) => r.pending);
    if (Date.now() > deadline) throw notInEffect(rows, wanted);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function wantedOf(wanted: Readonly<Record<string, string>>, name: string): string {
  return wanted[name] ?? wanted[Object.keys(wanted).find((k) => k.toLowerCase() === name)!] ?? '';
}

function notInEffect(rows: readonly Observed[], wanted: Readonly<Record<string, string>>): UserError {
  const off = rows.filter((r) => r.pending || !sameSettingValue(r.name, r.setting, wantedOf(wanted, r.name)));
  const list = off.map((r) => `${r.name} is ${r.setting}${r.pending ? ' (pending a restart)' : ''}, from ${r.sourcefile ?? r.source}`);
  return new UserError('verify-failed', `PostgreSQL does not use the new values: ${list.join('; ')}.`, 'Another file, ALTER SYSTEM or the command line sets them; see SELECT * FROM pg_file_settings.');
}

async function restart(p: Params, ctx: StepContext<System>, why: string): Promise<void> {
  if (!p.restart?.length) throw new UserError('apply-failed', `PostgreSQL must be restarted for ${why}, and spsetup does not know how here.`, 'Run spsetup on the database server itself (it restarts through pg_ctl as the server account).');
  ctx.log(`Restarting PostgreSQL for ${why}.`);
  const [file, ...args] = p.restart;
  await ctx.sys.processes.run(file!, args, { timeoutMs: 120_000 });
}

/** Puts the edited files and ALTER SYSTEM values back, reloads, and restarts when the old values need it. */
async function putBack(p: Params, ctx: StepContext<System>, files: readonly { path: string; backup: string }[], altered: Readonly<Record<string, string>>): Promise<void> {
  for (const f of files) {
    const text = await ctx.sys.files.readText(f.backup);
    if (text !== undefined) await ctx.sys.files.writeAtomic(f.path, text);
  }
  let restartNeeded = false;
  await withConn(p, ctx, async (conn) => {
    for (const [name, value] of Object.entries(altered)) await conn.query(`ALTER SYSTEM SET ${escapeIdentifier(name)} = ${escapeLiteral(value)}`);
    await reload(conn);
    await new Promise((r) => setTimeout(r, 300));
    restartNeeded = (await observe(conn, Object.keys(p.settings))).some((r) => r.pending);
  }).catch((err: unknown) => {
    // The server is down (a restart with the new values failed): start it with the old ones.
    if (!(err instanceof UserError) || (err.code !== 'network' && err.code !== 'database')) throw err;
    restartNeeded = true;
  });
  if (restartNeeded) await restart(p, ctx, 'the previous values');
}

export const pgSettingsStep = defineStepKind<typeof params, System>({
  kind: 'pg-settings',
  params,
  async check(p, ctx) {
    return withConn(p, ctx, async (conn) => {
      const work = await plan(p, ctx, conn);
      const names = Object.entries(p.settings).map(([k, v]) => `${k} = ${v}`).join(', ');
      const basis: Record<string, string> = Object.fromEntries(await Promise.all([...work.files.keys()].map(async (path) => [path, contentBasis(await ctx.sys.files.readText(path))] as const)));
      const auto = autoConfPath(work.facts.dataDir);
      const autoText = work.alter.length ? await ctx.sys.files.readText(auto) : undefined;
      if (work.alter.length) basis[auto] = contentBasis(autoText);
      if (work.changes.every((c) => c.target.kind === 'in-effect')) return { action: 'noop' as const, summary: `${names}: in effect`, basis };
      if (work.restartOnly) return { action: 'update' as const, summary: `Restart PostgreSQL: ${work.changes.filter((c) => c.target.kind === 'restart').map((c) => describeTarget(c, work.facts)).join('; ')}`, basis };
      await validate(p, ctx, conn, work);
      const summary = work.changes.filter((c) => c.target.kind !== 'in-effect').map((c) => describeTarget(c, work.facts)).join('; ');
      return { action: 'update' as const, summary, diff: diffOf(work, autoText), basis };
    });
  },
  async apply(p, ctx) {
    const backups: { path: string; backup: string }[] = [];
    const altered: Record<string, string> = {};
    let restarted = false;
    try {
      const needRestart = await withConn(p, ctx, async (conn) => {
        const work = await plan(p, ctx, conn);
        await validate(p, ctx, conn, work);
        for (const [path, f] of work.files) {
          const backup = await ctx.sys.files.backup(path, `${ctx.stateDir}/backups`);
          if (!backup) throw new UserError('apply-failed', `Cannot back up ${path}.`, 'Check the file, then run again.');
          backups.push({ path, backup });
          await ctx.sys.files.writeAtomic(path, f.after); // keeps the file's owner and mode
        }
        for (const c of work.alter) {
          if (c.target.kind !== 'alter-system') continue;
          altered[c.name] = c.target.previous;
          await conn.query(`ALTER SYSTEM SET ${escapeIdentifier(c.name)} = ${escapeLiteral(c.value)}`);
        }
        const after = await ctx.sys.postgres.settingsFacts(conn, Object.keys(p.settings));
        if (after.fileErrors.length) {
          throw new UserError('config-invalid', `PostgreSQL refused the edit: ${after.fileErrors.map((e) => `${e.sourcefile ?? '?'} line ${e.sourceline ?? '?'}: ${e.error}`).join('; ')}. It was put back.`, 'Correct the values and run again.');
        }
        await reload(conn);
        return settle(conn, p.settings);
      });
      if (needRestart) {
        restarted = true;
        await restart(p, ctx, Object.keys(p.settings).join(', '));
      }
      await withConn(p, ctx, async (conn) => {
        const rows = await observe(conn, Object.keys(p.settings));
        if (rows.some((r) => r.pending || !sameSettingValue(r.name, r.setting, wantedOf(p.settings, r.name)))) throw notInEffect(rows, p.settings);
      });
    } catch (err) {
      if (backups.length || Object.keys(altered).length || restarted) {
        ctx.log('Putting the configuration back as it was.', 'warn');
        await putBack(p, ctx, backups, altered).catch((e: unknown) => ctx.log(`Could not put everything back: ${e instanceof Error ? e.message : String(e)}`, 'error'));
      }
      throw err;
    }
    return { files: backups, altered } satisfies UndoRecord;
  },
  async verify(p, ctx) {
    await withConn(p, ctx, async (conn) => {
      const rows = await observe(conn, Object.keys(p.settings));
      if (rows.length !== Object.keys(p.settings).length || rows.some((r) => r.pending || !sameSettingValue(r.name, r.setting, wantedOf(p.settings, r.name)))) throw notInEffect(rows, p.settings);
    });
  },
  async undo(p, ctx, record) {
    const files = Array.isArray(record?.['files']) ? (record['files'] as { path: string; backup: string }[]) : [];
    const altered = (record?.['altered'] ?? {}) as Record<string, string>;
    await putBack(p, ctx, files, altered);
  },
});

export type { AdminServer };
