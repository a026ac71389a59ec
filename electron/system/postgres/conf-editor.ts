/**
 * postgresql.conf editor. It parses the real format (guc-file.l: `name = value`, `name value`,
 * quoted values with '' and backslash escapes, trailing comments, include directives) and edits
 * only the lines it must, so every other byte of the administrator's file stays as it was.
 */
import { UserError } from '../../shared/errors.js';

export type ConfLine =
  | { readonly kind: 'blank' | 'comment'; readonly raw: string }
  | {
      readonly kind: 'setting';
      readonly raw: string;
      readonly name: string;
      readonly value: string;
      /** Offsets of the value token inside the line (without its line break). */
      readonly valueStart: number;
      readonly valueEnd: number;
    }
  | { readonly kind: 'include'; readonly raw: string; readonly directive: IncludeDirective; readonly path: string }
  | { readonly kind: 'commented-setting'; readonly raw: string; readonly name: string }
  | { readonly kind: 'invalid'; readonly raw: string; readonly reason: string };

export type IncludeDirective = 'include' | 'include_if_exists' | 'include_dir';

export interface ConfEditResult {
  readonly text: string;
  /** Names of the settings whose line was changed or added. */
  readonly changed: readonly string[];
  /** Include directives found (`directive path`): settings there may override ours. */
  readonly includes: readonly string[];
}

const NAME = /^[A-Za-z_\x80-\xff][A-Za-z0-9_$\x80-\xff]*(\.[A-Za-z_\x80-\xff][A-Za-z0-9_$\x80-\xff]*)?/;
const COMMENTED_NAME = /^\s*#\s*([A-Za-z_][A-Za-z0-9_$]*(?:\.[A-Za-z_][A-Za-z0-9_$]*)?)\s*=/;
const BARE_VALUE = /^-?\d+(\.\d+)?([A-Za-z]{1,3})?$/;

/** Splits text into lines, each keeping its own line break so joining restores the input exactly. */
export function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function stripEol(raw: string): string {
  return raw.replace(/\r?\n$/, '');
}

/** Reads a quoted value starting at `start` (the opening quote); returns its text and end offset. */
function readQuoted(line: string, start: number): { value: string; end: number } | undefined {
  let value = '';
  let i = start + 1;
  while (i < line.length) {
    const c = line[i]!;
    if (c === "'") {
      if (line[i + 1] === "'") {
        value += "'";
        i += 2;
        continue;
      }
      return { value, end: i + 1 };
    }
    if (c === '\\' && i + 1 < line.length) {
      const n = line[i + 1]!;
      const map: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      value += map[n] ?? n;
      i += 2;
      continue;
    }
    value += c;
    i += 1;
  }
  return undefined;
}

