/**
 * Elevation on Windows: whether this process holds an elevated token, and a refusal to run as
 * LOCAL SYSTEM. The elevated agent is started by electron/main/elevation.ts (one launcher).
 */
import { execFileSync } from 'node:child_process';
import { UserError } from '../../shared/errors.js';
import type { CommandRunner } from './command-runner.js';

export const whoamiExe = 'whoami.exe';

/** Mandatory integrity levels of an elevated token (High) or of a service (System). */
const elevatedLevels = ['S-1-16-12288', 'S-1-16-16384'];
export const localSystemSid = 'S-1-5-18';

/**
 * Whether the process token is elevated: its integrity label is High or System. Under UAC an
 * administrator's normal token is Medium even though it lists Administrators (as deny-only).
 */
export async function checkElevated(runner: CommandRunner): Promise<boolean> {
  const res = await runner.run(whoamiExe, whoamiGroupsArgs, { timeoutMs: 15_000 });
  return isElevatedGroups(res.stdout);
}

/** `whoami` arguments listing the token's groups (with its integrity label) as CSV. */
export const whoamiGroupsArgs: readonly string[] = ['/groups', '/fo', 'csv', '/nh'];

/** Whether `whoami /groups /fo csv /nh` output holds a High or System integrity label. */
export function isElevatedGroups(stdout: string): boolean {
  return elevatedLevels.some((sid) => stdout.includes(`"${sid}"`));
}

/**
 * The same check, synchronously, for a composition root that decides once at start-up
 * (the token of a running process does not change). False when whoami cannot run.
 */
export function checkElevatedSync(): boolean {
  try {
    const stdout = execFileSync(whoamiExe, [...whoamiGroupsArgs], { encoding: 'utf8', timeout: 15_000, windowsHide: true, stdio: ['ignore', 'pipe', 'ignore'] });
    return isElevatedGroups(stdout);
  } catch {
    return false;
  }
}

/** The SID of the current user, from `whoami /user /fo csv /nh` ("domain\user","S-1-5-..."). */
export async function readCurrentUserSid(runner: CommandRunner): Promise<string> {
  const res = await runner.run(whoamiExe, ['/user', '/fo', 'csv', '/nh'], { timeoutMs: 15_000 });
  const sid = /"(S-1-[\d-]+)"\s*$/m.exec(res.stdout.trim())?.[1];
  if (!sid) throw new UserError('preflight-failed', 'Could not tell which account spsetup runs as.', 'Run spsetup from a normal user session.');
  return sid;
}

/** Throws when running as LOCAL SYSTEM: the product's installer must not run as that account. */
export async function refuseLocalSystem(runner: CommandRunner): Promise<void> {
  if ((await readCurrentUserSid(runner)) === localSystemSid) {
    throw new UserError(
      'preflight-failed',
      'spsetup is running as LOCAL SYSTEM; the site cannot be installed under that account.',
      'Sign in as an administrator (or the installing domain account) and run spsetup from there, not from a SYSTEM scheduled task or PsExec -s.',
    );
  }
}
