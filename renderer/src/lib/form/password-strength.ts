/**
 * Strength of the passwords the installer creates, measured with zxcvbn-ts (dictionaries of
 * common passwords, English words and names, keyboard patterns). Passwords of accounts that
 * already exist are only checked for emptiness and forbidden characters: they are not ours to set.
 */
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary as commonDictionary } from '@zxcvbn-ts/language-common';
import { dictionary as enDictionary, translations } from '@zxcvbn-ts/language-en';
import type { Form } from './model.js';

/** zxcvbn's score 3 is "safely unguessable: moderate protection from offline slow-hash scenario". */
export const MIN_PASSWORD_SCORE = 3;
export const STRENGTH_LABELS = ['very weak', 'weak', 'fair', 'strong', 'very strong'] as const;

export interface PasswordStrength {
  /** 0..4, zxcvbn's score. */
  readonly score: 0 | 1 | 2 | 3 | 4;
  readonly label: (typeof STRENGTH_LABELS)[number];
  /** What makes it weak, and how to do better (empty when strong). */
  readonly advice: string;
}

let factory: ZxcvbnFactory | undefined;
// The form re-validates on every keystroke anywhere; the same password is measured once.
const cache = new Map<string, PasswordStrength>();

/** How guessable a password is, with the user's own names (user, host) counted as known words. */
export function measurePassword(password: string, userInputs: readonly string[] = []): PasswordStrength {
  const key = JSON.stringify([password, userInputs]);
  const hit = cache.get(key);
  if (hit) return hit;
  factory ??= new ZxcvbnFactory({ translations, graphs: adjacencyGraphs, dictionary: { ...commonDictionary, ...enDictionary } });
  const r = factory.check(password, userInputs.filter((s) => s !== ''));
  const score = r.score;
  const advice = [r.feedback.warning ?? '', ...r.feedback.suggestions].filter((s) => s !== '').join(' ');
  const out: PasswordStrength = { score, label: STRENGTH_LABELS[score], advice: score >= MIN_PASSWORD_SCORE ? '' : advice };
  if (cache.size > 32) cache.clear();
  cache.set(key, out);
  return out;
}

/** Control characters cannot be typed into a service's log-on dialog nor stored in a config line. */
export function forbiddenCharacterIssue(password: string): string | undefined {
  return /[\u0000-\u001f\u007f]/.test(password) ? 'a password may not contain control characters (tab, line break)' : undefined;
}

/** The password fields whose accounts this installation creates (a local database's user and superuser). */
export function createdPasswordPaths(form: Pick<Form, 'task' | 'dbInstall'>): readonly string[] {
  return form.task === 'install' && form.dbInstall === 'local' ? ['database.password', 'database.superuserPassword'] : [];
}

/** Names the user typed elsewhere in the form: a password made of them is easy to guess. */
export function knownWords(form: Pick<Form, 'dbUser' | 'dbName' | 'superuser' | 'hostname' | 'serviceUser' | 'product'>): string[] {
  return [form.dbUser, form.dbName, form.superuser, form.hostname, form.serviceUser, form.product].map((s) => s.trim());
}
