/** `spsetup completion [bash]`: the shell completion script, from the parser's own grammar. */
import { ExitCode, UserError } from '../../shared/errors.js';
import { SPSETUP } from '../command-spec.js';
import { bashCompletion } from '../completion.js';
import type { CommandIo } from './io.js';

/** spsetup completion [bash] */
export async function completionCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const shell = argv[0] ?? 'bash';
  if (shell !== 'bash') throw new UserError('invalid-input', `No completion for the shell "${shell}".`, 'Use `spsetup completion bash`; in zsh load it after `autoload -U bashcompinit && bashcompinit`.');
  io.out(bashCompletion(SPSETUP).trimEnd());
  return Promise.resolve(ExitCode.ok);
}
