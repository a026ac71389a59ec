/**
 * Local groups for the guide's "service account without local Administrator privileges" path:
 * the group "Qlik Sense Service Users" and membership of it and of "Performance Monitor Users".
 */
import { UserError } from '../../shared/errors.js';
import type { CommandRunner } from './command-runner.js';
import { assertAccountName, assertPrintable } from './names.js';
import { lastLine, quotePs, runPowerShell } from './powershell.js';

/** The guide's group name (product-specific; callers may pass the manifest's). */
export const serviceUsersGroup = 'Qlik Sense Service Users';

/** BUILTIN\Performance Monitor Users by SID: its name is translated on non-English Windows. */
export const performanceMonitorUsersSid = 'S-1-5-32-558';

/** Where a group is named: by name, or by well-known SID. */
export type GroupRef = { readonly name: string } | { readonly sid: string };

/** The idempotent New-LocalGroup script; prints created or unchanged. */
export function buildEnsureGroupScript(name: string, description: string): readonly string[] {
  return [
    `$name = ${quotePs(name)}`,
    'if (Get-LocalGroup -Name $name -ErrorAction SilentlyContinue) { Write-Output \'unchanged\'; exit 0 }',
    `New-LocalGroup -Name $name -Description ${quotePs(description)} | Out-Null`,
    "Write-Output 'created'",
  ];
}

/**
 * The idempotent Add-LocalGroupMember script; prints added or unchanged. MemberExistsException is
 * caught instead of listing members first: Get-LocalGroupMember fails on groups holding orphaned SIDs.
 */
export function buildAddMemberScript(group: GroupRef, member: string): readonly string[] {
  const target = 'sid' in group ? `-SID ${quotePs(group.sid)}` : `-Name ${quotePs(group.name)}`;
  return [
    'try {',
    `  Add-LocalGroupMember ${target} -Member ${quotePs(member)} -ErrorAction Stop`,
    "  Write-Output 'added'",
    '} catch [Microsoft.PowerShell.Commands.MemberExistsException] {',
    "  Write-Output 'unchanged'",
    '}',
  ];
}

/** Creates the local group unless it exists; returns whether it was created. */
export async function ensureLocalGroup(runner: CommandRunner, name: string, description: string): Promise<boolean> {
  assertAccountName(name);
  assertPrintable(description, 'group description');
  const res = await runPowerShell(runner, buildEnsureGroupScript(name, description), { allowFailure: true });
  if (res.code !== 0) throw failed(`create the local group "${name}"`, res.stderr);
  return lastLine(res.stdout) === 'created';
}

/** Adds the account to the group unless it is a member; returns whether it was added. */
export async function ensureGroupMember(runner: CommandRunner, group: GroupRef, member: string): Promise<boolean> {
  assertAccountName(member);
  if ('name' in group) assertAccountName(group.name);
  else assertAccountName(group.sid);
  const res = await runPowerShell(runner, buildAddMemberScript(group, member), { allowFailure: true });
  const label = 'sid' in group ? group.sid : group.name;
  if (res.code !== 0) throw failed(`add ${member} to the local group "${label}"`, res.stderr);
  return lastLine(res.stdout) === 'added';
}

/** The whole non-administrator path: the group, the account in it and in Performance Monitor Users. */
export async function ensureServiceAccountGroups(runner: CommandRunner, account: string, group = serviceUsersGroup): Promise<boolean> {
  const created = await ensureLocalGroup(runner, group, 'Accounts that run the shared persistence services');
  const inGroup = await ensureGroupMember(runner, { name: group }, account);
  const inPerfmon = await ensureGroupMember(runner, { sid: performanceMonitorUsersSid }, account);
  return created || inGroup || inPerfmon;
}

function failed(what: string, stderr: string): UserError {
  return new UserError(
    'permission-denied',
    `Could not ${what}: ${stderr.trim() || 'PowerShell reported an error'}`,
    'Run spsetup elevated and check that the account exists (on a domain controller there are no local groups).',
  );
}

export type MembershipState = 'member' | 'not-member' | 'no-group';

/**
 * The read-only script: for each group, whether the account is a direct member. Members are read
 * through ADSI by SID, which (unlike Get-LocalGroupMember) copes with orphaned SIDs in the group.
 * Prints one `state<TAB>label` line per group (label: the name, or the SID for a SID reference).
 */
export function buildMembershipScript(account: string, groups: readonly GroupRef[]): readonly string[] {
  const tests = groups.map((g) =>
    'sid' in g
      ? `Test-Member ${quotePs(g.sid)} (([System.Security.Principal.SecurityIdentifier]::new(${quotePs(g.sid)})).Translate([System.Security.Principal.NTAccount]).Value.Split('\\')[1])`
      : `Test-Member ${quotePs(g.name)} ${quotePs(g.name)}`,
  );
  return [
    `$account = ${quotePs(account)}`,
    "$lookup = if ($account.StartsWith('.\\')) { $env:COMPUTERNAME + $account.Substring(1) } else { $account }",
    '$sid = ([System.Security.Principal.NTAccount]::new($lookup)).Translate([System.Security.Principal.SecurityIdentifier]).Value',
    'function Test-Member([string]$label, [string]$groupName) {',
    "  $group = [ADSI]('WinNT://' + $env:COMPUTERNAME + '/' + $groupName + ',group')",
    "  try { $members = @($group.Invoke('Members')) } catch { Write-Output ('no-group' + [char]9 + $label); return }",
    '  foreach ($m in $members) {',
    "    $bytes = $m.GetType().InvokeMember('objectSid', 'GetProperty', $null, $m, $null)",
    "    if (([System.Security.Principal.SecurityIdentifier]::new($bytes, 0)).Value -eq $sid) { Write-Output ('member' + [char]9 + $label); return }",
    '  }',
    "  Write-Output ('not-member' + [char]9 + $label)",
    '}',
    ...tests,
  ];
}

/** Reads the account's direct membership of each group (see buildMembershipScript). */
export async function readGroupMembership(runner: CommandRunner, account: string, groups: readonly GroupRef[]): Promise<ReadonlyMap<string, MembershipState>> {
  assertAccountName(account);
  for (const g of groups) assertAccountName('sid' in g ? g.sid : g.name);
  const res = await runPowerShell(runner, buildMembershipScript(account, groups), { allowFailure: true });
  if (res.code !== 0) throw failed(`read the local groups of ${account}`, res.stderr);
  const states = new Map<string, MembershipState>();
  for (const line of res.stdout.split(/\r?\n/)) {
    const [state, label] = line.trim().split('\t');
    if (label !== undefined && (state === 'member' || state === 'not-member' || state === 'no-group')) states.set(label, state);
  }
  return states;
}

/** The script removing a member (undo); a member already gone is fine. */
export function buildRemoveMemberScript(group: GroupRef, member: string): readonly string[] {
  const target = 'sid' in group ? `-SID ${quotePs(group.sid)}` : `-Name ${quotePs(group.name)}`;
  return [
    'try {',
    `  Remove-LocalGroupMember ${target} -Member ${quotePs(member)} -ErrorAction Stop`,
    '} catch [Microsoft.PowerShell.Commands.MemberNotFoundException] { }',
  ];
}

/** The script removing a local group (undo); a group already gone is fine. */
export function buildRemoveGroupScript(name: string): readonly string[] {
  return [`Remove-LocalGroup -Name ${quotePs(name)} -ErrorAction SilentlyContinue`];
}
