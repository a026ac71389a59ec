/** `spsetup plan | install | resume | rollback`: the install plan, applied through the engine. */
import type { RunResult } from '../../engine/runner.js';
import { applyInstall, layoutFor, prepareInstall, previewRollback, resumeInstall, rollbackInstall } from '../../features/installer/installer.js';
import { loadSettingsFile } from '../../features/installer/load-settings.js';
import type { Settings } from '../../shared/settings.js';
import { parseCommand, required } from '../args.js';
import { composeContext } from '../../app/compose.js';
import { renderRollbackPlan, renderSummary } from '../render.js';
import { showPlan } from '../show-plan.js';
import { applyPrepared, exitFor } from '../apply-prepared.js';
import { ExitCode } from '../../shared/errors.js';
import type { Reporter } from '../../features/installer/reporter.js';
import { refuseInstallContinueAfterMigration } from '../../app/guards.js';
import { openRunReporter, secretValues } from '../../app/run-reporter.js';
import type { CommandIo } from './io.js';

const common = { settings: { type: 'string' }, log: { type: 'string' }, json: { type: 'boolean' }, yes: { type: 'boolean' }, silent: { type: 'boolean' } } as const;
const withPlan = { ...common, plan: { type: 'boolean' } } as const;

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

/** The install plan of these settings, shown and not applied (`spsetup plan` and `spsetup install --plan`). */
async function showInstallPlan(settings: Settings, json: boolean, io: CommandIo): Promise<number> {
  return showPlan(io, await prepareInstall(settings, composeContext(settings, io.env)), { json });
}

/** spsetup plan --settings F [--json] */
export async function planCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const usage = 'spsetup plan --settings FILE [--json]';
  const { values } = parseCommand(argv, common, usage);
  return showInstallPlan(await loadSettingsFile(required(values.settings, 'settings', usage)), Boolean(values.json), io);
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

/** spsetup install --settings F [--yes] [--silent] [--log FILE]; --plan [--json] is `spsetup plan`. */
export async function installCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const usage = 'spsetup install --settings FILE [--plan [--json]] [--yes] [--silent] [--log FILE]';
  const { values } = parseCommand(argv, withPlan, usage);
  const settings = await loadSettingsFile(required(values.settings, 'settings', usage));
  if (values.plan) return showInstallPlan(settings, Boolean(values.json), io);
  return installWithSettings(settings, { ...(values.log ? { log: values.log } : {}), yes: Boolean(values.yes), silent: Boolean(values.silent) }, io);
}

/** spsetup resume|rollback --settings F [--log FILE]; rollback --plan shows what it would undo. */
export function continueCommand(mode: 'resume' | 'rollback') {
  return async (argv: readonly string[], io: CommandIo): Promise<number> => {
    const usage = `spsetup ${mode} --settings FILE [--log FILE]${mode === 'rollback' ? ' [--plan [--json]]' : ''}`;
    const { values } = parseCommand(argv, mode === 'rollback' ? withPlan : common, usage);
    const settings = await loadSettingsFile(required(values.settings, 'settings', usage));
    const ctx = composeContext(settings, io.env);
    if ('plan' in values && values.plan) {
      const items = previewRollback(settings, ctx);
      // The journal's undo records stay out: what a script needs is which step, and whether it can be undone.
      if (values.json) io.out(JSON.stringify(items.map((i) => ({ planId: i.planId, stepId: i.step.id, title: i.step.title, ...(i.cannot ? { cannot: i.cannot } : {}), ...(i.undoneWith ? { undoneWith: i.undoneWith } : {}) })), null, 2));
      else io.out(renderRollbackPlan(items));
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
