/**
 * SecretStore on Windows: DPAPI with LocalMachine scope (as the product protects its repository
 * connection string). LocalMachine means any process on this machine can unprotect the blob, so
 * the file itself is locked down to SYSTEM, Administrators and the service account.
 */
import { UserError } from '../../shared/errors.js';
import type { SecretStore } from '../types.js';
import type { CommandRunner } from './command-runner.js';
import { assertAccountName } from './names.js';
import { normalizeWindowsPath } from './paths.js';
import { psReadStdin, quotePs, quotePsArray, runPowerShell } from './powershell.js';

const missingExit = 3;

/** SYSTEM and BUILTIN\Administrators by SID (their names are translated on non-English Windows). */
const alwaysAllowed = ['*S-1-5-18', '*S-1-5-32-544'];

/**
 * The put script: plaintext from stdin, ProtectedData.Protect(LocalMachine), written to a temp file
 * whose ACL is set (inheritance off) before the bytes go in, then moved over the target.
 */
export function buildProtectScript(path: string, readers: readonly string[]): readonly string[] {
  return [
    'Add-Type -AssemblyName System.Security',
    ...psReadStdin('plain', 'all'),
    `$path = ${quotePs(path)}`,
    "$bytes = [System.Text.Encoding]::UTF8.GetBytes($plain)",
    "$blob = [System.Security.Cryptography.ProtectedData]::Protect($bytes, $null, 'LocalMachine')",
    '$dir = Split-Path -Parent $path',
    'if (-not (Test-Path -LiteralPath $dir)) { New-Item -ItemType Directory -Path $dir -Force | Out-Null }',
    "$tmp = $path + '.' + [guid]::NewGuid().ToString('N') + '.tmp'",
    // The temp file never outlives a failure: it would hold nothing secret yet, but it is litter.
    'try {',
    '  [System.IO.File]::WriteAllBytes($tmp, [byte[]]@())',
    '  $acl = [System.Security.AccessControl.FileSecurity]::new()',
    '  $acl.SetAccessRuleProtection($true, $false)',
    `  foreach ($who in ${quotePsArray(readers)}) {`,
    "    if ($who.StartsWith('*')) { $id = [System.Security.Principal.SecurityIdentifier]::new($who.Substring(1)) } elseif ($who.StartsWith('.\\')) { $id = [System.Security.Principal.NTAccount]::new($env:COMPUTERNAME + $who.Substring(1)) } else { $id = [System.Security.Principal.NTAccount]::new($who) }",
    "    $right = if ($who -eq '*S-1-5-18' -or $who -eq '*S-1-5-32-544') { 'FullControl' } else { 'Read' }",
    "    $acl.AddAccessRule([System.Security.AccessControl.FileSystemAccessRule]::new($id, $right, 'Allow'))",
    '  }',
    '  Set-Acl -LiteralPath $tmp -AclObject $acl',
    '  [System.IO.File]::WriteAllBytes($tmp, $blob)',
    '  Move-Item -LiteralPath $tmp -Destination $path -Force',
    '} catch {',
    '  Remove-Item -LiteralPath $tmp -Force -ErrorAction SilentlyContinue',
    '  throw',
    '}',
    "Write-Output 'stored'",
  ];
}

/** The get script: the blob unprotected, printed as base64 of its UTF-8 bytes (immune to console code pages). */
export function buildUnprotectScript(path: string): readonly string[] {
  return [
    'Add-Type -AssemblyName System.Security',
    `$path = ${quotePs(path)}`,
    `if (-not (Test-Path -LiteralPath $path)) { exit ${missingExit} }`,
    '$blob = [System.IO.File]::ReadAllBytes($path)',
    "$bytes = [System.Security.Cryptography.ProtectedData]::Unprotect($blob, $null, 'LocalMachine')",
    '[Console]::Out.Write([Convert]::ToBase64String($bytes))',
  ];
}

/** DPAPI-protected secret files. */
export class DpapiSecretStore implements SecretStore {
  constructor(private readonly runner: CommandRunner) {}

  /** Protects `value` into `path`; only SYSTEM, Administrators and `account` may read the file. */
  async put(path: string, value: string, account?: string): Promise<void> {
    const target = normalizeWindowsPath(path);
    if (account !== undefined) assertAccountName(account);
    const readers = account === undefined ? alwaysAllowed : [...alwaysAllowed, account];
    const res = await runPowerShell(this.runner, buildProtectScript(target, readers), {
      input: value,
      secrets: [value],
      allowFailure: true,
    });
    if (res.code !== 0) {
      throw new UserError(
        'permission-denied',
        `Could not store the protected secret in ${target}: ${res.stderr.trim() || `exit code ${res.code}`}`,
        'Run spsetup elevated and check that the folder is on a local disk.',
      );
    }
  }

  /** The secret, or undefined when the file does not exist. */
  async get(path: string): Promise<string | undefined> {
    const target = normalizeWindowsPath(path);
    const res = await runPowerShell(this.runner, buildUnprotectScript(target), { allowFailure: true });
    if (res.code === missingExit) return undefined;
    if (res.code !== 0) {
      throw new UserError(
        'permission-denied',
        `Could not read the protected secret in ${target}.`,
        'DPAPI LocalMachine data can only be read on the machine that wrote it, by an account allowed to read the file: run spsetup elevated on that machine, or store the secret again.',
      );
    }
    const encoded = res.stdout.trim();
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) {
      throw new UserError('config-invalid', `Unexpected output while reading the protected secret in ${target}.`, 'Store the secret again.');
    }
    return Buffer.from(encoded, 'base64').toString('utf8');
  }
}
