/**
 * Folder ACLs through icacls (the grants of Files.setAccess): inheritable grants on the data
 * folder and the share so files created later by the services get the same rights.
 */
import { UserError } from '../../shared/errors.js';
import type { AccessGrant } from '../types.js';
import type { CommandRunner } from './command-runner.js';
import { assertAccountName } from './names.js';
import { toLongPath } from './paths.js';

export const icaclsExe = 'icacls.exe';

const rightsCode: Readonly<Record<AccessGrant['rights'], string>> = { read: 'RX', modify: 'M', full: 'F' };

/** One icacls grant, e.g. `Qlik Sense Service Users:(OI)(CI)M`. */
export function formatIcaclsGrant(grant: AccessGrant): string {
  return `${grant.principal}:${grant.inherit ? '(OI)(CI)' : ''}${rightsCode[grant.rights]}`;
}

/**
 * icacls arguments granting `grants` on `path`. `/grant:r` replaces the principal's explicit
 * rights (so applying twice, or lowering full to modify, gives one predictable ACE); `/T` only
 * when recursive (inheritable grants on the folder itself already reach new children).
 */
export function buildIcaclsArgs(path: string, grants: readonly AccessGrant[], recursive: boolean): readonly string[] {
  const args = [toLongPath(path)];
  for (const g of grants) args.push('/grant:r', formatIcaclsGrant(g));
  if (recursive) args.push('/T');
  args.push('/Q');
  return args;
}

/** Applies the grants with icacls. */
export async function setAclGrants(runner: CommandRunner, path: string, grants: readonly AccessGrant[], recursive = false): Promise<void> {
  if (grants.length === 0) return;
  for (const g of grants) assertAccountName(g.principal);
  const args = buildIcaclsArgs(path, grants, recursive);
  const res = await runner.run(icaclsExe, args, { allowFailure: true, timeoutMs: 600_000 });
  if (res.code !== 0) {
    throw new UserError(
      'permission-denied',
      `icacls could not set permissions on ${path} (exit code ${res.code}): ${(res.stderr.trim() || res.stdout.trim()).slice(0, 500)}`,
      'Run spsetup elevated, check that the account or group exists, and for a share that this machine may change its permissions.',
    );
  }
}

export interface AclEntry {
  readonly principal: string;
  /** The flags and rights in parentheses, e.g. ['OI', 'CI', 'M'] or ['I', 'F']. */
  readonly flags: readonly string[];
}

/** Parses `icacls PATH` output into its entries. */
export function parseIcaclsOutput(stdout: string, path: string): readonly AclEntry[] {
  const entries: AclEntry[] = [];
  const lines = stdout.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    let line = raw;
    if (i === 0 && line.toLowerCase().startsWith(path.toLowerCase())) line = line.slice(path.length);
    const m = /^\s*(.+?):((?:\([A-Z,]+\))+)\s*$/.exec(line);
    if (!m) continue;
    const flags = [...m[2]!.matchAll(/\(([A-Z,]+)\)/g)].map((x) => x[1]!);
    entries.push({ principal: m[1]!.trim(), flags });
  }
  return entries;
}

/** Whether an ACL (from parseIcaclsOutput) already grants at least what `grant` asks. */
export function aclSatisfies(entries: readonly AclEntry[], grant: AccessGrant): boolean {
  const want = rightsCode[grant.rights];
  const order = ['RX', 'M', 'F'];
  return entries.some((e) => {
    const name = e.principal.toLowerCase();
    const principal = grant.principal.toLowerCase();
    const sameName = name === principal || name.endsWith(`\\${principal}`);
    if (!sameName) return false;
    if (grant.inherit && !(e.flags.includes('OI') && e.flags.includes('CI'))) return false;
    const has = e.flags.find((f) => order.includes(f));
    return has !== undefined && order.indexOf(has) >= order.indexOf(want);
  });
}

/** Reads the ACL of a path. */
export async function readAcl(runner: CommandRunner, path: string): Promise<readonly AclEntry[]> {
  const target = toLongPath(path);
  const res = await runner.run(icaclsExe, [target], { allowFailure: true, timeoutMs: 60_000 });
  if (res.code !== 0) throw new UserError('not-found', `icacls could not read the permissions of ${path}.`, 'Check that the path exists.');
  return parseIcaclsOutput(res.stdout, target);
}
