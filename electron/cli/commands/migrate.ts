/** `spsetup migrate plan | run | resume`: the guide's upgrade to shared persistence, as a plan applied through the engine. */
import { UserError } from '../../shared/errors.js';
import { applyPrepared, exitFor } from '../apply-prepared.js';
import type { RunResult } from '../../engine/runner.js';
import { composeContext } from '../../app/compose.js';
import type { Reporter } from '../../features/installer/reporter.js';
import { openRunReporter } from '../../app/run-reporter.js';
import { applyMigration, hasUnfinishedMigration, migrationStateDir, prepareMigration, resumeMigration } from '../../features/migration/migration.js';
import { loadMigrationFile, type MigrationFile } from '../../features/migration/migration-settings.js';
import { parseCommand, required } from '../args.js';
import { renderSummary } from '../render.js';
import { showPlan } from '../show-plan.js';
import type { CommandIo } from './io.js';
import type { InstallerContext } from '../../features/installer/installer.js';
import type { Settings } from '../../shared/settings.js';

const options = { settings: { type: 'string' }, log: { type: 'string' }, json: { type: 'boolean' }, yes: { type: 'boolean' }, plan: { type: 'boolean' } } as const;
const USAGE = 'spsetup migrate plan --settings FILE [--json]\nspsetup migrate run --settings FILE [--plan [--json]] [--yes] [--log FILE]\nspsetup migrate resume --settings FILE [--log FILE]';

function reporterFor(file: MigrationFile, command: string, logOption: string | undefined, io: CommandIo): Reporter {
  return openRunReporter({ stateDir: migrationStateDir(file), label: `migrate-${command}`, secrets: [], ...(logOption ? { extraLog: logOption } : {}), out: io.out });
}

function nextStep(result: RunResult, file: MigrationFile): string {
  if (result.outcome === 'failed') return 'fix the cause above, then run `spsetup migrate run --settings FILE` again: it continues where it stopped.';
  if (result.outcome === 'cancelled') return 'run `spsetup migrate run --settings FILE` to continue.';
  return file.role === 'central' ? 'migrate each rim node (`spsetup migrate run` with role rim) or join new ones with `spsetup install`.' : 'check the node in `spsetup status`.';
}

/** The system for the node in the file (only services and stateDir are read before validation). */
function contextFor(file: MigrationFile, io: CommandIo): InstallerContext {
  const raw = file.settings as { services?: { manager?: Settings['services']['manager']; runitDir?: string }; stateDir?: string };
  const services = { manager: raw.services?.manager ?? 'auto', ...(raw.services?.runitDir ? { runitDir: raw.services.runitDir } : {}) };
  return composeContext({ services, ...(raw.stateDir ? { stateDir: raw.stateDir } : {}) } as Settings, io.env);
}

async function resume(file: MigrationFile, ctx: InstallerContext, log: string | undefined, io: CommandIo): Promise<number> {
  const reporter = reporterFor(file, 'resume', log, io);
  reporter.say('spsetup migrate: continuing the unfinished migration of this node');
  const result = await resumeMigration(file, ctx, { onEvent: (e) => reporter.event(e) });
  reporter.say(renderSummary(result, reporter.logFiles, nextStep(result, file)));
  return exitFor(result);
}

/** spsetup migrate plan|run|resume --settings F */
export async function migrateCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'plan' && sub !== 'run' && sub !== 'resume') throw new UserError('invalid-input', `Unknown migrate command "${sub ?? ''}".`, `Usage: ${USAGE}`);
  const { values } = parseCommand(rest, options, USAGE);
  const file = await loadMigrationFile(required(values.settings, 'settings', USAGE));
  const ctx = contextFor(file, io);
  // `migrate run --plan` is `migrate plan`: the same plan, printed by the same code.
  const planOnly = sub === 'plan' || (sub === 'run' && values.plan === true);
  if (!planOnly && (sub === 'resume' || hasUnfinishedMigration(file))) return resume(file, ctx, values.log, io);
  const prepared = await prepareMigration(file, ctx);
  const header = `Detected: ${prepared.detected.title} (release ${prepared.detected.release} -> ${prepared.detected.currentRelease})`;
  if (planOnly) return showPlan(io, prepared, { json: Boolean(values.json), header, extra: { scenario: prepared.detected.scenario } });
  const reporter = openRunReporter({ stateDir: prepared.layout.stateDir, label: 'migrate-run', secrets: [...prepared.secrets.values()], ...(values.log ? { extraLog: values.log } : {}), out: io.out });
  reporter.say(`spsetup migrate run: ${header}`);
  return applyPrepared({
    ...prepared,
    reporter,
    io,
    yes: Boolean(values.yes),
    silent: false,
    apply: (hooks) => applyMigration(prepared, ctx, hooks),
    next: (result) => nextStep(result, file),
  });
}
