/**
 * `db failover`, run on the standby when the primary is lost: promote this machine with
 * pg_promote() and wait until it takes writes, then wait until every node of the site heartbeats
 * through it (their agents follow the primary among their database endpoints). The split-brain
 * guard: while the old primary is still reachable and a primary, the command refuses, unless told
 * to fence it (read-only, its sessions ended) and wait until this standby has replayed all it wrote.
 */
import { UserError } from '../../shared/errors.js';
import type { StepDraft } from '../../engine/plan-builder.js';
import type { System } from '../../system/system.js';
import { localStandbyRef, previewReplicatedPlan, primaryRef, type PreparedStandby } from './plan-standby.js';
import { readServerRole, type ServerRole } from './server-role.js';
import { resolveStandbySecrets, type StandbySettings } from './standby-settings.js';
import { connectTo, type ServerRef } from './steps/server-ref.js';

export interface FailoverOptions {
  /** The old primary is reachable and still a primary: fence it before the promotion. */
  readonly fence: boolean;
  /** Given with --to: must be this machine. */
  readonly to?: string | undefined;
}

/** The server's role, or why it could not be asked. */
export async function probeRole(sys: System, ref: ServerRef, secrets: ReadonlyMap<string, string>, timeoutMs = 5_000): Promise<ServerRole | { readonly error: string }> {
  try {
    const conn = await connectTo(ref, { sys, secret: (n) => secrets.get(n) ?? '' }, timeoutMs);
    try {
      return await readServerRole(conn);
    } finally {
      await conn.close();
    }
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** The step that waits for the nodes, when the settings name the site. */
export function nodesFollowSteps(s: StandbySettings, newPrimary: ServerRef, endpoint: string): StepDraft[] {
  if (!s.site) return [];
  return [
    {
      id: 'nodes-follow',
      kind: 'site-nodes-follow',
      title: `Every node of the site on the new primary ${endpoint}`,
      params: { server: newPrimary, database: s.site.database, endpoint, timeoutMs: s.site.followTimeoutSeconds * 1000 },
    },
  ];
}

/** The failover plan (its checks read both servers; nothing is changed). */
export async function prepareFailover(s: StandbySettings, sys: System, options: FailoverOptions, env: NodeJS.ProcessEnv = process.env): Promise<PreparedStandby> {
  if (options.to !== undefined && options.to !== s.standby.host) {
    throw new UserError('invalid-input', `--to ${options.to} is not this machine (${s.standby.host}): db failover promotes the machine it runs on.`, `Run it on ${options.to} with that machine's settings file.`);
  }
  const secrets = await resolveStandbySecrets(s, env);
  const here = localStandbyRef(s);
  const local = await probeRole(sys, here, secrets, 10_000);
  if ('error' in local) throw new UserError('database', `The database server on this machine (port ${s.standby.port}) does not answer: ${local.error}`, `Start it (its service ${'spsetup-postgresql'}), then run the command again.`);
  const old = await probeRole(sys, primaryRef(s), secrets);
  const oldWhere = `${s.primary.host}:${s.primary.port}`;
  const steps: StepDraft[] = [];
  const warnings: string[] = [];
  if (!('error' in old) && old.role === 'primary') {
    const stale = local.role === 'primary' && local.timeline > old.timeline;
    if (!stale && !options.fence) {
      throw new UserError(
        'conflict',
        `The primary ${oldWhere} is reachable and takes writes (timeline ${old.timeline}): promoting this standby now would make two primaries. Nothing was changed.`,
        `For a planned change run spsetup db switchover on ${s.primary.host}. If the nodes cannot reach it, run again with --fence: it is made read-only, its sessions ended, and this standby catches up before it is promoted.`,
      );
    }
    steps.push({ id: 'fence-old-primary', kind: 'pg-fence', title: `Old primary ${oldWhere}: fenced (read-only)`, params: { server: primaryRef(s) } });
    if (!stale) steps.push({ id: 'caught-up', kind: 'pg-caught-up', title: 'This standby has replayed everything the old primary wrote', params: { standby: here, primary: { server: primaryRef(s) }, timeoutMs: 120_000 } });
  } else if ('error' in old) {
    warnings.push(
      `The old primary ${oldWhere} does not answer (${old.error}). ${s.replication.synchronous ? 'In synchronous mode every commit it acknowledged is on this standby.' : 'Asynchronous mode: what it committed in its last moments and had not sent yet is lost.'} When it comes back, the node agents do not use it (its timeline is older); run spsetup db rejoin on it.`,
    );
  }
  steps.push({ id: 'promote', kind: 'pg-promote', title: `Promote this machine ${s.standby.host}:${s.standby.port}`, params: { server: here, timeoutMs: 120_000 } });
  steps.push(...nodesFollowSteps(s, here, `${s.standby.host}:${s.standby.port}`));
  if (!s.site) warnings.push('The settings name no site (site.database): the nodes are not checked. Their agents follow the new primary if it is among their database endpoints (spsetup site endpoints set).');
  return previewReplicatedPlan(s, sys, secrets, `Failover to ${s.standby.host}:${s.standby.port} (from ${oldWhere})`, steps, warnings);
}
