/**
 * The `monitoring-apps` step of the central node: the guide's QMC edits for the monitoring apps,
 * made through the repository API once the central node's services run. Each PUT carries the
 * modifiedDate it read (the API refuses a stale one). Undo puts back the values it replaced and
 * deletes the rule it created.
 */
import { z } from 'zod';
import { UserError } from '../../shared/errors.js';
import { defineStepKind } from '../../engine/step-kind.js';
import type { System } from '../../system/system.js';
import { APPS_RULE, appsRule, ARCHIVED_LOGS_CONNECTION, DEFAULT_RULE, describeChange, monitoringChanges, REST_CONNECTIONS, type MonitoringChange, type MonitoringObjects } from './monitoring.js';
import { asObjects, openQrsClient, qrsStepTarget, type QrsClient } from './qrs-client.js';
import type { QrsObject } from './qrs-requests.js';

const params = qrsStepTarget.extend({
  /** The share's ArchivedLogs folder. */
  archivedLogs: z.string(),
});
type Params = z.infer<typeof params>;

const open = (sys: System, p: Params) => openQrsClient(sys, p.registration, p.hostname, p.dataDir);

async function one(client: QrsClient, find: (x: string) => ReturnType<QrsClient['requests']['findRule']>, what: string): Promise<QrsObject | undefined> {
  return asObjects(await client.call(find), what)[0];
}

async function readObjects(client: QrsClient): Promise<MonitoringObjects> {
  const r = client.requests;
  const connections = new Map<string, QrsObject | undefined>();
  for (const name of [ARCHIVED_LOGS_CONNECTION, ...REST_CONNECTIONS]) connections.set(name, await one(client, (x) => r.findDataConnection(x, name), `data connection ${name}`));
  const rules = asObjects(await client.call((x) => r.findRule(x, DEFAULT_RULE)), `rule ${DEFAULT_RULE}`);
  return {
    connections,
    // The product's own rule (not one a person made with the same name).
    defaultRule: rules.find((o) => o['type'] !== 'Custom') ?? rules[0],
    appsRule: await one(client, (x) => r.findRule(x, APPS_RULE), `rule ${APPS_RULE}`),
  };
}

async function plannedChanges(client: QrsClient, p: Params) {
  return monitoringChanges(await readObjects(client), { archivedLogs: p.archivedLogs, centralHost: p.hostname });
}

/** Reads the object again and PUTs it with `patch` (and the modifiedDate just read). */
async function patch(client: QrsClient, kind: 'dataconnection' | 'systemrule', id: string, values: Readonly<Record<string, unknown>>): Promise<void> {
  const r = client.requests;
  const current = await client.call<QrsObject>((x) => (kind === 'dataconnection' ? r.getDataConnection(x, id) : r.getRule(x, id)));
  const next = { ...current, ...values };
  await client.call((x) => (kind === 'dataconnection' ? r.putDataConnection(x, next) : r.putRule(x, next)));
}

export const monitoringAppsStep = defineStepKind<typeof params, System>({
  kind: 'monitoring-apps',
  params,
  async check(p, { sys }) {
    let client: QrsClient;
    try {
      client = await open(sys, p);
      const { changes, missing } = await plannedChanges(client, p);
      const skipped = missing.length ? ` (not in this site, left alone: ${missing.join(', ')})` : '';
      if (!changes.length) return { action: 'noop', summary: `The monitoring apps are configured for shared persistence${skipped}` };
      return { action: 'update', summary: `Monitoring apps for shared persistence through the repository API: ${changes.map(describeChange).join('; ')}${skipped}` };
    } catch {
      // A new central node: its repository API runs only once its services started.
      return {
        action: 'update',
        summary: `Monitoring apps for shared persistence through the repository API once it runs: data connection ${ARCHIVED_LOGS_CONNECTION} -> ${p.archivedLogs}; ${REST_CONNECTIONS.join(', ')} -> ${p.hostname}; rule ${DEFAULT_RULE} disabled; rule "${APPS_RULE}" created`,
      };
    }
  },
  async apply(p, { sys, log }) {
    const client = await open(sys, p);
    const { changes, missing } = await plannedChanges(client, p);
    for (const m of missing) log(`monitoring apps: ${m} is not in this site; left alone`, 'warn');
    const done: (MonitoringChange & { createdId?: string })[] = [];
    for (const c of changes) {
      if (c.kind === 'connection') await patch(client, 'dataconnection', c.id, { connectionstring: c.to });
      else if (c.kind === 'disable-rule') await patch(client, 'systemrule', c.id, { disabled: true });
      else {
        const created = await client.call<QrsObject>((x) => client.requests.createRule(x, appsRule()));
        done.push({ ...c, createdId: created.id });
        log(`monitoring apps: ${describeChange(c)}`);
        continue;
      }
      done.push(c);
      log(`monitoring apps: ${describeChange(c)}`);
    }
    return { changes: done };
  },
  async verify(p, { sys }) {
    const { changes } = await plannedChanges(await open(sys, p), p);
    if (changes.length) throw new UserError('verify-failed', `The monitoring apps are not configured yet: ${changes.map(describeChange).join('; ')}.`, 'Resume to configure them again.');
  },
  async undo(p, { sys }, record) {
    const changes = (record?.['changes'] ?? []) as (MonitoringChange & { createdId?: string })[];
    if (!changes.length) return;
    const client = await open(sys, p);
    for (const c of [...changes].reverse()) {
      if (c.kind === 'connection') await patch(client, 'dataconnection', c.id, { connectionstring: c.from });
      else if (c.kind === 'disable-rule') await patch(client, 'systemrule', c.id, { disabled: false });
      else if (c.createdId) await client.call((x) => client.requests.deleteRule(x, c.createdId!));
    }
  },
});
