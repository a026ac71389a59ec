/**
 * The site licence of the guide ("Open the QMC and apply the site licence") as data: a signed
 * licence key is a JWT whose payload names the licence number (`license`); the API shows the
 * applied licence's number as `serial` (with spaces). Pure.
 */
import type { QrsObject } from './qrs-requests.js';

/** The licence number a signed key carries (digits only), or undefined when the key is not a signed licence key. */
export function licenceNumber(key: string): string | undefined {
  const parts = key.trim().split('.');
  if (parts.length !== 3 || !parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p))) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { license?: unknown };
    const digits = typeof payload.license === 'string' ? payload.license.replace(/\D/g, '') : '';
    return digits === '' ? undefined : digits;
  } catch {
    return undefined;
  }
}

/** What the licence step does: nothing when the site holds this key's licence, else add it or replace the other one. */
export function licenceChange(current: QrsObject | undefined, key: string): 'same' | 'add' | 'replace' {
  if (!current) return 'add';
  const number = licenceNumber(key);
  const serial = String(current['serial'] ?? '').replace(/\D/g, '');
  return current['key'] === key.trim() || (number !== undefined && serial === number) ? 'same' : 'replace';
}
