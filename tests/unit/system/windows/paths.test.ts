import { describe, expect, it } from 'vitest';
import { UserError } from '../../../../electron/shared/errors.js';
import {
  isInsideWindowsPath,
  isUncPath,
  joinWindowsPath,
  normalizeWindowsPath,
  parseWindowsPath,
  resolveWindowsDirs,
  sameWindowsPath,
  stripLongPathPrefix,
  toLongPath,
  uncShareRoot,
} from '../../../../electron/system/windows/paths.js';

describe('Windows paths', () => {
  it('parses a UNC share path into server, share and root', () => {
    expect(parseWindowsPath('\\\\fileserver\\QlikShare\\Apps\\')).toEqual({
      kind: 'unc',
      server: 'fileserver',
      share: 'QlikShare',
      root: '\\\\fileserver\\QlikShare',
      path: '\\\\fileserver\\QlikShare\\Apps',
    });
    expect(uncShareRoot('//fileserver/QlikShare/StaticContent')).toBe('\\\\fileserver\\QlikShare');
    expect(isUncPath('\\\\s\\x')).toBe(true);
    expect(isUncPath('C:\\x')).toBe(false);
  });

  it('parses drive paths, upper-casing the drive and dropping the trailing separator', () => {
    expect(parseWindowsPath('c:/QlikShare/Apps/')).toEqual({ kind: 'drive', drive: 'C:', path: 'C:\\QlikShare\\Apps' });
    expect(normalizeWindowsPath('D:\\')).toBe('D:\\');
    expect(normalizeWindowsPath('C:\\a\\.\\b\\..\\c')).toBe('C:\\a\\c');
  });

  it.each([
    ['\\\\', 'the server name is missing'],
    ['\\\\server', 'the share name is missing'],
    ['\\\\server\\', 'the share name is missing'],
    ['\\\\ser ver\\share', 'contains a character a host name cannot have'],
    ['\\\\server\\sh:are', 'contains a character a share name cannot have'],
    ['\\\\server\\share\\\\x', 'empty folder name'],
    ['\\\\server\\share\\..\\..\\other', 'climbs above the share'],
    ['\\\\.\\pipe', 'device paths are not shares'],
    ['QlikShare\\Apps', 'not absolute'],
    ['C:relative', 'not absolute'],
    ['C:\\a<b', 'contains one of'],
    ['', 'it is empty'],
  ])('rejects %j with a clear error (%s)', (input, why) => {
    let caught: unknown;
    try {
      parseWindowsPath(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UserError);
    expect((caught as UserError).code).toBe('invalid-input');
    expect((caught as UserError).message).toContain(why);
    expect((caught as UserError).fix).toBeTruthy();
  });

  it('compares case-insensitively and ignores separators and \\\\?\\ prefixes', () => {
    expect(sameWindowsPath('C:\\ProgramData\\Qlik', 'c:/programdata/QLIK/')).toBe(true);
    expect(sameWindowsPath('\\\\SRV\\Share\\Apps', '\\\\?\\UNC\\srv\\share\\apps')).toBe(true);
    expect(sameWindowsPath('C:\\a', 'C:\\b')).toBe(false);
    expect(isInsideWindowsPath('c:\\qlikshare\\apps\\x', 'C:\\QlikShare')).toBe(true);
    expect(isInsideWindowsPath('C:\\QlikShare2', 'C:\\QlikShare')).toBe(false);
  });

  it('adds the long-path prefix only past MAX_PATH, in the UNC form for shares', () => {
    const short = 'C:\\data\\file.txt';
    expect(toLongPath(short)).toBe(short);
    const longDrive = `C:\\${'d'.repeat(120)}\\${'e'.repeat(140)}`;
    expect(longDrive.length).toBeGreaterThan(259);
    expect(toLongPath(longDrive)).toBe(`\\\\?\\${longDrive}`);
    const longUnc = `\\\\srv\\share\\${'f'.repeat(250)}`;
    expect(toLongPath(longUnc)).toBe(`\\\\?\\UNC\\srv\\share\\${'f'.repeat(250)}`);
    expect(stripLongPathPrefix(toLongPath(longUnc))).toBe(longUnc);
    // Exactly at the limit stays as it is.
    const atLimit = `C:\\${'x'.repeat(256)}`;
    expect(atLimit.length).toBe(259);
    expect(toLongPath(atLimit)).toBe(atLimit);
  });

  it('normalizes before prefixing (\\\\?\\ turns normalization off)', () => {
    const p = `C:\\${'a'.repeat(200)}\\.\\skip\\..\\${'b'.repeat(80)}`;
    expect(toLongPath(p)).toBe(`\\\\?\\C:\\${'a'.repeat(200)}\\${'b'.repeat(80)}`);
  });

  it('takes %ProgramFiles% and %ProgramData% from the environment, case-insensitively, with defaults', () => {
    expect(resolveWindowsDirs({ PROGRAMFILES: 'D:\\Apps', programdata: 'E:\\Data\\' })).toEqual({
      programFiles: 'D:\\Apps',
      programData: 'E:\\Data',
      logs: 'E:\\Data\\spsetup\\logs',
      state: 'E:\\Data\\spsetup\\state',
    });
    expect(resolveWindowsDirs({})).toEqual({
      programFiles: 'C:\\Program Files',
      programData: 'C:\\ProgramData',
      logs: 'C:\\ProgramData\\spsetup\\logs',
      state: 'C:\\ProgramData\\spsetup\\state',
    });
    expect(joinWindowsPath('\\\\srv\\share', 'Apps', 'x/y')).toBe('\\\\srv\\share\\Apps\\x\\y');
  });
});
