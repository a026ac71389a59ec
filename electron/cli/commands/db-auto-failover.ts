/** `spsetup db auto-failover monitor | keeper`: automatic failover with pg_auto_failover (see features/auto-failover). */
import { join } from 'node:path';
import { ExitCode, UserError } from '../../shared/errors.js';
import { createPosixSystem } from '../../system/system.js';
import { Reporter } from '../../features/installer/reporter.js';
import { parseAutoFailoverSettings } from '../../features/auto-failover/auto-failover-settings.js';
import { applyAutoFailover, prepareKeeper, prepareMonitor } from '../../features/auto-failover/plan-auto-failover.js';
import { applyPrepared } from '../apply-prepared.js';
import { parseCommand, required } from '../args.js';
import { renderPlan } from '../render.js';
import type { CommandIo } from './io.js';

const USAGE = `spsetup db auto-failover monitor --settings F [--plan [--json]] [--yes] [--log FILE]   (run on the monitor machine)
spsetup db auto-failover keeper --settings F [--plan [--json]] [--yes] [--log FILE]    (run on each database machine, the primary first)`;

const OPTIONS = { settings: { type: 'string' }, json: { type: 'boolean' }, plan: { type: 'boolean' }, yes: { type: 'boolean' }, log: { type: 'string' } } as const;

const NEXT = {
  monitor: 'run spsetup db auto-failover keeper on the primary\'s machine, then on the standby\'s.',
  keeper: 'pg_autoctl show state (as the server account, with the service\'s environment) lists the nodes; give the nodes both servers with spsetup site endpoints set.',
} as const;

/** spsetup db auto-failover monitor|keeper ... */
export async function dbAutoFailoverCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, OPTIONS, USAGE);
  const word = positionals.slice(1).join(' ');
  if (word !== 'monitor' && word !== 'keeper') throw new UserError('invalid-input', `Unknown command "db auto-failover ${word}".`, `Usage:\n${USAGE}`);
  if (process.platform !== 'linux') throw new UserError('invalid-input', 'pg_auto_failover runs on Linux database hosts only.', 'On Windows database hosts use spsetup db failover (guided failover).');
  const path = required(values.settings, 'settings', USAGE);
  const settings = parseAutoFailoverSettings(path, await createPosixSystem().files.readText(path).catch(() => undefined));
  const sys = createPosixSystem({ serviceManager: settings.services.manager, ...(settings.services.runitDir ? { runitDir: settings.services.runitDir } : {}), definitionsDir: `${settings.stateDir}/sv` });
  const prepared = word === 'monitor' ? await prepareMonitor(settings, sys, io.env) : await prepareKeeper(settings, sys, io.env);
  if (values.plan) {
    io.out(values.json ? JSON.stringify({ plan: prepared.plan }, null, 2) : renderPlan(prepared.plan));
    return ExitCode.ok;
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const reporter = new Reporter({ logFiles: [join(settings.stateDir, 'logs', `auto-failover-${word}-${stamp}.log`), ...(values.log ? [values.log] : [])], secrets: [...prepared.secrets.values()], out: io.out });
  return applyPrepared({
    plan: prepared.plan,
    preflight: [],
    reporter,
    io,
    yes: Boolean(values.yes),
    silent: false,
    apply: (hooks) => applyAutoFailover(prepared, sys, hooks),
    next: (r) => (r.outcome === 'done' ? NEXT[word] : 'do what the message says, then run the same command again (finished steps are kept).'),
  });
}
