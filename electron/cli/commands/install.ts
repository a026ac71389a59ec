/** `spsetup plan | install | resume | rollback`: the install plan, applied through the engine. */
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { ExitCode, UserError } from '../../shared/errors.js';
import type { RunResult } from '../../engine/runner.js';
import { applyInstall, layoutFor, prepareInstall, resumeInstall, rollbackInstall } from '../../features/installer/installer.js';
import { loadSettingsFile, resolveSecrets } from '../../features/installer/load-settings.js';
import type { Settings } from '../../shared/settings.js';
import { parseCommand, required } from '../args.js';
import { composeContext } from '../../features/installer/context.js';
import { renderPlan, renderPreflight, renderSummary } from '../render.js';
import { Reporter } from '../../features/installer/reporter.js';
import type { CommandIo } from './io.js';

const common = { settings: { type: 'string' }, log: { type: 'string' }, json: { type: 'boolean' }, yes: { type: 'boolean' }, silent: { type: 'boolean' } } as const;

async function reporterFor(settings: Settings, command: string, logOption: string | undefined, io: CommandIo, quiet = false): Promise<Reporter> {
  const layout = layoutFor(settings, composeContext(settings, io.env));
  const secrets = [...(await resolveSecrets(settings, io.env)).values()];
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const logFiles = [join(layout.stateDir, 'logs', `${command}-${stamp}.log`), ...(logOption ? [logOption] : [])];
  return new Reporter({ logFiles, secrets, quiet, out: io.out });
}

function exitFor(result: RunResult): number {
  return result.outcome === 'done' || result.outcome === 'rolled-back' ? ExitCode.ok : ExitCode.applyFailed;
}

function nextStep(result: RunResult, settings: Settings): string {
  if (result.outcome === 'failed') return 'fix the cause above, then run `spsetup resume --settings FILE` (or `spsetup rollback --settings FILE`).';
  if (result.outcome === 'cancelled') return 'run `spsetup resume --settings FILE` to continue.';
  if (result.outcome === 'rolled-back') return 'the changes that could be undone were undone.';
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

async function confirm(io: CommandIo, question: string): Promise<boolean> {
  if (!io.interactive) return false;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/** Installs a node from prepared settings (used by `install` and the bundle's silent install). */
export async function installWithSettings(settings: Settings, options: { log?: string; yes: boolean; silent: boolean }, io: CommandIo): Promise<number> {
  const ctx = composeContext(settings, io.env);
  const reporter = await reporterFor(settings, 'install', options.log, io);
  reporter.say(`spsetup install: ${settings.cluster.mode === 'create' ? 'Create cluster' : 'Join cluster'} on ${settings.hostname}`);
  const prepared = await prepareInstall(settings, ctx);
  reporter.log(renderPlan(prepared.plan));
  reporter.say(renderPreflight(prepared.preflight));
  if (prepared.preflight.some((c) => !c.ok)) {
    reporter.say(`\nNothing was changed. Log: ${reporter.logFiles.join(', ')}`);
    return ExitCode.preflightFailed;
  }
  const changes = prepared.plan.steps.filter((s) => s.action !== 'noop').length;
  if (!options.silent) io.out(`\n${renderPlan(prepared.plan)}\n`);
  if (!options.yes && !options.silent && !(await confirm(io, `Apply these ${changes} change(s)? [y/N] `))) {
    throw new UserError('invalid-input', 'Not confirmed: nothing was changed.', 'Answer y, or pass --yes (or --silent) to apply without asking.');
  }
  const controller = new AbortController();
  const onSignal = () => {
    reporter.say('Cancelling after the current step ...');
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  try {
    const result = await applyInstall(prepared, ctx, { onEvent: (e) => reporter.event(e), signal: controller.signal });
    reporter.say(renderSummary(result, reporter.logFiles, nextStep(result, settings)));
    return exitFor(result);
  } finally {
    process.off('SIGINT', onSignal);
  }
}

/** spsetup install --settings F [--yes] [--silent] [--log FILE] */
export async function installCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const usage = 'spsetup install --settings FILE [--yes] [--silent] [--log FILE]';
  const { values } = parseCommand(argv, common, usage);
  const settings = await loadSettingsFile(required(values.settings, 'settings', usage));
  return installWithSettings(settings, { ...(values.log ? { log: values.log } : {}), yes: Boolean(values.yes), silent: Boolean(values.silent) }, io);
}

/** spsetup resume|rollback --settings F [--log FILE] */
export function continueCommand(mode: 'resume' | 'rollback') {
  return async (argv: readonly string[], io: CommandIo): Promise<number> => {
    const usage = `spsetup ${mode} --settings FILE [--log FILE]`;
    const { values } = parseCommand(argv, common, usage);
    const settings = await loadSettingsFile(required(values.settings, 'settings', usage));
    const ctx = composeContext(settings, io.env);
    const reporter = await reporterFor(settings, mode, values.log, io);
    const run = mode === 'resume' ? resumeInstall : rollbackInstall;
    const result = await run(settings, ctx, { onEvent: (e) => reporter.event(e) });
    reporter.say(renderSummary(result, reporter.logFiles, nextStep(result, settings)));
    return exitFor(result);
  };
}
