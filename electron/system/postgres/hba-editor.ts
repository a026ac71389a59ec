/**
 * pg_hba.conf editor. Our rules live in one marked block placed before the first `host*` record,
 * so no administrator rule can shadow them (PostgreSQL uses the first matching record). Every other
 * byte of the file stays as it was.
 */
import { networkInterfaces } from 'node:os';
import { UserError } from '../../shared/errors.js';
import { inRange, parseCidr, parseIp, type Ip } from '../../shared/ip.js';
import { splitLines } from './conf-editor.js';

export const HBA_BLOCK_BEGIN = '# BEGIN spsetup managed rules';
export const HBA_BLOCK_END = '# END spsetup managed rules';

export const HBA_TYPES = ['local', 'host', 'hostssl', 'hostnossl', 'hostgssenc', 'hostnogssenc'] as const;
export type HbaType = (typeof HBA_TYPES)[number];
const METHODS = ['trust', 'reject', 'scram-sha-256', 'md5', 'password', 'gss', 'sspi', 'ident', 'peer', 'ldap', 'radius', 'cert', 'pam', 'bsd'];

/** One field of a record: its text and whether it was quoted (quoting removes keyword meaning). */
export interface HbaToken {
  readonly value: string;
  readonly quoted: boolean;
}

export interface HbaRecord {
  readonly kind: 'record';
  /** 1-based number of the first physical line. */
  readonly line: number;
  readonly type: HbaType;
  readonly database: readonly HbaToken[];
  readonly user: readonly HbaToken[];
  /** CIDR, address, host name or keyword; undefined for `local`. */
  readonly address?: string;
  /** A separate netmask field (address + mask form). */
  readonly mask?: string;
  readonly method: string;
  readonly options: readonly string[];
}

export interface HbaInclude {
  readonly kind: 'include';
  readonly line: number;
  readonly directive: 'include' | 'include_if_exists' | 'include_dir';
  readonly path: string;
}

export interface HbaInvalid {
  readonly kind: 'invalid';
  readonly line: number;
  readonly reason: string;
}

export type HbaEntry = HbaRecord | HbaInclude | HbaInvalid;

export interface HbaRule {
  readonly type: HbaType;
  readonly database: string;
  readonly user: string;
  /** CIDR (10.0.0.0/24, ::1/128); ignored for `local`. */
  readonly address?: string;
  readonly method: string;
  /** Fields that hold a keyword of ours (all), written as the keyword; every other name is quoted when it reads as one. */
  readonly keywords?: readonly ('database' | 'user')[] | undefined;
}

/** Splits one logical line into comma-list fields, honouring "quotes" ("" is a quote) and # comments. */
function tokenize(line: string): HbaToken[][] | string {
  const fields: HbaToken[][] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length || line[i] === '#') break;
    const field: HbaToken[] = [];
    for (;;) {
      let value = '';
      let quoted = false;
      while (i < line.length && !/[\s,#]/.test(line[i]!)) {
        if (line[i] === '"') {
          quoted = true;
          i++;
          for (;;) {
            if (i >= line.length) return 'a quoted field has no closing quote';
            if (line[i] === '"') {
              if (line[i + 1] === '"') {
                value += '"';
                i += 2;
                continue;
              }
              i++;
              break;
            }
            value += line[i]!;
            i++;
          }
        } else {
          value += line[i]!;
          i++;
        }
      }
      field.push({ value, quoted });
      if (line[i] === ',') {
        i++;
        continue;
      }
      break;
    }
    fields.push(field);
  }
  return fields;
}

/** Joins continuation lines (a trailing backslash) into logical lines with their first line number. */
function logicalLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let pending: { line: number; text: string } | undefined;
  splitLines(text).forEach((raw, idx) => {
    const body = raw.replace(/\r?\n$/, '');
    const continued = /\\$/.test(body) && !/^\s*#/.test(body);
    const part = continued ? body.slice(0, -1) : body;
    pending = pending ? { line: pending.line, text: pending.text + part } : { line: idx + 1, text: part };
    if (!continued) {
      out.push(pending);
      pending = undefined;
    }
  });
  if (pending) out.push(pending);
  return out;
}

const word = (f: HbaToken[] | undefined): string | undefined => (f && f.length === 1 ? f[0]!.value : undefined);

