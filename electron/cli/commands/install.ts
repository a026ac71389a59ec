/** `spsetup plan | install | resume | rollback`: the install plan, applied through the engine. */
import type { RunResult } from '../../engine/runner.js';
import { applyInstall, layoutFor, prepareInstall, previewRollback, resumeInstall, rollbackInstall } from '../../features/installer/installer.js';
import { loadSettingsFile } from '../../features/installer/load-settings.js';
import type { Settings } from '../../shared/settings.js';
import { parseCommand, required } from '../args.js';
import { composeContext } from '../../app/compose.js';
import { renderPlan, renderPreflight, renderRollbackPlan, renderSummary } from '../render.js';
import { applyPrepared, exitFor } from '../apply-prepared.js';
import { ExitCode } from '../../shared/errors.js';
import type { Reporter } from '../../features/installer/reporter.js';
import { refuseInstallContinueAfterMigration } from '../../app/guards.js';
import { openRunReporter, secretValues } from '../../app/run-reporter.js';
import type { CommandIo } from './io.js';

const common = { settings: { type: 'string' }, log: { type: 'string' }, json: { type: 'boolean' }, yes: { type: 'boolean' }, silent: { type: 'boolean' } } as const;

async function reporterFor(settings: Settings, command: string, logOption: string | undefined, io: CommandIo): Promise<Reporter> {
  const stateDir = layoutFor(settings, composeContext(settings, io.env)).stateDir;
  return openRunReporter({ stateDir, label: command, secrets: await secretValues(settings, io.env), ...(logOption ? { extraLog: logOption } : {}), out: io.out });
}

function nextStep(result: RunResult, settings: Settings): string {
  if (result.outcome === 'failed') return 'fix the cause above, then run `spsetup resume --settings FILE` (or `spsetup rollback --settings FILE`).';
  if (result.outcome === 'cancelled') return 'run `spsetup resume --settings FILE` to continue.';
  if (result.outcome === 'rolled-back') {
    return result.unchanged.length
      ? `these changes were left in place (see "Not undone" above): ${result.unchanged.join(', ')}; remove them by hand.`
      : 'every recorded change was undone.';
  }
  return settings.cluster.mode === 'create'
    ? 'apply the site licence; export a settings bundle (`spsetup bundle export`) and join the rim nodes with it.'
    : 'check the node in `spsetup status`; add it in the management console on the central node.';
}

/** spsetup plan --settings F [--json] */
export async function planCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const usage = 'spsetup plan --settings FILE [--json]';
  const { values } = parseCommand(argv, common, usage);
  const settings = await loadSettingsFile(required(values.settings, 'settings', usage));
  const prepared = await prepareInstall(settings, composeContext(settings, io.env));
  if (values.json) io.out(JSON.stringify({ plan: prepared.plan, preflight: prepared.preflight }, null, 2));
  else io.out(`${renderPlan(prepared.plan)}\n\n${renderPreflight(prepared.preflight)}`);
  return prepared.preflight.every((c) => c.ok) ? ExitCode.ok : ExitCode.preflightFailed;
}

/** Installs a node from prepared settings (used by `install` and the bundle's silent install). */
export async function installWithSettings(settings: Settings, options: { log?: string; yes: boolean; silent: boolean }, io: CommandIo): Promise<number> {
  const ctx = composeContext(settings, io.env);
  const reporter = await reporterFor(settings, 'install', options.log, io);
  reporter.say(`spsetup install: ${settings.cluster.mode === 'create' ? 'Create cluster' : 'Join cluster'} on ${settings.hostname}`);
  const prepared = await prepareInstall(settings, ctx);
  return applyPrepared({
    ...prepared,
    reporter,
    io,
    yes: options.yes,
    silent: options.silent,
    apply: (hooks) => applyInstall(prepared, ctx, hooks),
    next: (result) => nextStep(result, settings),
  });
}

/** spsetup install --settings F [--yes] [--silent] [--log FILE] */
export async function installCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const usage = 'spsetup install --settings FILE [--yes] [--silent] [--log FILE]';
  const { values } = parseCommand(argv, common, usage);
  const settings = await loadSettingsFile(required(values.settings, 'settings', usage));
  return installWithSettings(settings, { ...(values.log ? { log: values.log } : {}), yes: Boolean(values.yes), silent: Boolean(values.silent) }, io);
}

/** spsetup resume|rollback --settings F [--log FILE]; rollback --plan shows what it would undo. */
export function continueCommand(mode: 'resume' | 'rollback') {
  return async (argv: readonly string[], io: CommandIo): Promise<number> => {
    const usage = `spsetup ${mode} --settings FILE [--log FILE]${mode === 'rollback' ? ' [--plan]' : ''}`;
    const { values } = parseCommand(argv, mode === 'rollback' ? { ...common, plan: { type: 'boolean' } } : common, usage);
    const settings = await loadSettingsFile(required(values.settings, 'settings', usage));
    const ctx = composeContext(settings, io.env);
    if ('plan' in values && values.plan) {
      io.out(renderRollbackPlan(previewRollback(settings, ctx)));
      return ExitCode.ok;
    }
    refuseInstallContinueAfterMigration(layoutFor(settings, ctx).stateDir, mode);
    const reporter = await reporterFor(settings, mode, values.log, io);
    const run = mode === 'resume' ? resumeInstall : rollbackInstall;
    const result = await run(settings, ctx, { onEvent: (e) => reporter.event(e) });
    reporter.say(renderSummary(result, reporter.logFiles, nextStep(result, settings)));
    return exitFor(result);
  };
}
