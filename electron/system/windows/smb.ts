/**
 * The SMB share for the shared folders, when the share lives on this node: New-SmbShare with the
 * service account's access, encrypted on request (the guide's SMB 3 note), idempotent.
 */
import { UserError } from '../../shared/errors.js';
import type { CommandRunner } from './command-runner.js';
import { assertAccountName, assertPrintable, assertShareName } from './names.js';
import { normalizeWindowsPath } from './paths.js';
import { lastLine, quotePs, quotePsArray, runPowerShell } from './powershell.js';

export interface SmbShareSpec {
  readonly name: string;
  /** The local folder shared, e.g. C:\QlikShare. */
  readonly path: string;
  readonly fullAccess?: readonly string[];
  readonly changeAccess?: readonly string[];
  readonly readAccess?: readonly string[];
  /** SMB 3 encryption (every node must then run Windows Server 2012 or later). */
  readonly encrypt?: boolean;
  readonly description?: string | undefined;
}

export type SmbOutcome = 'created' | 'updated' | 'unchanged';

const conflictExit = 5;

/**
 * The script: Get-SmbShare first; create with New-SmbShare, or on an existing share of the same
 * path add missing access and switch encryption on. A share of that name on another path is a
 * conflict (never repointed silently).
 */
export function buildSmbShareScript(spec: SmbShareSpec): readonly string[] {
  const full = spec.fullAccess ?? [];
  const change = spec.changeAccess ?? [];
  const read = spec.readAccess ?? [];
  const create = [`New-SmbShare -Name $name -Path $path`];
  if (full.length > 0) create.push(`-FullAccess ${quotePsArray(full)}`);
  if (change.length > 0) create.push(`-ChangeAccess ${quotePsArray(change)}`);
  if (read.length > 0) create.push(`-ReadAccess ${quotePsArray(read)}`);
  if (spec.encrypt) create.push('-EncryptData $true');
  if (spec.description !== undefined) create.push(`-Description ${quotePs(spec.description)}`);
  const grants: string[] = [];
  for (const [right, accounts] of [['Full', full], ['Change', change], ['Read', read]] as const) {
    for (const account of accounts) grants.push(`Add-Access ${quotePs(account)} '${right}'`);
  }
  return [
    `$name = ${quotePs(spec.name)}`,
    `$path = ${quotePs(spec.path)}`,
    '$share = Get-SmbShare -Name $name -ErrorAction SilentlyContinue',
    'if ($null -eq $share) {',
    `  ${create.join(' ')} | Out-Null`,
    "  Write-Output 'created'",
    '  exit 0',
    '}',
    "if ($share.Path.TrimEnd('\\') -ne $path.TrimEnd('\\')) {",
    "  [Console]::Error.WriteLine('The share ' + $name + ' already exists for ' + $share.Path + '.')",
    `  exit ${conflictExit}`,
    '}',
    '$script:changed = $false',
    // Compared by SID: Get-SmbShareAccess reports DOMAIN\\user where the spec may say user.
    'function Get-Sid([string]$n) { try { ([System.Security.Principal.NTAccount]::new($n)).Translate([System.Security.Principal.SecurityIdentifier]).Value } catch { $n } }',
    'function Add-Access([string]$account, [string]$right) {',
    '  $sid = Get-Sid $account',
    "  $held = @(Get-SmbShareAccess -Name $name | Where-Object { $_.AccessControlType -eq 'Allow' -and $_.AccessRight -eq $right -and (Get-Sid $_.AccountName) -eq $sid })",
    '  if ($held.Count -eq 0) {',
    '    Grant-SmbShareAccess -Name $name -AccountName $account -AccessRight $right -Force | Out-Null',
    '    $script:changed = $true',
    '  }',
    '}',
    ...grants,
    ...(spec.encrypt
      ? ['if (-not $share.EncryptData) {', '  Set-SmbShare -Name $name -EncryptData $true -Force', '  $script:changed = $true', '}']
      : []),
    "if ($script:changed) { Write-Output 'updated' } else { Write-Output 'unchanged' }",
  ];
}

/** Creates or updates the share; returns what happened. */
export async function ensureSmbShare(runner: CommandRunner, spec: SmbShareSpec): Promise<SmbOutcome> {
  assertShareName(spec.name);
  const path = normalizeWindowsPath(spec.path);
  for (const a of [...(spec.fullAccess ?? []), ...(spec.changeAccess ?? []), ...(spec.readAccess ?? [])]) assertAccountName(a);
  if (spec.description !== undefined) assertPrintable(spec.description, 'share description');
  const res = await runPowerShell(runner, buildSmbShareScript({ ...spec, path }), { allowFailure: true });
  if (res.code === conflictExit) {
    throw new UserError('conflict', res.stderr.trim(), `Choose another share name, or remove the existing share ${spec.name} first.`);
  }
  if (res.code !== 0) {
    throw new UserError('permission-denied', `Could not share ${path} as ${spec.name}: ${res.stderr.trim()}`, 'Run spsetup elevated and check that the folder exists.');
  }
  const outcome = lastLine(res.stdout);
  return outcome === 'created' || outcome === 'updated' ? outcome : 'unchanged';
}
