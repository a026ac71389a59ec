/**
 * IP addresses and CIDR ranges, parsed once for every layer (settings validation, the pg_hba
 * editor, the wizard's suggestions). Pure: shared imports nothing.
 */

export interface Ip {
  readonly v: 4 | 6;
  readonly n: bigint;
}

function parseIpv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n);
}

/** Parses an IPv4 or IPv6 address (IPv4-mapped IPv6 becomes IPv4). */
export function parseIp(s: string): Ip | undefined {
  const v4 = parseIpv4(s);
  if (v4 !== undefined) return { v: 4, n: v4 };
  if (!s.includes(':') || !/^[0-9A-Fa-f:.]+$/.test(s)) return undefined;
  let head = s;
  let tail4: bigint | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    tail4 = parseIpv4(s.slice(lastColon + 1));
    if (tail4 === undefined) return undefined;
    head = s.slice(0, lastColon + 1) + '0:0';
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  const fill = halves.length === 2 ? 8 - left.length - right.length : 0;
  const all = [...left, ...Array<string>(Math.max(fill, 0)).fill('0'), ...right];
  if (all.length !== 8 || all.some((g) => !/^[0-9A-Fa-f]{1,4}$/.test(g))) return undefined;
  let n = all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
  if (tail4 !== undefined) n = (n & ~0xffffffffn) | tail4;
  if (n >> 32n === 0xffffn) return { v: 4, n: n & 0xffffffffn };
  return { v: 6, n };
}

/** Parses a CIDR range; a bare address is a single host. */
export function parseCidr(s: string): { ip: Ip; bits: number } | undefined {
  const [addr, bits, extra] = s.split('/');
  if (addr === undefined || extra !== undefined) return undefined;
  const raw = parseIp(addr);
  if (!raw) return undefined;
  // Keep the family of the text: ::ffff:a.b.c.d/128 stays an IPv6 range in PostgreSQL's eyes.
  const ip: Ip = addr.includes(':') && raw.v === 4 ? { v: 6, n: raw.n | 0xffff00000000n } : raw;
  const max = ip.v === 4 ? 32 : 128;
  const n = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!(n >= 0 && n <= max)) return undefined;
  return { ip, bits: n };
}

/** Whether `ip` lies in the network `net`/`bits`. */
export function inRange(ip: Ip, net: Ip, bits: number): boolean {
  if (ip.v !== net.v) return false;
  const width = BigInt(ip.v === 4 ? 32 : 128);
  const shift = width - BigInt(bits);
  return ip.n >> shift === net.n >> shift;
}

/** The address in its usual text form (IPv6 with the longest run of zero groups as ::). */
export function formatIp(ip: Ip): string {
  if (ip.v === 4) return [24n, 16n, 8n, 0n].map((s) => String((ip.n >> s) & 255n)).join('.');
  const groups = [...Array(8).keys()].map((i) => Number((ip.n >> BigInt(16 * (7 - i))) & 0xffffn));
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

/** The network a range names: 10.1.2.7/24 -> 10.1.2.0/24 (undefined when it is not a range). */
export function networkOf(cidr: string): string | undefined {
  const c = parseCidr(cidr);
  if (!c) return undefined;
  const width = BigInt(c.ip.v === 4 ? 32 : 128);
  const shift = width - BigInt(c.bits);
  return `${formatIp({ v: c.ip.v, n: (c.ip.n >> shift) << shift })}/${c.bits}`;
}
