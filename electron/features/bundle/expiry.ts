/**
 * The bundle lifetime as people write it (`--expires 24h`, `7d`, `none`).
 */
import { UserError } from '../../shared/errors.js';

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** Longest lifetime accepted for a bundle that expires (a year); `none` is the explicit opt out. */
const MAX_MS = 365 * UNIT_MS.d;

/** Parses `30m`, `24h`, `7d` into milliseconds, or `none`/`never` into null. */
export function parseBundleExpiry(text: string): number | null {
  const value = text.trim().toLowerCase();
  if (value === 'none' || value === 'never') return null;
  const match = /^(\d{1,6})([mhd])$/.exec(value);
  const unit = match?.[2] as keyof typeof UNIT_MS | undefined;
  const ms = match && unit ? Number(match[1]) * UNIT_MS[unit] : NaN;
  if (!(ms > 0) || ms > MAX_MS) {
    throw new UserError('invalid-input', `"${text}" is not a bundle lifetime.`, 'Give minutes, hours or days up to a year (30m, 24h, 7d), or none for a bundle that never expires.');
  }
  return ms;
}
