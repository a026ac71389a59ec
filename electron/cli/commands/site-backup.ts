/**
 * `spsetup site backup | verify | restore`: the whole site's data, database and share together
 * (electron/features/backup). Every command checks its whole input first; a refusal changes nothing.
 */
import { fileURLToPath } from 'node:url';
import { ExitCode, UserError } from '../../shared/errors.js';
import { formatBytes, formatDuration } from '../../shared/format.js';
import { composeContext } from '../../app/compose.js';
import { loadSettingsFile } from '../../features/installer/load-settings.js';
import { checkPassphraseStrength, MIN_PASSPHRASE_LENGTH } from '../../features/bundle/passphrase.js';
import { readPassphraseFile } from '../../features/bundle/files.js';
import { openSite } from '../../features/site/site-client.js';
import { planBackup, renderBackupPlan, runBackup } from '../../features/backup/site-backup.js';
import { verifyBackup } from '../../features/backup/verify-backup.js';
import { planRestore, renderRestorePlan, runRestore } from '../../features/backup/site-restore.js';
import { backupPlanJson, restorePlanJson } from '../../features/backup/plan-json.js';
import type { System } from '../../system/system.js';
import { parseCommand, required } from '../args.js';
import type { CommandIo } from './io.js';

const USAGE = `spsetup site backup --settings F --out DIR --passphrase-file P [--plan] [--timeout SECONDS] [--json]
spsetup site verify DIR --passphrase-file P [--json]
spsetup site restore DIR --settings F --passphrase-file P [--plan] [--yes] [--save-current DIR2] [--timeout SECONDS] [--json]
With --json stdout holds one JSON document (the plan with --plan, else the result); the progress goes to stderr.`;

const OPTIONS = {
  settings: { type: 'string' },
  out: { type: 'string' },
  'passphrase-file': { type: 'string' },
  plan: { type: 'boolean' },
  yes: { type: 'boolean' },
  json: { type: 'boolean' },
  timeout: { type: 'string' },
  'save-current': { type: 'string' },
} as const;

const invalid = (message: string) => new UserError('invalid-input', message, `Usage:\n${USAGE}`);

async function spsetupVersion(sys: System): Promise<string> {
  for (const rel of ['../../../../package.json', '../../../package.json']) {
    const text = await sys.files.readText(fileURLToPath(new URL(rel, import.meta.url))).catch(() => undefined);
    if (text) return (JSON.parse(text) as { version: string }).version;
  }
  return '0.0.0';
}

function seconds(text: string | undefined): number {
  if (text === undefined) return 120_000;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 3600) throw invalid('--timeout is a whole number of seconds from 1 to 3600.');
  return Number(text) * 1000;
}

/** spsetup site backup|verify|restore ... */
export async function siteBackupCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, OPTIONS, USAGE);
  const [action, ...rest] = positionals;
  if (action === 'backup') {
    if (rest.length) throw invalid(`Unexpected argument "${rest[0]}".`);
    return backup(values, io);
  }
  if (action === 'verify') {
    if (rest.length !== 1) throw invalid('site verify takes the backup folder.');
    return verify(rest[0]!, values, io);
  }
  if (action === 'restore') {
    if (rest.length !== 1) throw invalid('site restore takes the backup folder.');
    return restore(rest[0]!, values, io);
  }
  throw invalid(`Unknown site command "${action ?? ''}".`);
}

type Values = ReturnType<typeof parseCommand<typeof OPTIONS>>['values'];

/** Where the text goes: stdout, or stderr when stdout is kept for the JSON document. */
const textOut = (values: Values, io: CommandIo) => (values.json ? io.err : io.out);
const printJson = (io: CommandIo, doc: unknown) => io.out(JSON.stringify(doc, null, 2));

async function backup(values: Values, io: CommandIo): Promise<number> {
  const settings = await loadSettingsFile(required(values.settings, 'settings', USAGE));
  const out = required(values.out, 'out', USAGE);
  const timeoutMs = seconds(values.timeout);
  const passphrase = await readPassphraseFile(required(values['passphrase-file'], 'passphrase-file', USAGE));
  const strength = checkPassphraseStrength(passphrase);
  if (!strength.ok) throw new UserError('invalid-input', strength.message, `Use a longer passphrase (${MIN_PASSPHRASE_LENGTH} or more varied characters); keep it apart from the backup: verify and restore need it.`);
  const ctx = composeContext(settings, io.env);
  const site = await openSite(settings, ctx);
  try {
    const plan = await planBackup(site, settings, ctx, out);
    const say = textOut(values, io);
    if (values.plan && values.json) {
      printJson(io, backupPlanJson(plan));
      return ExitCode.ok;
    }
    say(renderBackupPlan(plan));
    if (values.plan) return ExitCode.ok;
    const result = await runBackup(site, plan, settings, ctx, { passphrase, spsetupVersion: await spsetupVersion(ctx.sys), timeoutMs, log: say });
    const m = result.manifest;
    if (values.json) printJson(io, { outDir: result.outDir, downtimeMs: m.downtimeMs, database: { size: m.database.size, tables: m.database.tables.length }, share: { files: m.share.files.length, bytes: m.share.bytes } });
    say(`Backup complete in ${result.outDir}: database dump ${formatBytes(m.database.size)} (${m.database.tables.length} tables), share ${m.share.files.length} file(s) ${formatBytes(m.share.bytes)}; services were down for ${formatDuration(m.downtimeMs)}.`);
    say(`Check it at any time with: spsetup site verify ${result.outDir} --passphrase-file P`);
    return ExitCode.ok;
  } finally {
    await site.close();
  }
}

