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

/** SYSTEM and BUILTIN\Administrators by SID (their names are translated on non-English Windows). */
export const privateAclPrincipals: readonly string[] = ['*S-1-5-18', '*S-1-5-32-544'];

/**
 * icacls arguments making a path private, the Windows counterpart of a 0700/0600 mode: inheritance
 * removed (so %ProgramData%'s "Users may read" does not reach it) and full control for SYSTEM,
 * Administrators and `owner` only.
 */
export function buildPrivateAclArgs(path: string, isDir: boolean, owner?: string): readonly string[] {
  const inherit = isDir ? '(OI)(CI)' : '';
  const args = [toLongPath(path), '/inheritance:r'];
  for (const p of [...privateAclPrincipals, ...(owner ? [owner] : [])]) args.push('/grant:r', `${p}:${inherit}F`);
  args.push('/Q');
  return args;
}

/** Makes a path private (see buildPrivateAclArgs). */
export async function setPrivateAcl(runner: CommandRunner, path: string, isDir: boolean, owner?: string): Promise<void> {
  if (owner !== undefined) assertAccountName(owner);
  const res = await runner.run(icaclsExe, buildPrivateAclArgs(path, isDir, owner), { allowFailure: true, timeoutMs: 60_000 });
  if (res.code !== 0) {
    throw new UserError(
      'permission-denied',
      `icacls could not restrict access to ${path} (exit code ${res.code}): ${(res.stderr.trim() || res.stdout.trim()).slice(0, 500)}`,
      'Run spsetup elevated.',
    );
  }
}

/** Well-known groups every account belongs to (English names; see aclAllowsCreateDelete). */
export const everyoneGroups: readonly string[] = ['Everyone', 'NT AUTHORITY\\Authenticated Users', 'BUILTIN\\Users'];

/** DOMAIN\\user compares exactly; user and .\\user compare with the name part of an entry. */
function samePrincipal(entry: string, wanted: string): boolean {
  const name = entry.toLowerCase();
  const want = (wanted.startsWith('.\\') ? wanted.slice(2) : wanted).toLowerCase();
  if (want.includes('\\')) return name === want;
  return name === want || name.endsWith(`\\${want}`);
}

/** Rights that let an account create and delete files in a folder: F, M, or specific rights with WD and D/DC. */
function grantsCreateDelete(flags: readonly string[]): boolean {
  if (flags.includes('F') || flags.includes('M')) return true;
  const specific = flags.flatMap((f) => f.split(','));
  return (specific.includes('WD') || specific.includes('W')) && (specific.includes('D') || specific.includes('DC'));
}

/**
 * Whether the ACL lets one of `principals` create and delete files in the folder: an allow entry
 * that applies to the folder itself (not inherit-only) with enough rights, and no deny entry
 * with write rights. It sees names only: membership of other groups is not resolved, and share
 * permissions of a UNC path are not part of the folder's ACL.
 */
export function aclAllowsCreateDelete(entries: readonly AclEntry[], principals: readonly string[]): boolean {
  const mine = entries.filter((e) => principals.some((p) => samePrincipal(e.principal, p)));
  const denied = mine.some((e) => e.flags.includes('DENY') && e.flags.some((f) => /(^|,)(F|M|W|WD|AD|D)(,|$)/.test(f)));
  if (denied) return false;
  return mine.some((e) => !e.flags.includes('DENY') && !e.flags.includes('IO') && grantsCreateDelete(e.flags));
}
