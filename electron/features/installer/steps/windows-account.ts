/**
 * Step kind (Windows): the guide's service account without local Administrator privileges. The
 * account itself must already exist (a domain user, or an identical local user on every machine
 * when there is no domain): spsetup never creates it. It makes sure of the local group
 * "Qlik Sense Service Users" and of the account's membership of it and of Performance Monitor
 * Users. "Log on as a service" is granted when the services are set to the account.
 */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import {
  buildRemoveGroupScript,
  buildRemoveMemberScript,
  ensureGroupMember,
  ensureLocalGroup,
  performanceMonitorUsersSid,
  readGroupMembership,
  type GroupRef,
} from '../../../system/windows/accounts.js';
import { runPowerShell } from '../../../system/windows/powershell.js';

const params = z.object({ user: z.string(), groups: z.array(z.string()) });

/** Built-in groups are named by SID: their names are translated on non-English Windows. */
const builtinGroups: Readonly<Record<string, string>> = { 'performance monitor users': performanceMonitorUsersSid };

/** A group name from the manifest as a reference Windows understands in any language. */
export function windowsGroupRef(name: string): GroupRef {
  const sid = builtinGroups[name.toLowerCase()];
  return sid ? { sid } : { name };
}

const label = (g: GroupRef) => ('sid' in g ? g.sid : g.name);

async function requireAccount(sys: System, user: string): Promise<void> {
  if (!(await sys.processes.lookupUser(user))) {
    throw new UserError(
      'not-found',
      `The service account ${user} does not exist (or this machine cannot reach its domain).`,
      'spsetup does not create service accounts: create the domain user in Active Directory (or, without a domain, a local user with the same name and password on every node and on the file server), then plan again.',
    );
  }
}

/** The `windows-account` step kind. */
export const windowsAccountStep = defineStepKind<typeof params, System>({
  kind: 'windows-account',
  params,
  async check(p, { sys }) {
    await requireAccount(sys, p.user);
    if (!p.groups.length) return { action: 'noop', summary: `Service account ${p.user} exists` };
    const refs = p.groups.map(windowsGroupRef);
    const states = await readGroupMembership(sys.processes, p.user, refs);
    const missing = p.groups.filter((_, i) => states.get(label(refs[i]!)) === 'no-group');
    const lacking = p.groups.filter((_, i) => states.get(label(refs[i]!)) !== 'member');
    if (!lacking.length) return { action: 'noop', summary: `${p.user} is in ${p.groups.join(', ')}` };
    const create = missing.length ? `Create the local group ${missing.join(', ')}; ` : '';
    return { action: missing.length ? 'create' : 'update', summary: `${create}add ${p.user} to ${lacking.join(', ')}` };
  },
  async apply(p, { sys, log }) {
    await requireAccount(sys, p.user);
    const groupsCreated: string[] = [];
    const membershipsAdded: GroupRef[] = [];
    for (const ref of p.groups.map(windowsGroupRef)) {
      if ('name' in ref && (await ensureLocalGroup(sys.processes, ref.name, 'Accounts that run the shared persistence services'))) {
        groupsCreated.push(ref.name);
        log(`Created the local group ${ref.name}.`);
      }
      if (await ensureGroupMember(sys.processes, ref, p.user)) membershipsAdded.push(ref);
    }
    return { groupsCreated, membershipsAdded };
  },
  async verify(p, { sys }) {
    if (!p.groups.length) return requireAccount(sys, p.user);
    const refs = p.groups.map(windowsGroupRef);
    const states = await readGroupMembership(sys.processes, p.user, refs);
    const lacking = p.groups.filter((_, i) => states.get(label(refs[i]!)) !== 'member');
    if (lacking.length) throw new UserError('verify-failed', `${p.user} is not in ${lacking.join(', ')}.`, 'Check Computer Management > Local Users and Groups, then resume.');
  },
  async undo(p, { sys }, record) {
    for (const ref of (record?.['membershipsAdded'] as GroupRef[] | undefined) ?? []) {
      await runPowerShell(sys.processes, buildRemoveMemberScript(ref, p.user), { allowFailure: true });
    }
    for (const name of (record?.['groupsCreated'] as string[] | undefined) ?? []) {
      await runPowerShell(sys.processes, buildRemoveGroupScript(name), { allowFailure: true });
    }
  },
});
