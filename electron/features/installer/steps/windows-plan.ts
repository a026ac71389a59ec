/**
 * The install plan on Windows: the planner's platform-neutral steps rewritten where Windows
 * differs. Pure. Called by the planner when the layout's platform is win32.
 * - os-account (useradd/groupadd) -> windows-account: check the existing account, local groups;
 * - directory (mode/uid) -> windows-directory (ACL grants). A local group means nothing on another
 *   machine, so grants on a UNC share name the service account itself; so do grants when the
 *   account is an administrator (the group is only made on the non-administrator path);
 * - file-content: POSIX mode and owner dropped (the file inherits its folder's ACL);
 * - bootstrap -> windows-bootstrap (run by the elevated administrator, no runuser);
 * - after the services are registered: windows-service-logon (account and password);
 * - with a share on this node (settings share.local): its folder (windows-directory) and the SMB
 *   share (windows-smb-share) before the share folders, which are then made through the UNC path.
 * Applying it to an adapted plan changes nothing. A local database is refused: its steps assume runuser and a postgres.exe service (see docs/windows.md).
 */
import { UserError } from '../../../shared/errors.js';
import type { PlanDraft, StepDraft } from '../../../engine/plan-builder.js';
import type { StepParams } from '../../../shared/plan.js';
import { isBuiltinServiceAccount } from '../../../system/windows/logon-right.js';
import { isUncPath, parseWindowsPath } from '../../../system/windows/paths.js';
import type { Settings } from '../../../shared/settings.js';
import type { NodeLayout } from '../layout.js';

export const serviceAccountPasswordSecret = 'serviceAccount.password';

interface Grant {
  readonly principal: string;
  readonly rights: string;
  readonly inherit: boolean;
}

/** The plan for a Windows node; `localShare` when the share lives on this node (settings share.local). */
export function adaptPlanForWindows(draft: PlanDraft, layout: NodeLayout, isAdministrator: boolean, localShare?: Settings['share']['local']): PlanDraft {
  if (layout.localDb) {
    throw new UserError(
      'invalid-input',
      'A local repository database is not supported on Windows by spsetup yet.',
      "Use an existing or dedicated database (run `spsetup db prepare` on the database server), or let the vendor's setup install its bundled database.",
    );
  }
  const account = layout.serviceAccount;
  const group = layout.manifest.serviceUsersGroup;
  const steps: StepDraft[] = [];
  const serviceNames: string[] = [];
  for (const step of draft.steps) {
    const p = step.params as Record<string, unknown>;
    switch (step.kind) {
      case 'os-account':
        steps.push({ ...step, kind: 'windows-account', params: { user: p['user'], groups: p['groups'] } as StepParams });
        break;
      case 'directory': {
        const paths = p['paths'] as string[];
        const toAccount = isAdministrator || paths.some(isUncPath);
        const grants = ((p['grants'] as Grant[] | undefined) ?? []).map((g) => (toAccount && g.principal === group ? { ...g, principal: account } : g));
        steps.push({ ...step, kind: 'windows-directory', params: { paths, grants } as StepParams });
        break;
      }
      case 'file-content': {
        const { mode: _mode, owner: _owner, group: _group, ...rest } = p;
        steps.push({ ...step, params: rest as StepParams });
        break;
      }
      case 'bootstrap': {
        const { user: _user, ...rest } = p;
        steps.push({ ...step, kind: 'windows-bootstrap', params: rest as StepParams });
        break;
      }
      default:
        steps.push(step);
    }
    // A service without an account (the node agent) runs as LocalSystem: no logon to set.
    if (step.kind === 'service' && (p['definition'] as { account?: string }).account !== undefined) serviceNames.push((p['definition'] as { name: string }).name);
  }
  if (localShare && !steps.some((s) => s.kind === 'windows-smb-share')) {
    // Before the sub folders, which are then made through the share's UNC path.
    const at = steps.findIndex((s) => s.id === 'share-folders');
    steps.splice(at < 0 ? 0 : at, 0, ...localShareSteps(layout, localShare, isAdministrator ? account : group));
  }
  const secrets = [...draft.secrets];
  const adapted = draft.steps.some((s) => s.kind === 'windows-service-logon');
  if (serviceNames.length && !isBuiltinServiceAccount(account) && !adapted) {
    // Right after the last registration, before any start.
    const at = steps.map((s) => s.kind).lastIndexOf('service') + 1;
    steps.splice(at, 0, {
      id: 'service-logon',
      kind: 'windows-service-logon',
      title: `The services log on as ${account}`,
      params: { services: serviceNames, account, password: { secret: serviceAccountPasswordSecret } } as StepParams,
    });
    if (!secrets.includes(serviceAccountPasswordSecret)) secrets.push(serviceAccountPasswordSecret);
  }
  return { ...draft, steps, secrets };
}

/** The folder on this node and its SMB share, named by the share root \\<this host>\<name>. */
function localShareSteps(layout: NodeLayout, local: NonNullable<Settings['share']['local']>, folderPrincipal: string): StepDraft[] {
  const root = parseWindowsPath(layout.share.root);
  if (root.kind !== 'unc') throw new UserError('invalid-input', `The share root ${layout.share.root} is not a \\\\server\\share path.`, 'Set share.root to \\\\<this host>\\<share name>.');
  const account = layout.serviceAccount;
  return [
    {
      id: 'local-share-folder',
      kind: 'windows-directory',
      title: `Folder ${local.path} for the file share`,
      params: { paths: [local.path], grants: [{ principal: folderPrincipal, rights: 'modify', inherit: true }] } as StepParams,
    },
    {
      id: 'local-share',
      kind: 'windows-smb-share',
      title: `SMB share ${root.root}${local.encrypt ? ' (encrypted)' : ''}`,
      params: {
        name: root.share,
        path: local.path,
        // Administrators need full access to make the sub folders and their ACLs through the share path.
        fullAccess: ['BUILTIN\\Administrators'],
        // The guide: read/write access for the service account (a domain account or an identical local one).
        changeAccess: [account],
        encrypt: local.encrypt,
        description: 'Shared persistence file share',
      } as StepParams,
    },
  ];
}
