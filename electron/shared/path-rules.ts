/**
 * Rules for the folders a settings document names: absolute, no `..`, and no folder inside
 * another where an uninstall or a --remove-data of one would delete the other (the share, the
 * live database). Pure and platform-neutral: a path is Windows-style when it has a drive or is UNC.
 */

/** True for /abs, C:\abs (or C:/abs) and \\server\share. */
export function isAbsolutePath(path: string): boolean {
  return path.startsWith('/') || isDrivePath(path) || isUncPath(path);
}

/** True for a path that names one folder on this platform: /x on Linux; C:\x or \\server\share on Windows. */
export function isAbsoluteFor(platform: 'linux' | 'win32', path: string): boolean {
  return platform === 'win32' ? isDrivePath(path) || isUncPath(path) : path.startsWith('/');
}

/** True for C:\abs or C:/abs: a folder with its drive letter. */
function isDrivePath(path: string): boolean {
  return /^[A-Za-z]:[\\/]/.test(path);
}

/** True for \\\\server\\share\\...: a network share, not a folder of this machine. */
export function isUncPath(path: string): boolean {
  return /^\\\\[^\\/]+[\\/][^\\/]+/.test(path);
}

/** True when a segment of the path is `..` (it would climb out of the folder it names). */
export function climbsOut(path: string): boolean {
  return path.split(/[\\/]/).includes('..');
}

/** Why a settings path is not acceptable, or undefined when it is. */
export function pathProblem(path: string): string | undefined {
  if (!isAbsolutePath(path)) return 'must be an absolute path (such as /srv/share, C:\\Share or \\\\server\\share): a relative path would depend on the folder spsetup is started from';
  if (climbsOut(path)) return 'must not contain ".." (give the folder itself)';
  return undefined;
}

/** A comparable form: one separator, no trailing one, no `.` segments; Windows-style paths case-folded. */
function comparable(path: string): string {
  const windows = /^[A-Za-z]:/.test(path) || path.startsWith('\\\\') || path.includes('\\');
  const unc = /^[\\/]{2}[^\\/]/.test(path) && windows;
  const segments = path.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
  const joined = (unc ? '//' : path.startsWith('/') || path.startsWith('\\') ? '/' : '') + segments.join('/');
  return windows ? joined.toLowerCase() : joined;
}

/** True when `inner` is `outer` or lies inside it. */
export function isWithin(inner: string, outer: string): boolean {
  const i = comparable(inner);
  const o = comparable(outer);
  if (o === '/' || o === '') return i.startsWith('/') || o === i;
  return i === o || i.startsWith(`${o}/`);
}

export interface NamedPath {
  /** The settings field, e.g. "installDir" or "share.root". */
  readonly field: string;
  readonly path: string;
  /** Folders of one group (the share root and its sub folders) may lie inside each other. */
  readonly group?: string;
}

/** Every pair where one folder is, or lies inside, another of a different group: [inner, outer]. */
export function nestedPaths(paths: readonly NamedPath[]): [NamedPath, NamedPath][] {
  const out: [NamedPath, NamedPath][] = [];
  for (const a of paths) {
    for (const b of paths) {
      if (a === b || (a.group !== undefined && a.group === b.group)) continue;
      // An equal pair is reported once, in the order given.
      if (isWithin(a.path, b.path) && !(isWithin(b.path, a.path) && paths.indexOf(a) > paths.indexOf(b))) out.push([a, b]);
    }
  }
  return out;
}

/** The message for one nested pair. */
export function nestingMessage([inner, outer]: [NamedPath, NamedPath]): string {
  const how = isWithin(outer.path, inner.path) ? 'is the same folder as' : 'lies inside';
  return `${inner.path} (${inner.field}) ${how} ${outer.path} (${outer.field}): removing one would delete the other; choose separate folders`;
}
