/**
 * The System of a Windows machine: every adapter shares one CommandRunner (tests pass a recorder,
 * so each command and script the installer issues can be compared with a golden file).
 */
import { NodeNetwork } from '../node-network.js';
import { createPostgres } from '../postgres/index.js';
import type { System } from '../system.js';
import type { CommandRunner } from './command-runner.js';
import { DpapiSecretStore } from './dpapi.js';
import { createWindowsRunner } from './exec-runner.js';
import { WindowsServiceManager, type WindowsServiceOptions } from './scm.js';
import { WindowsFiles, type WindowsFilesOptions } from './windows-files.js';
import { WindowsProcesses } from './windows-processes.js';

export interface WindowsSystemOptions {
  /** Runs every program (default: spawn without a shell). */
  readonly runner?: CommandRunner;
  /** Whether this process is elevated (default: probed once with whoami). */
  readonly elevated?: boolean;
  readonly files?: WindowsFilesOptions;
  readonly services?: WindowsServiceOptions;
}

/**
 * The system of this Windows machine. PostgreSQL is the same module as on Linux: the client
 * (pg) works as is; the local-server functions that take an OS user go through runuser and do
 * not work here (see docs/windows.md).
 */
export function createWindowsSystem(options: WindowsSystemOptions = {}): System {
  const runner = options.runner ?? createWindowsRunner();
  const processes = new WindowsProcesses(runner, options.elevated === undefined ? {} : { elevated: options.elevated });
  return {
    platform: 'win32',
    files: new WindowsFiles(processes, { ...currentAccountOption(), ...options.files }),
    processes,
    network: new NodeNetwork(),
    services: new WindowsServiceManager(processes, options.services),
    secretStore: new DpapiSecretStore(processes),
    postgres: createPostgres(processes),
  };
}

/** DOMAIN\\user of this process, from the environment Windows sets for every logon. */
function currentAccountOption(): { currentAccount?: string } {
  const { USERDOMAIN: domain, USERNAME: user } = process.env;
  return domain && user ? { currentAccount: `${domain}\\${user}` } : {};
}
