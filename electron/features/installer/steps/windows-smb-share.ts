/**
 * Step kind (Windows): the SMB share of the shared folders, when the share lives on this node (the
 * guide's "Create a Windows share for this folder and set read/write access ... for the service
 * account", SMB 3 encryption on request). Its check is one read-only Get-SmbShare query; apply is
 * ensureSmbShare (New-SmbShare, or the missing access and encryption on the same folder). A share
 * of that name on another folder is a conflict: never repointed. Undo removes only a share this
 * step created. Encryption is never switched off (another tool may have asked for it).
 */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { assertShareName } from '../../../system/windows/names.js';
import { normalizeWindowsPath } from '../../../system/windows/paths.js';
import { quotePs, runPowerShell } from '../../../system/windows/powershell.js';
import { ensureSmbShare } from '../../../system/windows/smb.js';

const params = z.object({
  name: z.string().min(1),
  path: z.string().min(1),
  fullAccess: z.array(z.string()),
  changeAccess: z.array(z.string()),
  encrypt: z.boolean(),
  description: z.string().optional(),
});
type Params = z.infer<typeof params>;

/** What Get-SmbShare reports about the share, against what the step wants. */
type ShareState = { readonly exists: false } | { readonly exists: true; readonly path: string; readonly encrypted: boolean; readonly lacking: readonly string[] };

const grantsOf = (p: Params) => [...p.fullAccess.map((a) => ['Full', a] as const), ...p.changeAccess.map((a) => ['Change', a] as const)];

/** The read-only query: path, encryption, and each wanted access the share lacks (compared by SID, as smb.ts grants). */
export function buildSmbShareQueryScript(p: Params): readonly string[] {
  return [
    `$name = ${quotePs(p.name)}`,
    '$share = Get-SmbShare -Name $name -ErrorAction SilentlyContinue',
    "if ($null -eq $share) { Write-Output 'missing'; exit 0 }",
    'Write-Output ("path`t" + $share.Path)',
    'Write-Output ("encrypted`t" + $share.EncryptData)',
    'function Get-Sid([string]$n) { try { ([System.Security.Principal.NTAccount]::new($n)).Translate([System.Security.Principal.SecurityIdentifier]).Value } catch { $n } }',
    '$access = @(Get-SmbShareAccess -Name $name)',
    'function Test-Access([string]$account, [string]$right) {',
    '  $sid = Get-Sid $account',
    "  $held = @($access | Where-Object { $_.AccessControlType -eq 'Allow' -and $_.AccessRight -eq $right -and (Get-Sid $_.AccountName) -eq $sid })",
    '  if ($held.Count -eq 0) { Write-Output ("lacking`t" + $right + "`t" + $account) }',
    '}',
    ...grantsOf(p).map(([right, account]) => `Test-Access ${quotePs(account)} '${right}'`),
  ];
}

/** Removes the share (not the folder). */
export function buildRemoveSmbShareScript(name: string): readonly string[] {
  return [`Remove-SmbShare -Name ${quotePs(name)} -Force -ErrorAction SilentlyContinue`];
}

async function readShare(sys: System, p: Params): Promise<ShareState> {
  assertShareName(p.name);
  const res = await runPowerShell(sys.processes, buildSmbShareQueryScript(p), { allowFailure: true, timeoutMs: 60_000 });
  if (res.code !== 0) throw new UserError('permission-denied', `Could not read the SMB share ${p.name}: ${res.stderr.trim()}`, 'Run spsetup elevated.');
  const lines = res.stdout.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (lines.includes('missing')) return { exists: false };
  const field = (key: string) => lines.find((l) => l.startsWith(`${key}\t`))?.slice(key.length + 1) ?? '';
  const lacking = lines.filter((l) => l.startsWith('lacking\t')).map((l) => l.split('\t').slice(1).reverse().join(': '));
  return { exists: true, path: field('path'), encrypted: field('encrypted').toLowerCase() === 'true', lacking };
}

const samePath = (a: string, b: string) => a.replace(/\\+$/, '').toUpperCase() === b.replace(/\\+$/, '').toUpperCase();

/** What is missing on a share of this name and folder; throws when it shares another folder. */
function shortfall(p: Params, state: Extract<ShareState, { exists: true }>): string[] {
  if (!samePath(state.path, normalizeWindowsPath(p.path))) {
    throw new UserError(
      'conflict',
      `The SMB share ${p.name} already exists for ${state.path}, not for ${p.path}.`,
      `spsetup never repoints a share: choose another share name in share.root, set share.local.path to ${state.path}, or remove the share ${p.name} first (Remove-SmbShare).`,
    );
  }
  return [...state.lacking, ...(p.encrypt && !state.encrypted ? ['SMB 3 encryption'] : [])];
}

const describeAccess = (p: Params) => grantsOf(p).map(([right, account]) => `${account}: ${right}`).join(', ');

/** The `windows-smb-share` step kind. */
export const windowsSmbShareStep = defineStepKind<typeof params, System>({
  kind: 'windows-smb-share',
  params,
  async check(p, { sys }) {
    const state = await readShare(sys, p);
    const encryption = p.encrypt ? '; SMB 3 encryption (every node must run Windows Server 2012 or later)' : '';
    if (!state.exists) return { action: 'create', summary: `Share ${p.path} as ${p.name} (${describeAccess(p)})${encryption}` };
    const missing = shortfall(p, state);
    if (missing.length) return { action: 'update', summary: `Add to the share ${p.name}: ${missing.join(', ')}` };
    return { action: 'noop', summary: `${p.path} is shared as ${p.name} with ${describeAccess(p)}${state.encrypted ? ', encrypted' : ''}` };
  },
  async apply(p, { sys, log }) {
    const outcome = await ensureSmbShare(sys.processes, p);
    if (outcome !== 'unchanged') log(`The SMB share ${p.name} was ${outcome}.`);
    return { created: outcome === 'created' };
  },
  async verify(p, { sys }) {
    const state = await readShare(sys, p);
    if (!state.exists) throw new UserError('verify-failed', `The SMB share ${p.name} is missing after creating it.`, 'Check Get-SmbShare, then resume.');
    const missing = shortfall(p, state);
    if (missing.length) throw new UserError('verify-failed', `The SMB share ${p.name} lacks ${missing.join(', ')}.`, 'Check Get-SmbShare and Get-SmbShareAccess, then resume.');
  },
  async undo(p, { sys }, record) {
    if (record?.['created'] === true) await runPowerShell(sys.processes, buildRemoveSmbShareScript(p.name), { allowFailure: true });
  },
});
