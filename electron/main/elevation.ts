/**
 * Starting the elevated agent. The GUI runs unelevated; to apply a plan it starts
 * `spsetup agent` through @vscode/sudo-prompt (UAC on Windows, pkexec on Linux), or directly with
 * child_process when it is already elevated. Only paths go on the command line; the token travels
 * in a 0600 file the agent deletes after reading it.
 */
import { execFile } from 'node:child_process';
import { assertRendezvousPath, connectAgent, buildAgentArgs, disposeRendezvous, prepareRendezvous, quoteForShell, waitForAgent } from './agent-protocol.js';
import type { AgentClient } from './agent-protocol.js';
import { UserError } from '../shared/errors.js';

export const ELEVATION_PROMPT_NAME = 'Shared Persistence Setup';
/** Time the administrator has to answer the prompt. */
const PROMPT_TIMEOUT_MS = 5 * 60_000;

export interface AgentLaunch {
  /** The Node-compatible executable (Electron's own binary with ELECTRON_RUN_AS_NODE=1, or node). */
  readonly execPath: string;
  /** bin/spsetup.js inside the application. */
  readonly cliPath: string;
  readonly elevated: boolean;
  /** Extra environment for the agent (ELECTRON_RUN_AS_NODE=1 under Electron). */
  readonly env?: Readonly<Record<string, string>>;
}

type SudoExec = (cmd: string, options: { name: string; env?: Record<string, string> }, cb: (err?: Error) => void) => void;

/** The shell command handed to sudo-prompt: executable and paths, never the token. */
export function buildElevatedCommand(launch: Pick<AgentLaunch, 'execPath' | 'cliPath'>, socketPath: string, tokenFile: string, platform: NodeJS.Platform = process.platform): string {
  assertRendezvousPath(socketPath);
  return [launch.execPath, ...buildAgentArgs(launch.cliPath, { socketPath, tokenFile })].map((a) => quoteForShell(a, platform)).join(' ');
}

/** Starts the agent (elevated when needed), connects and authenticates; the client's close ends the agent. */
export async function startElevatedAgent(launch: AgentLaunch, sudoExec?: SudoExec): Promise<AgentClient> {
  const r = await prepareRendezvous();
  let exited = false;
  let failure: Error | undefined;
  try {
    if (launch.elevated) {
      const child = execFile(launch.execPath, buildAgentArgs(launch.cliPath, r), { env: { ...process.env, ...launch.env } }, (err) => {
        exited = true;
        failure = err ?? undefined;
      });
      child.unref();
    } else {
      const exec = sudoExec ?? ((await import('@vscode/sudo-prompt')) as unknown as { exec: SudoExec }).exec;
      exec(buildElevatedCommand(launch, r.socketPath, r.tokenFile), { name: ELEVATION_PROMPT_NAME, ...(launch.env ? { env: { ...launch.env } } : {}) }, (err) => {
        exited = true;
        failure = err;
      });
    }
    await waitForAgent(r.socketPath, PROMPT_TIMEOUT_MS, () => !exited);
    const client = await connectAgent(r.socketPath, r.token);
    void client.closed.then(() => disposeRendezvous(r));
    return client;
  } catch (err) {
    await disposeRendezvous(r);
    if (failure !== undefined && /did not grant permission|cancel/i.test(failure.message)) {
      throw new UserError('permission-denied', 'Administrator rights were not granted, so nothing was changed.', 'Choose Install again and approve the prompt, or run the wizard as an administrator.');
    }
    throw err;
  }
}
