/** Step kind: the OS account the services run as, and its groups (the guide's non-administrator path). */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';

const params = z.object({ user: z.string(), groups: z.array(z.string()), home: z.string() });

/** Linux group names may not hold spaces: "Qlik Sense Service Users" becomes qlik-sense-service-users. */
export function posixGroupName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 32);
}

async function groupsOf(sys: System, user: string): Promise<string[]> {
  const r = await sys.processes.run('id', ['-Gn', user], { allowFailure: true, timeoutMs: 10_000 });
  return r.code === 0 ? r.stdout.trim().split(/\s+/) : [];
}

async function groupExists(sys: System, group: string): Promise<boolean> {
  return (await sys.processes.run('getent', ['group', group], { allowFailure: true, timeoutMs: 10_000 })).code === 0;
}

/** The `os-account` step kind. */
export const osAccountStep = defineStepKind<typeof params, System>({
  kind: 'os-account',
  params,
  async check(p, { sys }) {
    const wanted = p.groups.map(posixGroupName);
    if (!(await sys.processes.lookupUser(p.user))) {
      return { action: 'create', summary: `Create the service account ${p.user}${wanted.length ? ` in ${wanted.join(', ')}` : ''}` };
    }
    const current = await groupsOf(sys, p.user);
    const lacking = wanted.filter((g) => !current.includes(g));
    if (lacking.length) return { action: 'update', summary: `Add ${p.user} to ${lacking.join(', ')}` };
    return { action: 'noop', summary: `Service account ${p.user} exists` };
  },
  async apply(p, { sys, log }) {
    const created: string[] = [];
    for (const group of p.groups.map(posixGroupName)) {
      if (!(await groupExists(sys, group))) {
        await sys.processes.run('groupadd', ['--system', group], { timeoutMs: 30_000 });
        created.push(group);
      }
    }
    let userCreated = false;
    if (!(await sys.processes.lookupUser(p.user))) {
      await sys.processes.run('useradd', ['--system', '--user-group', '--home-dir', p.home, '--no-create-home', '--shell', '/usr/sbin/nologin', p.user], { timeoutMs: 30_000 });
      userCreated = true;
      log(`Created the system account ${p.user} (no login shell).`);
    }
    for (const group of p.groups.map(posixGroupName)) await sys.processes.run('usermod', ['-a', '-G', group, p.user], { timeoutMs: 30_000 });
    return { userCreated, groupsCreated: created };
  },
  async verify(p, { sys }) {
    if (!(await sys.processes.lookupUser(p.user))) throw new UserError('verify-failed', `The account ${p.user} does not exist after creating it.`);
    const current = await groupsOf(sys, p.user);
    const lacking = p.groups.map(posixGroupName).filter((g) => !current.includes(g));
    if (lacking.length) throw new UserError('verify-failed', `${p.user} is not in ${lacking.join(', ')}.`, 'Check /etc/group, then resume.');
  },
  async undo(p, { sys }, record) {
    if (record?.['userCreated']) await sys.processes.run('userdel', [p.user], { allowFailure: true, timeoutMs: 30_000 });
    for (const g of (record?.['groupsCreated'] as string[] | undefined) ?? []) await sys.processes.run('groupdel', [g], { allowFailure: true, timeoutMs: 30_000 });
  },
});