/** Parses pg_hba.conf into records, include directives and lines it cannot read. */
export function parseHba(text: string): HbaEntry[] {
  const entries: HbaEntry[] = [];
  for (const { line, text: body } of logicalLines(text)) {
    const fields = tokenize(body);
    if (typeof fields === 'string') {
      entries.push({ kind: 'invalid', line, reason: fields });
      continue;
    }
    if (fields.length === 0) continue;
    const first = word(fields[0]);
    if (first === 'include' || first === 'include_if_exists' || first === 'include_dir') {
      const path = word(fields[1]);
      entries.push(path ? { kind: 'include', line, directive: first, path } : { kind: 'invalid', line, reason: `${first} needs a file name` });
      continue;
    }
    if (!first || !(HBA_TYPES as readonly string[]).includes(first)) {
      entries.push({ kind: 'invalid', line, reason: `unknown connection type "${first ?? ''}"` });
      continue;
    }
    const type = first as HbaType;
    const database = fields[1];
    const user = fields[2];
    if (!database || !user) {
      entries.push({ kind: 'invalid', line, reason: 'a record needs a database and a user' });
      continue;
    }
    let rest = fields.slice(3).map((f) => f.map((t) => t.value).join(','));
    let address: string | undefined;
    let mask: string | undefined;
    if (type !== 'local') {
      address = rest[0];
      rest = rest.slice(1);
      if (address && !address.includes('/') && isIp(address) && rest[0] && isIp(rest[0])) {
        mask = rest[0];
        rest = rest.slice(1);
      }
    }
    const method = rest[0];
    if (!method || (type !== 'local' && !address)) {
      entries.push({ kind: 'invalid', line, reason: 'a record needs an address and a method' });
      continue;
    }
    const base = { kind: 'record' as const, line, type, database, user, method, options: rest.slice(1) };
    entries.push(address === undefined ? base : mask === undefined ? { ...base, address } : { ...base, address, mask });
  }
  return entries;
}

/** Words PostgreSQL reads as keywords in the database and user fields unless they are quoted. */
const HBA_NAME_KEYWORDS = ['all', 'sameuser', 'samerole', 'samegroup', 'replication'];

/**
 * Quotes a name when PostgreSQL would otherwise split it or read it as something else: a keyword,
 * a group (+role) or a file (@file). A leading / stays a regular expression even quoted (16+), so
 * validateRule refuses those names.
 */
function quoteField(value: string): string {
  const special = value === '' || /[\s,"#]/.test(value) || /^[+@/]/.test(value) || HBA_NAME_KEYWORDS.includes(value);
  return special ? `"${value.replace(/"/g, '""')}"` : value;
}

function validateRule(rule: HbaRule): void {
  const bad = (what: string) =>
    new UserError('invalid-input', `The pg_hba rule ${JSON.stringify(rule)} is not valid: ${what}`, 'Give a connection type, database, user, CIDR address and method.');
  if (!(HBA_TYPES as readonly string[]).includes(rule.type)) throw bad(`unknown type ${rule.type}`);
  if (!METHODS.includes(rule.method)) throw bad(`unknown method ${rule.method}`);
  for (const f of [rule.database, rule.user, rule.address ?? '']) if (/[\r\n]/.test(f)) throw bad('a field contains a line break');
  if (rule.database === '' || rule.user === '') throw bad('empty database or user');
  for (const f of [rule.database, rule.user]) {
    if (f.startsWith('/')) throw bad(`"${f}" starts with "/", which PostgreSQL 16 and later read as a regular expression even when quoted; choose a name that does not`);
  }
  for (const f of rule.keywords ?? []) if (!HBA_NAME_KEYWORDS.includes(rule[f])) throw bad(`${f} "${rule[f]}" is not a keyword`);
  if (rule.type !== 'local' && (!rule.address || !parseCidr(rule.address))) throw bad(`"${rule.address ?? ''}" is not a CIDR range`);
}

/** One rule as a pg_hba.conf line, aligned like the sample file. */
export function formatHbaRule(rule: HbaRule): string {
  const field = (f: 'database' | 'user') => (rule.keywords?.includes(f) ? rule[f] : quoteField(rule[f]));
  const cols = [rule.type.padEnd(7), field('database').padEnd(15), field('user').padEnd(15)];
  if (rule.type !== 'local') cols.push((rule.address ?? '').padEnd(23));
  cols.push(rule.method);
  return cols.join(' ');
}

export interface HbaEditResult {
  readonly text: string;
  readonly changed: boolean;
}

/**
 * Writes `rules` as our marked block before the first host* record (or include), replacing an
 * older block; a no-op when the block is already there and the same.
 */
export function ensureHbaRules(text: string, rules: readonly HbaRule[]): HbaEditResult {
  rules.forEach(validateRule);
  const invalid = parseHba(text).find((e) => e.kind === 'invalid');
  if (invalid && invalid.kind === 'invalid') {
    throw new UserError('config-invalid', `pg_hba.conf line ${invalid.line} cannot be read: ${invalid.reason}`, 'Correct that line by hand, then run the setup again.');
  }
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = splitLines(text);
  const begin = lines.findIndex((l) => l.trim() === HBA_BLOCK_BEGIN);
  const end = begin >= 0 ? lines.findIndex((l, i) => i > begin && l.trim() === HBA_BLOCK_END) : -1;
  if (begin >= 0 && end < 0) {
    throw new UserError('config-invalid', `pg_hba.conf has "${HBA_BLOCK_BEGIN}" without its end marker`, `Add "${HBA_BLOCK_END}" after our rules or remove the block, then run the setup again.`);
  }
  const kept = begin >= 0 ? [...lines.slice(0, begin), ...lines.slice(end + 1)] : [...lines];
  if (kept.length > 0 && !kept[kept.length - 1]!.endsWith('\n')) kept[kept.length - 1] += eol;
  const block = [HBA_BLOCK_BEGIN, ...rules.map(formatHbaRule), HBA_BLOCK_END].map((l) => l + eol);
  const firstHost = parseHba(kept.join('')).find((e) => (e.kind === 'record' && e.type !== 'local') || e.kind === 'include');
  const at = firstHost ? firstHost.line - 1 : kept.length;
  const out = rules.length === 0 ? kept.join('') : [...kept.slice(0, at), ...block, ...kept.slice(at)].join('');
  const result = begin < 0 && rules.length === 0 ? text : out;
  return { text: result, changed: result !== text };
}

// ---- Address matching -------------------------------------------------------------------------

function isIp(s: string): boolean {
  return parseIp(s) !== undefined;
}

function maskBits(mask: string): number | undefined {
  const m = parseIp(mask);
  if (!m) return undefined;
  const width = m.v === 4 ? 32 : 128;
  const bin = m.n.toString(2).padStart(width, '0');
  return /^1*0*$/.test(bin) ? bin.indexOf('0') === -1 ? width : bin.indexOf('0') : undefined;
}

export interface LocalAddress {
  readonly address: string;
  /** CIDR of the interface's subnet, e.g. 10.0.0.5/24. */
  readonly cidr: string;
}

function defaultLocalAddresses(): LocalAddress[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).flatMap((a) => (a.cidr ? [{ address: a.address, cidr: a.cidr }] : [])));
}

