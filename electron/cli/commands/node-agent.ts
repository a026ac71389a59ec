/** `spsetup node-agent --config F`: the node agent service's entry (see features/site/node-agent.ts). */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { ExitCode, UserError } from '../../shared/errors.js';
import { agentConfigSchema } from '../../features/site/agent-config.js';
import { runNodeAgent } from '../../features/site/node-agent.js';
import { createPosixSystem } from '../../system/system.js';
import { createWindowsSystem } from '../../system/windows/windows-system.js';
import { parseCommand, required } from '../args.js';
import type { CommandIo } from './io.js';

function spsetupVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** spsetup node-agent --config F (runs until SIGTERM or SIGINT). */
export async function nodeAgentCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const usage = 'spsetup node-agent --config FILE';
  const { values } = parseCommand(argv, { config: { type: 'string' } }, usage);
  const path = required(values.config, 'config', usage);
  const raw = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new UserError('invalid-input', `Cannot read the node agent configuration ${path} (${err.code ?? 'error'}).`, 'Run the install again: it writes this file.');
  });
  const parsed = agentConfigSchema.safeParse(JSON.parse(raw));
  if (!parsed.success) throw new UserError('invalid-input', `The node agent configuration ${path} is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`, 'Run the install again.');
  const config = parsed.data;
  const sys =
    process.platform === 'win32'
      ? createWindowsSystem()
      : createPosixSystem({
          serviceManager: config.serviceManager.manager,
          ...(config.serviceManager.runitDir ? { runitDir: config.serviceManager.runitDir } : {}),
          ...(config.serviceManager.definitionsDir ? { definitionsDir: config.serviceManager.definitionsDir } : {}),
        });
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await runNodeAgent(config, {
    sys,
    spsetupVersion: spsetupVersion(),
    log: (line) => io.out(`${new Date().toISOString()} ${line}`),
    signal: controller.signal,
    saveConfig: (next) => sys.files.writeAtomic(path, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 }),
  });
  io.out(`${new Date().toISOString()} node agent stopped`);
  return ExitCode.ok;
}
