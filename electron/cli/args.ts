/** Command-line parsing helpers: node's parseArgs, with errors that exit 2 and name the option. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '../shared/errors.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses argv for one command; unknown options are invalid input. */
export function parseCommand<O extends Options>(argv: readonly string[], options: O, usage: string) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UserError('invalid-input', (err as Error).message, `Usage: ${usage}`);
  }
}

/** The value of a required option. */
export function required(value: string | boolean | undefined | (string | boolean)[], name: string, usage: string): string {
  if (typeof value !== 'string' || value === '') throw new UserError('invalid-input', `--${name} is required.`, `Usage: ${usage}`);
  return value;
}