export interface HbaClient {
  readonly address: string;
  readonly database: string;
  readonly user: string;
  readonly ssl: boolean;
  /** The server machine's addresses, for samehost/samenet (default: this machine's). */
  readonly localAddresses?: readonly LocalAddress[];
}

function nameMatches(tokens: readonly HbaToken[], name: string, kind: 'database' | 'user', client: HbaClient): boolean {
  return tokens.some((t) => {
    if (!t.quoted) {
      if (t.value === 'all') return true;
      if (kind === 'database' && t.value === 'sameuser') return client.database === client.user;
      if (kind === 'database' && t.value === 'replication') return false;
      // Group membership (+role), samerole and @file need the server's catalog: not matched here.
      if (t.value.startsWith('+') || t.value.startsWith('@') || t.value === 'samerole' || t.value === 'samegroup') return false;
      if (t.value.startsWith('/')) {
        try {
          return new RegExp(t.value.slice(1)).test(name);
        } catch {
          return false;
        }
      }
    }
    return t.value === name;
  });
}

function addressMatches(rec: HbaRecord, ip: Ip, client: HbaClient): boolean {
  const a = rec.address ?? '';
  if (a === 'all') return true;
  const locals = client.localAddresses ?? defaultLocalAddresses();
  if (a === 'samehost') return locals.some((l) => parseIp(l.address)?.n === ip.n && parseIp(l.address)?.v === ip.v);
  if (a === 'samenet') {
    return locals.some((l) => {
      const c = parseCidr(l.cidr);
      return c !== undefined && inRange(ip, c.ip, c.bits);
    });
  }
  if (rec.mask !== undefined) {
    const net = parseIp(a);
    const bits = maskBits(rec.mask);
    return net !== undefined && bits !== undefined && inRange(ip, net, bits);
  }
  const c = parseCidr(a);
  // Host names would need DNS lookups both ways: treated as not matching.
  return c !== undefined && inRange(ip, c.ip, c.bits);
}

/** The first record that a TCP client from `address` would match (PostgreSQL's first-match rule). */
export function findMatchingRule(entries: readonly HbaEntry[], client: HbaClient): HbaRecord | undefined {
  const ip = parseIp(client.address);
  if (!ip) throw new UserError('invalid-input', `"${client.address}" is not an IP address`, 'Give the node address as IPv4 or IPv6.');
  for (const e of entries) {
    if (e.kind !== 'record' || e.type === 'local' || e.type === 'hostgssenc') continue;
    if (e.type === 'hostssl' && !client.ssl) continue;
    if (e.type === 'hostnossl' && client.ssl) continue;
    if (!nameMatches(e.database, client.database, 'database', client)) continue;
    if (!nameMatches(e.user, client.user, 'user', client)) continue;
    if (addressMatches(e, ip, client)) return e;
  }
  return undefined;
}

/** Whether the client is let in to try a password (a matching record that is not `reject`). */
export function isClientAllowed(entries: readonly HbaEntry[], client: HbaClient): boolean {
  const rec = findMatchingRule(entries, client);
  return rec !== undefined && rec.method !== 'reject';
}

/** The rule to add so that one node's address may connect. */
export function ruleForClient(client: HbaClient, method = 'scram-sha-256'): HbaRule {
  const ip = parseIp(client.address);
  if (!ip) throw new UserError('invalid-input', `"${client.address}" is not an IP address`, 'Give the node address as IPv4 or IPv6.');
  return {
    type: client.ssl ? 'hostssl' : 'host',
    database: client.database,
    user: client.user,
    address: `${client.address}/${ip.v === 4 ? 32 : 128}`,
    method,
  };
}
