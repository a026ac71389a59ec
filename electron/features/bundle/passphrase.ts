/**
 * Bundle passphrases: generated ones (shown once) and the minimum a given one must meet.
 */
import { randomInt } from 'node:crypto';
import { UserError } from '../../shared/errors.js';

/** Crockford's base32: no I, L, O or U, so a passphrase read aloud or retyped is not misread. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const MIN_PASSPHRASE_LENGTH = 12;

/** A random passphrase of 24 base32 characters (120 bits) in groups of four: `ABCD-EFGH-...`. */
export function generatePassphrase(): string {
  const groups: string[] = [];
  for (let g = 0; g < 6; g += 1) {
    let group = '';
    for (let i = 0; i < 4; i += 1) group += ALPHABET[randomInt(ALPHABET.length)];
    groups.push(group);
  }
  return groups.join('-');
}

export type PassphraseStrength = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** Checks the minimum: at least 12 characters and not trivially repetitive or sequential. */
export function checkPassphraseStrength(passphrase: string): PassphraseStrength {
  const chars = [...passphrase];
  if (chars.length < MIN_PASSPHRASE_LENGTH) {
    return { ok: false, message: `The passphrase is too short: ${chars.length} characters, at least ${MIN_PASSPHRASE_LENGTH} are needed.` };
  }
  if (passphrase.trim() !== passphrase) {
    return { ok: false, message: 'The passphrase starts or ends with white space, which is easily lost when it is typed or copied.' };
  }
  if (new Set(chars.map((c) => c.toLowerCase())).size < 5) {
    return { ok: false, message: 'The passphrase uses fewer than 5 different characters.' };
  }
  if (isPeriodic(chars.map((c) => c.toLowerCase()))) {
    return { ok: false, message: 'The passphrase is one short piece repeated.' };
  }
  if (isSequence(chars)) {
    return { ok: false, message: 'The passphrase is a plain sequence of characters (like abcdef or 123456).' };
  }
  return { ok: true };
}

/** Throws a UserError when the passphrase does not meet the minimum. */
export function assertPassphraseStrength(passphrase: string): void {
  const strength = checkPassphraseStrength(passphrase);
  if (!strength.ok) {
    throw new UserError('bundle', strength.message, `Use a longer passphrase (${MIN_PASSPHRASE_LENGTH} or more varied characters), or let spsetup generate one.`);
  }
}

function isPeriodic(chars: readonly string[]): boolean {
  for (let period = 1; period <= chars.length / 2; period += 1) {
    if (chars.every((c, i) => i < period || c === chars[i - period])) return true;
  }
  return false;
}

function isSequence(chars: readonly string[]): boolean {
  const codes = chars.map((c) => c.toLowerCase().codePointAt(0) ?? 0);
  const steps = codes.slice(1).map((c, i) => stepBetween(codes[i] ?? 0, c));
  const first = steps[0];
  return (first === 1 || first === -1) && steps.every((s) => s === first);
}

/** The difference between two code points; digits wrap around (…8, 9, 0, 1…). */
function stepBetween(a: number, b: number): number {
  const isDigit = (c: number) => c >= 48 && c <= 57;
  if (!isDigit(a) || !isDigit(b)) return b - a;
  const d = (((b - a) % 10) + 10) % 10;
  return d === 9 ? -1 : d;
}
