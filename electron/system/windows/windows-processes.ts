/**
 * Processes on Windows: argument arrays through a CommandRunner (never a shell), secrets masked,
 * bounded in time. There is no `runuser`: the guide runs every command (bootstrap included) as the
 * administrator from an elevated prompt, so a `user` option is refused rather than silently ignored.
 */
import { win32 } from 'node:path';
import { UserError } from '../../shared/errors.js';
import type { ExecOptions, ExecResult, Processes } from '../types.js';
import type { CommandRunner } from './command-runner.js';
import { checkElevatedSync } from './elevation.js';
import { createWindowsRunner } from './exec-runner.js';
import { assertAccountName } from './names.js';
import { lastLine, quotePs, runPowerShell } from './powershell.js';

export interface WindowsProcessesOptions {
  /** Whether this process is elevated; probed once with whoami when not given (a token does not change). */
  readonly elevated?: boolean;
}

/** Exit code of the lookup script when the name does not resolve. */
const unknownAccountExit = 3;

/** The script that resolves an account name (DOMAIN\user, .\user, user@domain, user) to its SID. */
export function buildLookupAccountScript(name: string): readonly string[] {
  return [
    `$name = ${quotePs(name)}`,
    // .NET does not know the ".\\user" shorthand for a local account.
    "$lookup = if ($name.StartsWith('.\\')) { $env:COMPUTERNAME + $name.Substring(1) } else { $name }",
    'try {',
    '  $sid = ([System.Security.Principal.NTAccount]::new($lookup)).Translate([System.Security.Principal.SecurityIdentifier]).Value',
    '} catch {',
    `  exit ${unknownAccountExit}`,
    '}',
    'Write-Output $sid',
  ];
}

/** The Processes adapter for Windows. */
export class WindowsProcesses implements Processes {
  private readonly elevated: boolean;

  constructor(
    private readonly runner: CommandRunner = createWindowsRunner(),
    options: WindowsProcessesOptions = {},
  ) {
    this.elevated = options.elevated ?? checkElevatedSync();
  }

  /** Runs `file` with `args`; refuses `user` (see the file comment) and batch files (cmd.exe would parse their arguments). */
  async run(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (options.user !== undefined) {
      throw new UserError(
        'invalid-input',
        `Cannot run ${win32.basename(file)} as ${options.user}: on Windows spsetup runs programs as the elevated administrator, not as another account.`,
        'This is a defect in spsetup: a step passed a run-as account on Windows. Report it; run the command from an elevated prompt meanwhile.',
      );
    }
    if (/\.(bat|cmd)$/i.test(file)) {
      throw new UserError('invalid-input', `${win32.basename(file)} is a batch file; spsetup does not run programs through cmd.exe.`, 'Run the program the batch file starts instead.');
    }
    if ([file, ...args].some((a) => a.includes('\u0000'))) {
      throw new UserError('invalid-input', `An argument of ${win32.basename(file)} contains a NUL character.`, 'Remove it from the value entered.');
    }
    return this.runner.run(file, args, options);
  }

  /** Decided once when constructed (High or System integrity label). */
  isElevated(): boolean {
    return this.elevated;
  }

  /**
   * Whether the account resolves (locally or in the domain). Windows has no uid/gid: both are 0,
   * as node's fs.stat reports for every file there, so owner comparisons stay neutral; the SID is
   * available from lookupSid().
   */
  async lookupUser(name: string): Promise<{ uid: number; gid: number; home: string } | undefined> {
    return (await this.lookupSid(name)) === undefined ? undefined : { uid: 0, gid: 0, home: '' };
  }

  /** Windows accounts have no uid. */
  async lookupUserName(): Promise<undefined> {
    return undefined;
  }

  /** The account's SID, or undefined when the name does not resolve. */
  async lookupSid(name: string): Promise<string | undefined> {
    if (name === '') return undefined;
    assertAccountName(name);
    const res = await runPowerShell(this.runner, buildLookupAccountScript(name), { allowFailure: true, timeoutMs: 30_000 });
    if (res.code === unknownAccountExit) return undefined;
    const sid = lastLine(res.stdout);
    if (res.code !== 0 || !/^S-1-[\d-]+$/.test(sid)) {
      throw new UserError('not-found', `Could not look the account ${name} up: ${res.stderr.trim() || `exit code ${res.code}`}`, 'Check that this machine can reach its domain controller.');
    }
    return sid;
  }
}
