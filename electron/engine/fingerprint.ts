/** Fingerprints of the facts a plan was built from, so a stale plan can be refused with a reason. */
import { createHash } from 'node:crypto';

/** JSON with sorted keys, so equal facts give equal digests. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Digest of each top-level fact, and the fingerprint of them all. */
export function fingerprintFacts(facts: Readonly<Record<string, unknown>>): { fingerprint: string; digests: Record<string, string> } {
  const digests: Record<string, string> = {};
  for (const key of Object.keys(facts).sort()) digests[key] = sha256(stableStringify(facts[key])).slice(0, 16);
  return { fingerprint: sha256(stableStringify(digests)), digests };
}

/** The names of the facts whose digests differ (added, removed or changed). */
export function changedFacts(before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => before[k] !== after[k]).sort();
}
