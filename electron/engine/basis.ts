/**
 * What a step's check was based on, so apply can prove it runs the plan that was reviewed: the
 * check's action and diff, and the observed state it compared (e.g. the SHA-256 of each file it
 * would edit). Apply checks every step again before any change and refuses the plan when one differs.
 */
import { createHash } from 'node:crypto';
import type { PlannedStep } from '../shared/plan.js';
import type { CheckResult } from './step-kind.js';

/** Observed state by name (a path, "owner of PATH", ...); values are digests or short words, never a secret. */
export type CheckBasis = Readonly<Record<string, string>>;

/** The basis entry of a file's content: its SHA-256, or "absent". Not for files that hold a secret. */
export function contentBasis(text: string | undefined): string {
  return text === undefined ? 'absent' : `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

function describeChange(name: string, before: string | undefined, after: string | undefined): string {
  if (before === 'absent' || before === undefined) return `${name} appeared since the plan was shown`;
  if (after === 'absent' || after === undefined) return `${name} disappeared since the plan was shown`;
  return `${name} changed since the plan was shown`;
}

/** Why the check made now differs from the one the plan shows, or undefined when it is the same. */
export function staleReason(shown: PlannedStep, now: CheckResult): string | undefined {
  const before = shown.basis ?? {};
  const after = now.basis ?? {};
  for (const name of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    if (before[name] !== after[name]) return describeChange(name, before[name], after[name]);
  }
  if (now.action !== shown.action) return `it would now ${now.action} ("${now.summary}"), the plan showed ${shown.action} ("${shown.summary}")`;
  if ((now.diff ?? '') !== (shown.diff ?? '')) return 'its change differs from the diff shown';
  return undefined;
}
