/** `spsetup status | uninstall | db prepare`: the node and the site around it. */
import { ExitCode } from '../../shared/errors.js';
import { loadSettingsFile } from '../../features/installer/load-settings.js';
import { readStatus } from '../../features/installer/status.js';
import { planUninstall, renderUninstallPlan, uninstallNode } from '../../features/installer/uninstall.js';
import { applyDatabasePreparation, prepareDatabaseServer } from '../../features/installer/db-prepare.js';
import { parseCommand, required } from '../args.js';
import { composeContext } from '../../app/compose.js';
import { renderPlan, renderSummary } from '../render.js';
import { exitFor } from '../apply-prepared.js';
import { openRunReporter } from '../../app/run-reporter.js';
import type { CommandIo } from './io.js';

/** spsetup status --settings F [--json] */
export async function statusCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const usage = 'spsetup status --settings FILE [--json]';
  const { values } = parseCommand(argv, { settings: { type: 'string' }, json: { type: 'boolean' } }, usage);
  const settings = await loadSettingsFile(required(values.settings, 'settings', usage));
  const status = await readStatus(settings, composeContext(settings, io.env));
  if (values.json) {
    io.out(JSON.stringify(status, null, 2));
    return ExitCode.ok;
  }
  io.out(`Nodes registered in ${status.database}:`);
  for (const n of status.nodes) io.out(`  ${n.hostname.padEnd(30)} ${n.isCentral ? 'central' : 'rim    '}  last seen ${n.lastSeen || 'never'}`);
  if (!status.nodes.length) io.out('  (none)');
  io.out(`Services on this node (${settings.hostname}):`);
  for (const s of status.services) io.out(`  ${s.name.padEnd(36)} ${s.state}`);
  return ExitCode.ok;
}

/** spsetup uninstall --settings F [--remove-data] [--plan] */
export async function uninstallCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const usage = 'spsetup uninstall --settings FILE [--remove-data] [--plan] [--json]';
  const { values } = parseCommand(argv, { settings: { type: 'string' }, 'remove-data': { type: 'boolean' }, plan: { type: 'boolean' }, json: { type: 'boolean' } }, usage);
  const settings = await loadSettingsFile(required(values.settings, 'settings', usage));
  const ctx = composeContext(settings, io.env);
  const removeData = Boolean(values['remove-data']);
  if (values.plan) {
    const plan = await planUninstall(settings, ctx, { removeData });
    io.out(values.json ? JSON.stringify(plan, null, 2) : renderUninstallPlan(plan));
    return ExitCode.ok;
  }
  // With --json the progress lines go to stderr so that stdout is the report alone.
  const report = await uninstallNode(settings, ctx, { removeData, log: values.json ? io.err : io.out });
  if (values.json) {
    io.out(JSON.stringify(report, null, 2));
    return ExitCode.ok;
  }
  io.out(`Removed services: ${report.removedServices.join(', ') || 'none'}.`);
  io.out(`Removed: ${report.removedPaths.join(', ') || 'nothing'}.`);
  io.out(`Kept: ${report.kept.join(', ')} (the shared folder is never touched${removeData ? '' : '; pass --remove-data to remove the local database and data folder'}).`);
  return ExitCode.ok;
}

/** spsetup db prepare --settings F [--plan] [--yes] [--log FILE] */
export async function dbCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const usage = 'spsetup db prepare --settings FILE [--plan [--json]] [--keep-plain] [--log FILE]';
  const { values, positionals } = parseCommand(argv, { settings: { type: 'string' }, log: { type: 'string' }, yes: { type: 'boolean' }, plan: { type: 'boolean' }, json: { type: 'boolean' }, 'keep-plain': { type: 'boolean' } }, usage);
  if (positionals[0] !== 'prepare') {
    io.err(`Usage: ${usage}`);
    return ExitCode.invalidInput;
  }
  const settings = await loadSettingsFile(required(values.settings, 'settings', usage));
  const ctx = composeContext(settings, io.env);
  // Facts, preflight and every step's check: a refusal here changed nothing (exit 2 or 3).
  const prepared = await prepareDatabaseServer(settings, ctx, { keepPlain: values['keep-plain'] === true });
  if (values.plan) {
    io.out(values.json ? JSON.stringify({ plan: prepared.plan }, null, 2) : renderPlan(prepared.plan));
    return ExitCode.ok;
  }
  const reporter = openRunReporter({ stateDir: prepared.stateDir, label: 'db-prepare', secrets: [...prepared.secrets.values()], ...(values.log ? { extraLog: values.log } : {}), out: io.out });
  reporter.say(renderPlan(prepared.plan));
  const result = await applyDatabasePreparation(prepared, ctx, { onEvent: (e) => reporter.event(e) });
  const undone = result.rolledBack;
  const next =
    result.outcome === 'done'
      ? 'create the cluster on the central node with database.install "existing".'
      : undone
        ? undone.outcome === 'rolled-back' && undone.unchanged.length === 0
          ? `what this run changed was taken back (${undone.changed.join(', ')}); fix the cause above and run the command again.`
          : `taking back this run's changes did not finish (${undone.error?.message ?? `left: ${undone.unchanged.join(', ')}`}); see the log, then run the command again.`
        : 'fix the cause above and run the command again.';
  reporter.say(renderSummary(result, reporter.logFiles, next));
  // 1 when the failed run changed something (even if it took it back), else by the error's code.
  return exitFor(result);
}
