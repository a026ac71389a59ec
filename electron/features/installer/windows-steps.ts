/**
 * The install steps only a Windows node has, made with their kinds' typed constructors (the
 * planner adds them; nothing rewrites a plan): the SMB share when the share lives on this node,
 * and the services' logon account. A local database is refused on Windows: its steps assume
 * runuser and a postgres.exe service (see docs/windows.md).
 */
import { UserError } from '../../shared/errors.js';
import type { StepDraft } from '../../engine/plan-builder.js';
import { directoryStep } from '../../engine/steps/directory.js';
import { isBuiltinServiceAccount } from '../../system/windows/logon-right.js';
import { parseWindowsPath } from '../../system/windows/paths.js';
import type { Settings } from '../../shared/settings.js';
import type { NodeLayout } from './layout.js';
import { windowsServiceLogonStep } from './steps/windows-service-logon.js';
import { windowsSmbShareStep } from './steps/windows-smb-share.js';

export const serviceAccountPasswordSecret = 'serviceAccount.password';

/** Refuses what spsetup cannot install on Windows yet, before anything is planned. */
export function refuseUnsupportedOnWindows(layout: NodeLayout): void {
  if (layout.localDb) {
    throw new UserError(
      'invalid-input',
      'A local repository database is not supported on Windows by spsetup yet.',
      "Use an existing or dedicated database (run `spsetup db prepare` on the database server), or let the vendor's setup install its bundled database.",
    );
  }
}

/** The folder on this node and its SMB share, named by the share root \\<this host>\<name>; before the share's sub folders, which are made through the UNC path. */
export function localShareSteps(layout: NodeLayout, local: NonNullable<Settings['share']['local']>, folderPrincipal: string): StepDraft[] {
  const root = parseWindowsPath(layout.share.root);
  if (root.kind !== 'unc') throw new UserError('invalid-input', `The share root ${layout.share.root} is not a \\\\server\\share path.`, 'Set share.root to \\\\<this host>\\<share name>.');
  return [
    directoryStep.draft('local-share-folder', `Folder ${local.path} for the file share`, { paths: [local.path], grants: [{ principal: folderPrincipal, rights: 'modify', inherit: true }] }),
    windowsSmbShareStep.draft('local-share', `SMB share ${root.root}${local.encrypt ? ' (encrypted)' : ''}`, {
      name: root.share,
      path: local.path,
      // Administrators need full access to make the sub folders and their ACLs through the share path.
      fullAccess: ['BUILTIN\\Administrators'],
      // The guide: read/write access for the service account (a domain account or an identical local one).
      changeAccess: [layout.serviceAccount],
      encrypt: local.encrypt,
      description: 'Shared persistence file share',
    }),
  ];
}

/** The logon step of the services that run as the service account (right after their registration), or none for a built-in account. */
export function serviceLogonSteps(layout: NodeLayout, services: readonly string[]): StepDraft[] {
  const account = layout.serviceAccount;
  if (!services.length || isBuiltinServiceAccount(account)) return [];
  return [windowsServiceLogonStep.draft('service-logon', `The services log on as ${account}`, { services: [...services], account, password: { secret: serviceAccountPasswordSecret } })];
}
