/**
 * The guide's "Configuring Monitoring apps for shared persistence", as wanted repository objects:
 * the ArchivedLogsFolder data connection pointed at the share's ArchivedLogs folder, the monitoring
 * apps' REST connections pointed at the central node (the guide: "the Connection string points to
 * the [server] containing the database"; read here as the central node's repository), the
 * ResourcesOnNonCentralNodes load balancing rule disabled, and a rule that balances App_* on the
 * non-central nodes. Pure: what to change is computed from what the API answered.
 */
import type { QrsObject } from './qrs-requests.js';

export const ARCHIVED_LOGS_CONNECTION = 'ArchivedLogsFolder';
export const REST_CONNECTIONS = ['monitor_apps_REST_app', 'monitor_apps_REST_task'] as const;
export const DEFAULT_RULE = 'ResourcesOnNonCentralNodes';
/** The rule the guide asks for (its name is ours: the guide gives none). */
export const APPS_RULE = 'Shared persistence: App_* on non-central nodes';

/** The guide's new load balancing rule. */
export function appsRule(): Readonly<Record<string, unknown>> {
  return { name: APPS_RULE, category: 'Sync', type: 'Custom', resourceFilter: 'App_*', actions: 1, rule: '((node.isCentral = "false"))', ruleContext: 'BothQlikSenseAndQMC', disabled: false, comment: 'Made by spsetup (the shared persistence guide)' };
}

/** A REST connection string with its url's host replaced by the central node's. */
export function pointRestAt(connectionstring: string, host: string): string {
  return connectionstring.replace(/(url=https?:\/\/)([^/:;"]+)/i, (_m, scheme: string) => `${scheme}${host}`);
}

/** One change to make, with the value it replaces (for undo). */
export type MonitoringChange =
  | { readonly kind: 'connection'; readonly name: string; readonly id: string; readonly from: string; readonly to: string }
  | { readonly kind: 'disable-rule'; readonly name: string; readonly id: string }
  | { readonly kind: 'create-rule'; readonly name: string };

export interface MonitoringObjects {
  readonly connections: ReadonlyMap<string, QrsObject | undefined>;
  readonly defaultRule: QrsObject | undefined;
  readonly appsRule: QrsObject | undefined;
}

/** What differs from the guide's values. Objects the site lacks (a connection, the default rule) are named in `missing`. */
export function monitoringChanges(found: MonitoringObjects, want: { archivedLogs: string; centralHost: string }): { changes: MonitoringChange[]; missing: string[] } {
  const changes: MonitoringChange[] = [];
  const missing: string[] = [];
  const connection = (name: string, to: (current: string) => string) => {
    const o = found.connections.get(name);
    if (!o) return void missing.push(`data connection ${name}`);
    const from = String(o['connectionstring'] ?? '');
    const target = to(from);
    if (from !== target) changes.push({ kind: 'connection', name, id: o.id, from, to: target });
  };
  connection(ARCHIVED_LOGS_CONNECTION, () => want.archivedLogs);
  for (const name of REST_CONNECTIONS) connection(name, (current) => pointRestAt(current, want.centralHost));
  if (!found.defaultRule) missing.push(`load balancing rule ${DEFAULT_RULE}`);
  else if (found.defaultRule['disabled'] !== true) changes.push({ kind: 'disable-rule', name: DEFAULT_RULE, id: found.defaultRule.id });
  if (!found.appsRule) changes.push({ kind: 'create-rule', name: APPS_RULE });
  return { changes, missing };
}

/** One line per change, for the plan. */
export function describeChange(c: MonitoringChange): string {
  switch (c.kind) {
    case 'connection':
      return `data connection ${c.name}: ${c.from} -> ${c.to}`;
    case 'disable-rule':
      return `load balancing rule ${c.name}: disabled`;
    case 'create-rule':
      return `load balancing rule "${c.name}" (App_*, load balancing, node.isCentral = "false"): created`;
  }
}
