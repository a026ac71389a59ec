/**
 * listen_addresses may only name addresses this server has: PostgreSQL refuses to start when it
 * can bind none of them, and skips the others with only a log line, so a mistyped address cuts the
 * nodes off after the restart. Checked before any change (issue 12).
 */
import { inRange, parseIp } from '../../shared/ip.js';

/** The IP literals in `listen` that are not among `local` (wildcards, 127.0.0.0/8 and host names pass). */
export function missingListenAddresses(listen: readonly string[], local: readonly string[]): string[] {
  const mine = local.map((a) => parseIp(a.replace(/%.*$/, ''))).filter((ip) => ip !== undefined);
  return listen.filter((a) => {
    if (a === '*' || a === '0.0.0.0' || a === '::') return false;
    const ip = parseIp(a);
    if (!ip) return false; // a host name: PostgreSQL resolves it; DNS is not this check's business
    const loopback = parseIp('127.0.0.0');
    if (ip.v === 4 && loopback && inRange(ip, loopback, 8)) return false;
    return !mine.some((m) => m.v === ip.v && m.n === ip.n);
  });
}
