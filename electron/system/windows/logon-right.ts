/**
 * The "Log on as a service" right (SeServiceLogonRight). Win32_Service.Change does not grant it
 * (services.msc does, behind the scenes), so a service set to a fresh account would fail with
 * error 1069. Granted through secedit export/import of USER_RIGHTS, idempotently.
 */
import { UserError } from '../../shared/errors.js';
import type { CommandRunner } from './command-runner.js';
import { assertAccountName } from './names.js';
import { lastLine, quotePs, runPowerShell } from './powershell.js';

const builtinAccounts = new Set(['localsystem', 'nt authority\\system', 'nt authority\\localservice', 'nt authority\\networkservice']);

/** Accounts that need no password and already hold the right: LocalSystem, LocalService, NetworkService, NT SERVICE\*. */
export function isBuiltinServiceAccount(account: string): boolean {
  const lower = account.toLowerCase();
  return builtinAccounts.has(lower) || lower.startsWith('nt service\\');
}

/** The script: resolve the SID, export the rights, add *SID to SeServiceLogonRight unless present, import. */
export function buildLogonRightScript(account: string): readonly string[] {
  return [
    `$account = ${quotePs(account)}`,
    // .NET does not know the ".\\user" shorthand for a local account that sc.exe accepts.
    "$lookup = if ($account.StartsWith('.\\')) { $env:COMPUTERNAME + $account.Substring(1) } else { $account }",
    '$sid = ([System.Security.Principal.NTAccount]::new($lookup)).Translate([System.Security.Principal.SecurityIdentifier]).Value',
    "$dir = Join-Path ([System.IO.Path]::GetTempPath()) ('spsetup-rights-' + [guid]::NewGuid().ToString('N'))",
    'New-Item -ItemType Directory -Path $dir | Out-Null',
    'try {',
    "  $export = Join-Path $dir 'export.inf'",
    '  & secedit.exe /export /cfg $export /areas USER_RIGHTS /quiet | Out-Null',
    "  if ($LASTEXITCODE -ne 0) { throw ('secedit /export failed with exit code ' + $LASTEXITCODE) }",
    "  $line = Get-Content -LiteralPath $export | Where-Object { $_ -match '^SeServiceLogonRight\\s*=' } | Select-Object -First 1",
    '  $holders = @()',
    "  if ($line) { $holders = @((($line -split '=', 2)[1]).Split(',') | ForEach-Object { $_.Trim() } | Where-Object { $_ -ne '' }) }",
    "  if (($holders -contains ('*' + $sid)) -or ($holders -contains $account)) { Write-Output 'unchanged'; exit 0 }",
    "  $import = Join-Path $dir 'import.inf'",
    "  $content = @('[Unicode]', 'Unicode=yes', '[Version]', 'signature=\"$CHICAGO$\"', 'Revision=1', '[Privilege Rights]', ('SeServiceLogonRight = ' + (@($holders + ('*' + $sid)) -join ',')))",
    '  Set-Content -LiteralPath $import -Value $content -Encoding Unicode',
    "  & secedit.exe /configure /db (Join-Path $dir 'rights.sdb') /cfg $import /areas USER_RIGHTS /quiet | Out-Null",
    "  if ($LASTEXITCODE -ne 0) { throw ('secedit /configure failed with exit code ' + $LASTEXITCODE) }",
    "  Write-Output 'granted'",
    '} finally {',
    '  Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue',
    '}',
  ];
}

/** Grants "Log on as a service" to the account; returns whether anything changed. */
export async function ensureLogonAsService(runner: CommandRunner, account: string): Promise<boolean> {
  assertAccountName(account);
  if (isBuiltinServiceAccount(account)) return false;
  const res = await runPowerShell(runner, buildLogonRightScript(account), { allowFailure: true });
  if (res.code !== 0) {
    throw new UserError(
      'permission-denied',
      `Could not grant "Log on as a service" to ${account}: ${res.stderr.trim() || res.stdout.trim()}`,
      'Check that the account exists and that spsetup runs elevated, or grant the right in Local Security Policy > User Rights Assignment.',
    );
  }
  return lastLine(res.stdout) === 'granted';
}
