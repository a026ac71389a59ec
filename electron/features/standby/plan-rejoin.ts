/**
 * `db rejoin`, run on an old primary after a failover: it becomes the standby of the new primary
 * with pg_rewind (wal_log_hints was turned on by db standby add), not a whole new copy. And
 * `db switchover`, run on the current primary: it stops cleanly, the standby replays everything
 * up to the shutdown checkpoint and is promoted, and this machine rejoins as its standby, with no
 * committed transaction lost. In both, the settings file's `primary` is the other server and
 * `standby` this machine.
 */
import { UserError } from '../../shared/errors.js';
import type { StepDraft } from '../../engine/plan-builder.js';
import type { System } from '../../system/system.js';
import { nodesFollowSteps, probeRole } from './plan-failover.js';
import { binDirFor, localStandbyRef, passfilePath, previewReplicatedPlan, primaryRef, primarySideSteps, readPrimary, requireStandbyAddress, standbyServerSteps, standbyWarnings, type PreparedStandby } from './plan-standby.js';
import { DATABASE_SERVICE, resolveStandbySecrets, standbyName, type StandbySettings } from './standby-settings.js';

const standbyOf = (s: StandbySettings) => {
  const name = standbyName(s.standby.host);
  return { host: s.primary.host, port: s.primary.port, user: s.replication.user, passfile: passfilePath(s), applicationName: name, slot: name };
};
const localDir = (s: StandbySettings, binDir: string) => ({ binDir, dataDir: s.standby.dataDir, osUser: s.standby.osUser });

/** Stop this machine's server (`onlyIfNotStandby`: unless it already is the standby, as when a rejoin runs again). */
function stopStep(s: StandbySettings, binDir: string, onlyIfNotStandby: boolean): StepDraft {
  return {
    id: 'stop-here',
    kind: 'pg-local-stop',
    title: `This machine: the database server stopped cleanly`,
    params: { ...localDir(s, binDir), service: DATABASE_SERVICE, ...(onlyIfNotStandby ? { unlessStandbyOf: standbyOf(s) } : {}) },
  };
}

/** Rewind from the other server and make this machine its standby. */
function rewindStep(s: StandbySettings, binDir: string): StepDraft {
  return {
    id: 'rewind',
    kind: 'pg-rewind',
    title: `This machine: rewound to the new primary ${s.primary.host} and made its standby`,
    params: { ...localDir(s, binDir), source: primaryRef(s), passfileDir: `${s.stateDir}/replication`, standbyOf: standbyOf(s) },
  };
}

/** The rejoin plan (checks read both servers; nothing is changed). */
export async function prepareRejoin(s: StandbySettings, sys: System, env: NodeJS.ProcessEnv = process.env): Promise<PreparedStandby> {
  requireStandbyAddress(s);
  const secrets = await resolveStandbySecrets(s, env);
  const facts = await readPrimary(sys, s, secrets.get('primary.superuserPassword')!);
  const binDir = binDirFor(sys, s, facts.versionNum);
  const remote = await probeRole(sys, primaryRef(s), secrets);
  const here = await probeRole(sys, localStandbyRef(s), secrets);
  if (!('error' in here) && !('error' in remote) && here.role === 'primary' && here.timeline >= remote.timeline) {
    throw new UserError('conflict', `This machine is a primary on timeline ${here.timeline}, not behind ${s.primary.host} (timeline ${remote.timeline}): nothing to rejoin. Nothing was changed.`, 'Run db rejoin on the old primary after a failover; for a planned change run db switchover here.');
  }
  const steps = [...primarySideSteps(s, facts), stopStep(s, binDir, true), rewindStep(s, binDir), ...standbyServerSteps(s, binDir)];
  return previewReplicatedPlan(s, sys, secrets, `Rejoin ${s.standby.host} as the standby of ${s.primary.host}:${s.primary.port}`, steps, standbyWarnings(s, facts));
}

/** The switchover plan, run on the current primary (checks read both servers; nothing is changed). */
export async function prepareSwitchover(s: StandbySettings, sys: System, env: NodeJS.ProcessEnv = process.env): Promise<PreparedStandby> {
  requireStandbyAddress(s);
  const secrets = await resolveStandbySecrets(s, env);
  const here = await probeRole(sys, localStandbyRef(s), secrets);
  if ('error' in here || here.role !== 'primary') {
    throw new UserError('conflict', `This machine's server (port ${s.standby.port}) is ${'error' in here ? `not answering (${here.error})` : 'not the primary'}: db switchover runs on the current primary. Nothing was changed.`, `Run it on the primary's machine (spsetup db status shows which one it is).`);
  }
  const facts = await readPrimary(sys, s, secrets.get('primary.superuserPassword')!, true);
  const binDir = binDirFor(sys, s, facts.versionNum);
  const other = standbyName(s.primary.host);
  const streaming = await sys.postgres
    .connect({ host: '127.0.0.1', port: s.standby.port, user: s.primary.superuser, password: secrets.get('primary.superuserPassword')!, database: 'postgres', timeoutMs: 10_000 })
    .then(async (c) => {
      try {
        return (await c.query<{ state: string }>('SELECT state FROM pg_stat_replication WHERE application_name = $1', [other]))[0]?.state;
      } finally {
        await c.close();
      }
    });
  if (streaming !== 'streaming') {
    throw new UserError('conflict', `${s.primary.host} does not stream from this primary (pg_stat_replication: ${streaming ?? 'absent'}): a switchover would lose what it has not received. Nothing was changed.`, 'Check spsetup db status on it; when it streams, run again.');
  }
  const steps: StepDraft[] = [
    stopStep(s, binDir, false),
    {
      id: 'caught-up',
      kind: 'pg-caught-up',
      title: `${s.primary.host} has replayed everything up to this server's shutdown checkpoint`,
      params: { standby: primaryRef(s), primary: { stopped: { binDir, dataDir: s.standby.dataDir, osUser: s.standby.osUser } }, timeoutMs: 120_000 },
    },
    { id: 'promote', kind: 'pg-promote', title: `Promote ${s.primary.host}:${s.primary.port}`, params: { server: primaryRef(s), timeoutMs: 120_000 } },
    ...nodesFollowSteps(s, primaryRef(s), `${s.primary.host}:${s.primary.port}`),
    ...primarySideSteps(s, facts),
    rewindStep(s, binDir),
    ...standbyServerSteps(s, binDir),
  ];
  const warnings = [...standbyWarnings(s, facts), ...(s.site ? [] : ['The settings name no site (site.database): the nodes are not checked.'])];
  return previewReplicatedPlan(s, sys, secrets, `Switchover: ${s.primary.host}:${s.primary.port} becomes the primary, this machine its standby`, steps, warnings);
}
