/**
 * `spsetup db standby add | status | failover | switchover | rejoin`: the replicated repository
 * database, driven by a standby settings file (see features/standby).
 */
import { join } from 'node:path';
import { ExitCode, UserError } from '../../shared/errors.js';
import { formatBytes } from '../../shared/format.js';
import { createPosixSystem, type System } from '../../system/system.js';
import { Reporter } from '../../features/installer/reporter.js';
import { loadStandbySettings, resolveStandbySecrets, type StandbySettings } from '../../features/standby/standby-settings.js';
import { applyStandby, prepareStandby } from '../../features/standby/plan-standby.js';
import { readDbStatus, type ServerStatus } from '../../features/standby/db-status.js';
import { prepareFailover } from '../../features/standby/plan-failover.js';
import { prepareRejoin, prepareSwitchover } from '../../features/standby/plan-rejoin.js';
import { applyPrepared } from '../apply-prepared.js';
import { parseCommand, required } from '../args.js';
import { renderPlan } from '../render.js';
import type { CommandIo } from './io.js';

const USAGE = `spsetup db standby add --settings F [--plan] [--yes] [--log FILE]   (run on the standby machine)
spsetup db status --settings F [--json]
spsetup db failover --settings F [--to HOST] [--fence] [--plan] [--yes]     (run on the standby: the primary is lost)
spsetup db switchover --settings F [--plan] [--yes]                        (run on the primary: the standby takes over, this machine becomes its standby)
spsetup db rejoin --settings F [--plan] [--yes]                            (run on an old primary: it becomes the standby, by pg_rewind)`;

const OPTIONS = {
  settings: { type: 'string' },
  json: { type: 'boolean' },
  plan: { type: 'boolean' },
  yes: { type: 'boolean' },
  log: { type: 'string' },
  fence: { type: 'boolean' },
  to: { type: 'string' },
} as const;

const WORDS = ['standby add', 'status', 'failover', 'switchover', 'rejoin'] as const;
type Words = (typeof WORDS)[number];

const NEXT: Record<Exclude<Words, 'status'>, (s: StandbySettings) => string> = {
  // The nodes' agents are on other machines: this one cannot reach them, so the command is named.
  'standby add': (s) =>
    `spsetup db status shows the standby streaming. So that the nodes follow it after a failover, run on one node of the site: spsetup site endpoints set --settings NODE-SETTINGS --endpoints ${s.primary.host}:${s.primary.port},${s.standby.host}:${s.standby.port} (add any other standby after these).`,
  failover: () => 'this machine is the primary. When the old primary is back, run spsetup db rejoin on it (its agents-facing writes are refused until then).',
  switchover: () => 'the other server is the primary and this machine streams from it (spsetup db status).',
  rejoin: () => 'this machine is the standby again and streams from the primary (spsetup db status).',
};

/** The system of the standby machine (its service manager from the settings). */
export function standbySystem(s: StandbySettings): System {
  return createPosixSystem({ serviceManager: s.services.manager, ...(s.services.runitDir ? { runitDir: s.services.runitDir } : {}), definitionsDir: `${s.stateDir}/sv` });
}

/** spsetup db standby|status ... */
export async function dbReplicationCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, OPTIONS, USAGE);
  const words = positionals.join(' ') as Words;
  if (!WORDS.includes(words)) throw new UserError('invalid-input', `Unknown command "db ${words}".`, `Usage:\n${USAGE}`);
  if (process.platform === 'win32') throw new UserError('invalid-input', 'Standby databases are set up by spsetup on Linux database hosts.', 'On Windows database hosts follow the guided steps in docs (pg_basebackup -R).');
  const settings = await loadStandbySettings(required(values.settings, 'settings', USAGE));
  const sys = standbySystem(settings);
  if (words === 'status') return showStatus(sys, settings, Boolean(values.json), io);
  const prepared =
    words === 'failover'
      ? await prepareFailover(settings, sys, { fence: Boolean(values.fence), to: values.to }, io.env)
      : words === 'switchover'
        ? await prepareSwitchover(settings, sys, io.env)
        : words === 'rejoin'
          ? await prepareRejoin(settings, sys, io.env)
          : await prepareStandby(settings, sys, io.env);
  if (values.plan) {
    io.out(values.json ? JSON.stringify({ plan: prepared.plan }, null, 2) : renderPlan(prepared.plan));
    return ExitCode.ok;
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const reporter = new Reporter({ logFiles: [join(settings.stateDir, 'logs', `${words.replace(' ', '-')}-${stamp}.log`), ...(values.log ? [values.log] : [])], secrets: [...prepared.secrets.values()], out: io.out });
  return applyPrepared({
    plan: prepared.plan,
    preflight: [],
    reporter,
    io,
    yes: Boolean(values.yes),
    silent: false,
    apply: (hooks) => applyStandby(prepared, sys, hooks),
    next: (r) => (r.outcome === 'done' ? NEXT[words](settings) : 'do what the message says, then run the same command again (finished steps are kept).'),
  });
}

async function showStatus(sys: System, s: StandbySettings, json: boolean, io: CommandIo): Promise<number> {
  const secrets = await resolveStandbySecrets(s, io.env);
  const servers = await readDbStatus(sys, s, secrets.get('primary.superuserPassword')!);
  if (json) io.out(JSON.stringify(servers, null, 2));
  else for (const line of servers.flatMap(describe)) io.out(line);
  return servers.filter((x) => x.role === 'primary').length === 1 ? ExitCode.ok : ExitCode.applyFailed;
}

const bytes = (n: number | null) => (n === null ? '?' : formatBytes(n));
const secs = (n: number | null) => (n === null ? '?' : `${n.toFixed(1)} s`);

function describe(x: ServerStatus): string[] {
  if (!x.reachable) return [`${x.endpoint}  UNREACHABLE  ${x.error ?? ''}`];
  if (!x.role) return [`${x.endpoint}  error: ${x.error ?? ''}`];
  const head = `${x.endpoint}  ${x.role.toUpperCase()}  timeline ${x.timeline}`;
  if (x.role === 'primary') {
    return [
      head,
      ...(x.replicas ?? []).map((r) => `    standby ${r.name} (${r.address ?? '?'}): ${r.state}, ${r.syncState}, lag ${bytes(r.lagBytes)}, ${secs(r.replayLagSeconds)}`),
      ...(x.slots ?? []).map((sl) => `    slot ${sl.name}: ${sl.active ? 'active' : 'INACTIVE'}, holds ${bytes(sl.retainedBytes)} of WAL`),
    ];
  }
  const r = x.receiver;
  return [head, `    receiving from ${r?.sender ?? '?'}: ${r?.status ?? 'not streaming'}, replay lag ${bytes(r?.lagBytes ?? null)}, ${secs(r?.replayDelaySeconds ?? null)}`];
}