/** Parses one line of postgresql.conf. */
export function parseConfLine(raw: string): ConfLine {
  const line = stripEol(raw);
  const trimmed = line.trim();
  if (trimmed === '') return { kind: 'blank', raw };
  if (trimmed.startsWith('#')) {
    const m = COMMENTED_NAME.exec(line);
    return m ? { kind: 'commented-setting', raw, name: m[1]!.toLowerCase() } : { kind: 'comment', raw };
  }
  const lead = line.length - line.trimStart().length;
  const nameMatch = NAME.exec(line.slice(lead));
  if (!nameMatch) return { kind: 'invalid', raw, reason: 'a line must start with a setting name' };
  const name = nameMatch[0].toLowerCase();
  let i = lead + nameMatch[0].length;
  while (i < line.length && /\s/.test(line[i]!)) i++;
  if (line[i] === '=') i++;
  while (i < line.length && /\s/.test(line[i]!)) i++;
  const valueStart = i;
  let value: string;
  let valueEnd: number;
  if (line[i] === "'") {
    const q = readQuoted(line, i);
    if (!q) return { kind: 'invalid', raw, reason: `the value of ${name} has no closing quote` };
    value = q.value;
    valueEnd = q.end;
  } else {
    const m = /^[^\s#']+/.exec(line.slice(i));
    if (!m) return { kind: 'invalid', raw, reason: `${name} has no value` };
    value = m[0];
    valueEnd = i + m[0].length;
  }
  const rest = line.slice(valueEnd).trim();
  if (rest !== '' && !rest.startsWith('#')) return { kind: 'invalid', raw, reason: `unexpected text after the value of ${name}` };
  if (name === 'include' || name === 'include_if_exists' || name === 'include_dir') {
    return { kind: 'include', raw, directive: name, path: value };
  }
  return { kind: 'setting', raw, name, value, valueStart, valueEnd };
}

/** Parses a whole postgresql.conf. */
export function parseConf(text: string): ConfLine[] {
  return splitLines(text).map(parseConfLine);
}

/** Formats a value: plain numbers (with an optional unit) bare, everything else quoted. */
export function formatConfValue(value: string): string {
  if (BARE_VALUE.test(value)) return value;
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** The value of the last active occurrence of a setting in this file, or undefined. */
export function readConfSetting(text: string, name: string): string | undefined {
  const wanted = name.toLowerCase();
  let found: string | undefined;
  for (const line of parseConf(text)) if (line.kind === 'setting' && line.name === wanted) found = line.value;
  return found;
}

function lastIndex<T>(items: readonly T[], match: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (match(items[i]!)) return i;
  return -1;
}

function assertSettingName(name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(name) || name.toLowerCase().startsWith('include')) {
    throw new UserError('invalid-input', `"${name}" is not a PostgreSQL setting name`, 'Use a name such as listen_addresses or max_connections.');
  }
}

/**
 * Sets each setting: changes the last active occurrence (keeping its trailing comment), or adds an
 * active line right after a commented-out one, or appends at the end. Idempotent.
 */
export function setConfSettings(text: string, settings: Readonly<Record<string, string>>): ConfEditResult {
  const lines = splitLines(text);
  const parsed = lines.map(parseConfLine);
  const bad = parsed.find((l) => l.kind === 'invalid');
  if (bad && bad.kind === 'invalid') {
    throw new UserError('config-invalid', `postgresql.conf has a line spsetup cannot read (${bad.reason}): ${stripEol(bad.raw).trim()}`, 'Correct that line by hand, then run the setup again.');
  }
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const changed: string[] = [];
  const insertAfter = new Map<number, string[]>();
  const appended: string[] = [];
  for (const [rawName, value] of Object.entries(settings)) {
    assertSettingName(rawName);
    if (/[\r\n]/.test(value)) throw new UserError('invalid-input', `The value of ${rawName} contains a line break`, 'Give the value on one line.');
    const name = rawName.toLowerCase();
    const activeIdx = lastIndex(parsed, (l) => l.kind === 'setting' && l.name === name);
    const active = parsed[activeIdx];
    if (active && active.kind === 'setting') {
      if (active.value === value) continue;
      const line = lines[activeIdx]!;
      lines[activeIdx] = line.slice(0, active.valueStart) + formatConfValue(value) + line.slice(active.valueEnd);
      changed.push(rawName);
      continue;
    }
    const newLine = `${rawName} = ${formatConfValue(value)}`;
    const commentedIdx = lastIndex(parsed, (l) => l.kind === 'commented-setting' && l.name === name);
    if (commentedIdx >= 0) {
      insertAfter.set(commentedIdx, [...(insertAfter.get(commentedIdx) ?? []), newLine]);
    } else {
      appended.push(newLine);
    }
    changed.push(rawName);
  }
  let out = '';
  lines.forEach((line, idx) => {
    const extra = insertAfter.get(idx);
    if (!extra) {
      out += line;
      return;
    }
    const withEol = line.endsWith('\n') ? line : line + eol;
    out += withEol + extra.map((l) => l + eol).join('');
  });
  if (appended.length > 0) {
    if (out !== '' && !out.endsWith('\n')) out += eol;
    out += appended.map((l) => l + eol).join('');
  }
  const includes = parsed.flatMap((l) => (l.kind === 'include' ? [`${l.directive} ${l.path}`] : []));
  return { text: out, changed, includes };
}
