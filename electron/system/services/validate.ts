import { UserError } from '../../shared/errors.js';
import type { ServiceDefinition } from '../types.js';

const serviceNamePattern = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$/;
const envKeyPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Throws an 'invalid-input' UserError unless `name` is a safe service name (no slashes, no spaces). */
export function assertServiceName(name: string): void {
  if (!serviceNamePattern.test(name)) {
    throw new UserError('invalid-input', `Invalid service name ${JSON.stringify(name)}.`, 'Use letters, digits, dot, dash, underscore or @, starting with a letter or digit.');
  }
}

/** Rejects values no service manager can carry: control characters (newlines, NUL) and bad environment names. */
export function assertServiceDefinition(def: ServiceDefinition): void {
  assertServiceName(def.name);
  const check = (what: string, value: string | undefined): void => {
    if (value !== undefined && /[\x00-\x1f\x7f]/.test(value)) {
      throw new UserError('invalid-input', `The ${what} of service ${def.name} contains a line break or a control character.`, 'Remove line breaks and control characters.');
    }
  };
  check('display name', def.displayName);
  check('description', def.description);
  check('command', def.command);
  def.args.forEach((a, i) => check(`argument ${i + 1}`, a));
  check('working directory', def.cwd);
  check('account', def.account);
  check('log file', def.logFile);
  for (const dep of def.dependsOn ?? []) assertServiceName(dep);
  if (def.command === '') throw new UserError('invalid-input', `Service ${def.name} has no command.`, 'Give the program to run.');
  for (const [key, value] of Object.entries(def.env ?? {})) {
    if (!envKeyPattern.test(key)) {
      throw new UserError('invalid-input', `Invalid environment variable name ${JSON.stringify(key)} for service ${def.name}.`, 'Use letters, digits and underscores, not starting with a digit.');
    }
    check(`environment variable ${key}`, value);
  }
  if (def.account !== undefined && (def.account === '' || /[\s:]/.test(def.account))) {
    throw new UserError('invalid-input', `Invalid account name ${JSON.stringify(def.account)} for service ${def.name}.`, 'Give an existing account name without spaces or colons.');
  }
}
