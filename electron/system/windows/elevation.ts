/**
 * Elevation on Windows: whether this process holds an elevated token, a refusal to run as
 * LOCAL SYSTEM, and the @vscode/sudo-prompt invocation that starts the elevated agent. The agent's
 * command line holds no secret: the one-time token travels in a file only this user can read.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** A fresh, unguessable named-pipe name for the GUI and the agent. */
export function createAgentPipeName(): string {
  return `\\\\.\\pipe\\spsetup-agent-${randomBytes(16).toString('hex')}`;
}

export interface AgentToken {
  readonly token: string;
  /** A file readable only by this user (0600 in a 0700 directory; on Windows the profile's temp ACL). */
  readonly file: string;
}

/** Writes a one-time token for the agent to a private file. */
export async function writeAgentTokenFile(baseDir = tmpdir()): Promise<AgentToken> {
  const dir = await mkdtemp(join(baseDir, 'spsetup-agent-'));
  const file = join(dir, 'token');
  const token = randomBytes(32).toString('base64url');
  await writeFile(file, token, { mode: 0o600, flag: 'wx' });
  return { token, file };
}

export interface AgentLaunch {
  /** The program that runs `spsetup` (the packaged app, or node with the CLI script). */
  readonly executable: string;
  /** Arguments before `agent`, e.g. the CLI script path. */
  readonly leadingArgs?: readonly string[];
  readonly pipeName: string;
  readonly tokenFile: string;
}

export interface SudoPromptInvocation {
  /** The command line for sudo-prompt's exec(); no secret in it. */
  readonly command: string;
  /** Shown in the UAC / pkexec prompt (sudo-prompt allows letters, digits and spaces). */
  readonly options: { readonly name: string };
}

// sudo-prompt runs the command through a .bat file (Windows) or bash -c (Linux, macOS): reject
// anything either of them would interpret inside double quotes.
const unsafeInCommand = /["%^&|<>!$`\r\n]/;

/**
 * Builds the sudo-prompt invocation of `spsetup agent --socket PIPE --token-file PATH` (the flags
 * of electron/main/agent-protocol.ts), refusing what cmd.exe or bash would expand inside quotes.
 */
export function buildAgentElevation(launch: AgentLaunch): SudoPromptInvocation {
  if (!/^\\\\\.\\pipe\\[A-Za-z0-9._-]{1,200}$/.test(launch.pipeName) && !/^\/[A-Za-z0-9._/-]+$/.test(launch.pipeName)) {
    throw new UserError('invalid-input', 'The agent pipe name is not valid.', 'Use createAgentPipeName().');
  }
  const parts = [launch.executable, ...(launch.leadingArgs ?? []), 'agent', '--socket', launch.pipeName, '--token-file', launch.tokenFile];
  const bad = parts.find((p) => unsafeInCommand.test(p));
  if (bad !== undefined) {
    throw new UserError(
      'invalid-input',
      `The path "${bad}" contains a character that cannot be passed to the elevation prompt.`,
      'Install spsetup in a folder whose path has none of " % ^ & | < > ! $ ` (the default Program Files folder works).',
    );
  }
  return { command: parts.map((p) => `"${p}"`).join(' '), options: { name: 'Shared Persistence Setup' } };
}
