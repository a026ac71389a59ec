/**
 * Windows paths, computed with node's path.win32 so they behave the same when tested on Linux:
 * UNC share roots, drive paths, the %ProgramFiles% / %ProgramData% defaults, case-insensitive
 * comparison, and the \\?\ prefix for paths longer than MAX_PATH.
 */
import { win32 } from 'node:path';
import { UserError } from '../../shared/errors.js';

/** MAX_PATH is 260 including the terminating NUL. */
export const maxPathChars = 259;

export type WindowsPath =
  | { readonly kind: 'drive'; readonly drive: string; readonly path: string }
  | { readonly kind: 'unc'; readonly server: string; readonly share: string; readonly root: string; readonly path: string };

const badNameChars = /[<>:"|?*\u0000-\u001f]/;

function invalid(path: string, why: string, fix: string): UserError {
  return new UserError('invalid-input', `"${path}" is not a valid Windows path: ${why}.`, fix);
}

/** Removes a \\?\ or \\?\UNC\ prefix. */
export function stripLongPathPrefix(path: string): string {
  if (/^\\\\\?\\UNC\\/i.test(path)) return `\\\\${path.slice(8)}`;
  if (path.startsWith('\\\\?\\')) return path.slice(4);
  return path;
}

/** Parses an absolute drive or UNC path; throws a UserError naming what is wrong. */
export function parseWindowsPath(input: string): WindowsPath {
  const raw = stripLongPathPrefix(input.replace(/\//g, '\\'));
  if (raw.trim() === '') throw invalid(input, 'it is empty', 'Enter a full path such as C:\\QlikShare or \\\\server\\QlikShare.');
  if (raw.startsWith('\\\\')) return parseUnc(input, raw);
  const drive = /^([A-Za-z]):\\/.exec(raw);
  if (!drive) {
    throw invalid(input, 'it is not absolute', 'Enter a full path that starts with a drive (C:\\...) or a share (\\\\server\\share\\...).');
  }
  const rest = raw.slice(3);
  if (badNameChars.test(rest)) throw invalid(input, 'it contains one of < > : " | ? * or a control character', 'Remove those characters.');
  const path = trimTrailing(win32.normalize(raw));
  return { kind: 'drive', drive: `${drive[1]!.toUpperCase()}:`, path: `${drive[1]!.toUpperCase()}${path.slice(1)}` };
}

function parseUnc(input: string, raw: string): WindowsPath {
  const parts = raw.slice(2).split('\\');
  const server = parts[0] ?? '';
  const share = parts[1] ?? '';
  const fix = 'Write a share path as \\\\server\\share or \\\\server\\share\\folder.';
  if (server === '') throw invalid(input, 'the server name is missing', fix);
  if (server === '.' || server === '?') throw invalid(input, 'device paths are not shares', fix);
  if (/[\\/:*?"<>|\s]/.test(server)) throw invalid(input, `the server name "${server}" contains a character a host name cannot have`, fix);
  if (share === '') throw invalid(input, 'the share name is missing', fix);
  if (/["/\\[\]:|<>+=;,?*\u0000-\u001f]/.test(share)) throw invalid(input, `the share name "${share}" contains a character a share name cannot have`, fix);
  const rest = parts.slice(2);
  if (rest.some((p, i) => p === '' && i < rest.length - 1)) throw invalid(input, 'it contains an empty folder name (\\\\)', fix);
  if (rest.some((p) => badNameChars.test(p))) throw invalid(input, 'a folder name contains one of < > : " | ? * or a control character', 'Remove those characters.');
  // win32.normalize would clamp "..\\.." at the share root silently; a typo should not become another folder.
  let depth = 0;
  for (const seg of rest) {
    depth += seg === '..' ? -1 : seg === '.' || seg === '' ? 0 : 1;
    if (depth < 0) throw invalid(input, '".." climbs above the share', fix);
  }
  const root = `\\\\${server}\\${share}`;
  const path = trimTrailing(win32.normalize(raw));
  return { kind: 'unc', server, share, root, path };
}

function trimTrailing(path: string): string {
  // Keep "C:\" and "\\server\share\" roots intact; drop any other trailing separator.
  if (/^[A-Za-z]:\\$/.test(path)) return path;
  return path.length > 3 && path.endsWith('\\') ? path.slice(0, -1) : path;
}

/** Whether the path is a UNC share path (\\server\share\...). */
export function isUncPath(path: string): boolean {
  return stripLongPathPrefix(path.replace(/\//g, '\\')).startsWith('\\\\');
}

/** The share root (\\server\share) of a UNC path. */
export function uncShareRoot(path: string): string {
  const parsed = parseWindowsPath(path);
  if (parsed.kind !== 'unc') throw invalid(path, 'it is not a share path', 'Write a share path as \\\\server\\share.');
  return parsed.root;
}

/** The normalized absolute form (validated, backslashes, no trailing separator, drive letter upper case). */
export function normalizeWindowsPath(path: string): string {
  return parseWindowsPath(path).path;
}

/** Windows file names compare case-insensitively (the ordinal upper-case comparison NTFS uses). */
export function sameWindowsPath(a: string, b: string): boolean {
  return normalizeWindowsPath(a).toUpperCase() === normalizeWindowsPath(b).toUpperCase();
}

/** Whether `child` is `parent` or lies inside it, compared case-insensitively. */
export function isInsideWindowsPath(child: string, parent: string): boolean {
  const c = normalizeWindowsPath(child).toUpperCase();
  const p = normalizeWindowsPath(parent).toUpperCase();
  return c === p || c.startsWith(p.endsWith('\\') ? p : `${p}\\`);
}

/** Joins segments with path.win32.join (forward slashes become backslashes). */
export function joinWindowsPath(base: string, ...segments: readonly string[]): string {
  return win32.join(base, ...segments);
}

/**
 * The form to hand to Win32 APIs and tools: paths over MAX_PATH get the \\?\ (drive) or
 * \\?\UNC\ (share) prefix, which turns off the length limit (and all normalization, so the
 * path is normalized first).
 */
export function toLongPath(path: string): string {
  const parsed = parseWindowsPath(path);
  if (parsed.path.length <= maxPathChars) return parsed.path;
  return parsed.kind === 'unc' ? `\\\\?\\UNC\\${parsed.path.slice(2)}` : `\\\\?\\${parsed.path}`;
}

export interface WindowsDirs {
  readonly programFiles: string;
  readonly programData: string;
  /** Where spsetup writes its logs: %ProgramData%\spsetup\logs. */
  readonly logs: string;
  /** Where the journal and state live: %ProgramData%\spsetup\state. */
  readonly state: string;
}

/** Looks an environment variable up case-insensitively, as Windows does. */
export function getEnvCaseInsensitive(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const upper = name.toUpperCase();
  for (const [key, value] of Object.entries(env)) if (key.toUpperCase() === upper && value) return value;
  return undefined;
}

/** The well-known folders from the environment, with the Windows defaults when a variable is unset. */
export function resolveWindowsDirs(env: Readonly<Record<string, string | undefined>>): WindowsDirs {
  const programFiles = normalizeWindowsPath(getEnvCaseInsensitive(env, 'ProgramFiles') ?? 'C:\\Program Files');
  const programData = normalizeWindowsPath(getEnvCaseInsensitive(env, 'ProgramData') ?? 'C:\\ProgramData');
  return {
    programFiles,
    programData,
    logs: win32.join(programData, 'spsetup', 'logs'),
    state: win32.join(programData, 'spsetup', 'state'),
  };
}