async function verify(dir: string, values: Values, io: CommandIo): Promise<number> {
  const passphrase = await readPassphraseFile(required(values['passphrase-file'], 'passphrase-file', USAGE));
  const settings = values.settings ? await loadSettingsFile(values.settings) : undefined;
  const ctx = composeContext(settings, io.env);
  const v = await verifyBackup(ctx.sys, dir, passphrase);
  const m = v.manifest;
  if (values.json) {
    io.out(JSON.stringify({ ok: true, dir: v.dir, product: m.product, nodes: m.nodes, startedAt: m.startedAt, downtimeMs: m.downtimeMs, dumpEntries: v.dumpEntries, shareFiles: m.share.files.length }));
    return ExitCode.ok;
  }
  io.out(`Backup ${v.dir} verified: made ${m.startedAt} by spsetup ${m.spsetupVersion} of ${m.product.id} ${m.product.version} on ${m.nodes.map((n) => n.hostname).join(', ')}.`);
  io.out(`  database ${m.database.name}: dump ${formatBytes(m.database.size)}, SHA-256 matches, pg_restore ${v.client.major} reads its ${v.dumpEntries} entries; ${m.database.tables.length} tables, ${m.database.tables.reduce((a, t) => a + t.rows, 0)} rows`);
  io.out(`  share ${m.share.root}: ${m.share.files.length} file(s), ${formatBytes(m.share.bytes)}, every SHA-256 matches, nothing missing or added`);
  return ExitCode.ok;
}

async function restore(dir: string, values: Values, io: CommandIo): Promise<number> {
  const settings = await loadSettingsFile(required(values.settings, 'settings', USAGE));
  const passphrase = await readPassphraseFile(required(values['passphrase-file'], 'passphrase-file', USAGE));
  const timeoutMs = seconds(values.timeout);
  const ctx = composeContext(settings, io.env);
  // A tampered, truncated or foreign backup is refused here, before anything connects or stops.
  const backup = await verifyBackup(ctx.sys, dir, passphrase);
  const site = await openSite(settings, ctx);
  try {
    const plan = await planRestore(site, settings, ctx, backup);
    const saveDir = values['save-current'];
    const save = saveDir === undefined || plan.equal ? undefined : { plan: await planBackup(site, settings, ctx, saveDir), passphrase, spsetupVersion: await spsetupVersion(ctx.sys) };
    if (save && (save.plan.outDir === backup.dir || save.plan.incremental)) throw new UserError('invalid-input', `--save-current ${save.plan.outDir} must be a new or empty folder.`, 'Give a folder that holds no backup.');
    const say = textOut(values, io);
    if (values.json && (values.plan || plan.equal)) printJson(io, restorePlanJson(plan, save?.plan.outDir));
    else say(renderRestorePlan(plan, save?.plan.outDir));
    if (values.plan || plan.equal) return ExitCode.ok;
    if (!values.yes) throw new UserError('invalid-input', "The restore overwrites the site's current database and share content and stops the services on every node: nothing was changed.", 'Read the plan above, then run the command again with --yes (and --save-current DIR to keep what it overwrites).');
    const result = await runRestore(site, plan, settings, ctx, { timeoutMs, log: say, ...(save ? { save } : {}) });
    if (values.json) printJson(io, { restored: true, droppedTables: result.droppedTables, filesWritten: result.filesWritten, filesRemoved: result.filesRemoved, downtimeMs: result.downtimeMs, ...(save ? { saveCurrent: save.plan.outDir } : {}) });
    say(`Restore complete: the database and ${backup.manifest.share.files.length} share file(s) equal the backup${result.droppedTables.length ? `; tables the backup did not hold were dropped: ${result.droppedTables.join(', ')}` : ''}; ${result.filesWritten} file(s) written, ${result.filesRemoved.length} removed; services were down for ${formatDuration(result.downtimeMs)}.`);
    if (save) say(`What it overwrote is in ${save.plan.outDir} (verify it with the same passphrase).`);
    return ExitCode.ok;
  } finally {
    await site.close();
  }
}
