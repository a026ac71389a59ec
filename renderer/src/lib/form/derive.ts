/** Fields that follow other fields until the user edits them. */
import { CONNECTIONS_PER_NODE, joinPath } from '../../../../electron/shared/settings.js';
import { SUB_FOLDERS } from './model.js';
import type { Form } from './model.js';
import { splitList } from './text.js';

/** Keeps derived fields in step with their sources unless the user edited them. */
export function deriveFields(form: Form): void {
  for (const [key, name] of SUB_FOLDERS) {
    if (!form.subEdited[key]) form.sub[key] = form.shareRoot.trim() === '' ? '' : joinPath(form.platform, form.shareRoot.trim(), name);
  }
  const nodes = Number(form.plannedNodes);
  if (!form.maxConnectionsEdited && Number.isInteger(nodes) && nodes >= 1) form.maxConnections = String(CONNECTIONS_PER_NODE * nodes);
  // The guide: with a service account without local Administrator privileges, do not start the
  // services at the end (the group permissions come first).
  if (!form.startServicesEdited) form.startServices = form.serviceIsAdministrator;
  if (form.task !== 'install') form.installChoice ??= { mode: form.mode, dbInstall: form.dbInstall };
  else if (form.installChoice) {
    form.mode = form.installChoice.mode;
    form.dbInstall = form.installChoice.dbInstall;
    form.installChoice = undefined;
  }
  // A migration keeps the node's repository database: the central node creates the cluster on it, a rim node joins.
  if (form.task === 'migrate') {
    form.mode = form.migrationRole === 'central' ? 'create' : 'join';
    form.dbInstall = 'existing';
  }
  // The Site screen only connects to the repository database, wherever it runs.
  if (form.task === 'site') form.dbInstall = 'existing';
  if (form.mode === 'join') form.dbInstall = 'existing';
}

/** True when an IP range admits every IPv4 or IPv6 address. */
export function hasOpenRange(ipRanges: string): boolean {
  return splitList(ipRanges).some((r) => r === '0.0.0.0/0' || r === '::/0');
}
