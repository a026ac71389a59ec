/**
 * Issue 13: a file system error is never "Internal error ... this is a bug": it becomes a typed
 * error (code filesystem) that names the path and the cause, and says what to do.
 */
import { describe, expect, it } from 'vitest';
import { UserError, exitCodeFor, filesystemError, toErrorInfo } from '../../../electron/shared/errors.js';
import { isErrnoError } from '../../../electron/shared/fs-error.js';

const errno = (code: string, syscall: string, path: string) => Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path, errno: -1 });

describe('file system errors', () => {
  it.each([
    ['EROFS', 'mkdir', '/srv/share/Apps', 'Cannot create the folder /srv/share/Apps: the file system is read-only.'],
    ['ENOSPC', 'write', '/srv/share/x', 'Cannot write /srv/share/x: its file system is full.'],
    ['EACCES', 'open', '/opt/ref/a', 'Cannot open /opt/ref/a: permission denied.'],
    ['EPERM', 'chown', '/opt/ref/a', 'Cannot change the owner of /opt/ref/a: permission denied.'],
    ['ENOENT', 'open', '/mnt/gone/a', 'Cannot open /mnt/gone/a: it, or a folder on the way to it, does not exist.'],
    ['EIO', 'read', '/mnt/a', 'Cannot read /mnt/a: an input/output error (the disk or the share connection failed).'],
    ['EXDEV', 'rename', '/a', 'Cannot rename /a: the system refused (EXDEV).'],
  ])('%s from %s names the path and the cause', (code, syscall, path, message) => {
    const info = toErrorInfo(errno(code, syscall, path));
    expect(info.code).toBe('filesystem');
    expect(info.message).toBe(message);
    expect(info.fix).toBeTruthy();
    expect(info.message).not.toMatch(/Internal error/);
  });

  it('tells a file system out of inodes from one out of space, when the system layer knows', () => {
    const e = errno('ENOSPC', 'mkdir', '/srv/share/Apps');
    expect(filesystemError(e, undefined, { noInodes: true }).message).toBe('Cannot create the folder /srv/share/Apps: its file system has no free inodes left (too many files).');
    expect(filesystemError(e, undefined, { noInodes: false, freeBytes: 4096 }).message).toBe('Cannot create the folder /srv/share/Apps: its file system is full (4 KiB free).');
  });

  it('a given path and action win over the error\'s own (a temp file behind an atomic write)', () => {
    expect(filesystemError(errno('EROFS', 'open', '/srv/.x.tmp'), '/srv/x', {}, 'write').message).toBe('Cannot write /srv/x: the file system is read-only.');
  });

  it('exits 3 when it stopped a command before any change; a bug without an errno is still internal', () => {
    expect(exitCodeFor(filesystemError(errno('EROFS', 'mkdir', '/a')))).toBe(3);
    expect(isErrnoError(new Error('x'))).toBe(false);
    expect(toErrorInfo(new TypeError('x is undefined')).code).toBe('internal');
    expect(filesystemError(errno('EROFS', 'mkdir', '/a'))).toBeInstanceOf(UserError);
  });
});
