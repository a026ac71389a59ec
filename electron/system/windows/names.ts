/**
 * Validation of the names that end up inside command lines and PowerShell scripts. Quoting makes
 * every value safe; these checks turn a value Windows itself would reject into a clear error first.
 */
import { UserError } from '../../shared/errors.js';

const controlChars = /[\u0000-\u001f\u007f]/;

/** Service names: letters, digits and `_ . -` (the SCM allows more, the product never needs it). */
export function assertServiceName(name: string): void {
  if (!/^[A-Za-z0-9_.-]{1,256}$/.test(name)) {
    throw new UserError(
      'invalid-input',
      `"${name}" is not a valid Windows service name.`,
      'Use 1 to 256 letters, digits, "_", "." or "-" (no spaces or slashes).',
    );
  }
}

/** Account names: `user`, `DOMAIN\user`, `.\user`, `user@domain`, `NT SERVICE\name`, or `*S-1-...`. */
export function assertAccountName(name: string): void {
  const sid = /^\*?S-1-\d+(-\d+)+$/.test(name);
  const parts = name.split('\\');
  const user = parts[parts.length - 1] ?? '';
  const bad =
    name.trim() === '' ||
    name !== name.trim() ||
    controlChars.test(name) ||
    parts.length > 2 ||
    user === '' ||
    (!sid && /["/[\]:;|=,+*?<>]/.test(name)) ||
    name.length > 256;
  if (bad) {
    throw new UserError(
      'invalid-input',
      `"${name}" is not a valid Windows account or group name.`,
      'Use NAME, DOMAIN\\NAME or .\\NAME without any of " / [ ] : ; | = , + * ? < > and without leading or trailing spaces.',
    );
  }
}

/** SMB share names: at most 80 characters, none of the characters Windows forbids. */
export function assertShareName(name: string): void {
  if (name.length === 0 || name.length > 80 || controlChars.test(name) || /["/\\[\]:|<>+=;,?*]/.test(name)) {
    throw new UserError(
      'invalid-input',
      `"${name}" is not a valid SMB share name.`,
      'Use at most 80 characters and none of " / \\ [ ] : | < > + = ; , ? *.',
    );
  }
}

/** A secret read with ReadLine() must not contain a line break (it would be cut there). */
export function assertSingleLineSecret(secret: string, what: string): void {
  if (/[\r\n]/.test(secret)) {
    throw new UserError('invalid-input', `The ${what} contains a line break.`, `Choose a ${what} without line breaks.`);
  }
}

/** Free text (display names, descriptions) must be printable. */
export function assertPrintable(value: string, what: string): void {
  if (controlChars.test(value)) {
    throw new UserError('invalid-input', `The ${what} contains control characters.`, `Remove line breaks and tabs from the ${what}.`);
  }
}
