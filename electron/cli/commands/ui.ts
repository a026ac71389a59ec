/** `spsetup ui` (the wizard in a browser, on 127.0.0.1 with a one-time token) and `spsetup agent` (the elevated half of the GUI). */
import { readFile } from 'node:fs/promises';
import { ExitCode, UserError } from '../../shared/errors.js';
import { createBackend, type WizardDefaults } from '../../app/wizard-backend.js';
import { startBrowserServer } from '../../main/browser-server.js';
import { runAgent } from '../../main/agent-protocol.js';
import { parseCommand, required } from '../args.js';
import type { CommandIo } from './io.js';

async function readDefaults(path: string | undefined): Promise<WizardDefaults | undefined> {
  if (!path) return undefined;
  try {
    return JSON.parse(await readFile(path, 'utf8')) as WizardDefaults;
  } catch (err) {
    throw new UserError('invalid-input', `Cannot read the wizard defaults ${path}: ${(err as Error).message}.`, 'Give a JSON file such as {"installDir": "/opt/x", "runitDir": "/etc/service"}.');
  }
}

/** spsetup ui [--port N] [--defaults FILE] */
export async function uiCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const usage = 'spsetup ui [--port N] [--defaults FILE]';
  const { values } = parseCommand(argv, { port: { type: 'string' }, defaults: { type: 'string' } }, usage);
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError('invalid-input', `--port ${values.port}: not a port number.`, `Usage: ${usage}`);
  const defaults = await readDefaults(values.defaults);
  const server = await startBrowserServer({ backend: createBackend({ env: io.env, ...(defaults ? { defaults } : {}) }), port, host: '127.0.0.1' });
  io.out(`Shared Persistence Setup is running in browser mode. Open this address in a browser on this machine:`);
  io.out(server.url);
  io.out('Press Ctrl+C to stop.');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return ExitCode.ok;
}

/** spsetup agent --socket PATH --token-file FILE (started elevated by the GUI; never by hand). */
export async function agentCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const usage = 'spsetup agent --socket PATH --token-file FILE';
  const { values } = parseCommand(argv, { socket: { type: 'string' }, 'token-file': { type: 'string' } }, usage);
  await runAgent({ socketPath: required(values.socket, 'socket', usage), tokenFile: required(values['token-file'], 'token-file', usage), backend: createBackend({ env: io.env }) });
  return ExitCode.ok;
}
