import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../../../electron/shared/errors.js';
import { WindowsFiles } from '../../../../electron/system/windows/windows-files.js';
import { WindowsProcesses } from '../../../../electron/system/windows/windows-processes.js';
import { createWindowsSystem } from '../../../../electron/system/windows/windows-system.js';
import { RecordingRunner } from './recording-runner.js';

describe('WindowsProcesses', () => {
  it('passes argument arrays through unchanged and refuses a run-as account, batch files and NUL', async () => {
    const runner = new RecordingRunner();
    const processes = new WindowsProcesses(runner, { elevated: true });
    await processes.run('C:\\Program Files\\Qlik\\Sense\\Proxy\\Proxy.exe', ['-bootstrap=install', 'a "b" c'], { timeoutMs: 5 });
    expect(runner.calls.map((c) => [c.file, ...c.args])).toEqual([['C:\\Program Files\\Qlik\\Sense\\Proxy\\Proxy.exe', '-bootstrap=install', 'a "b" c']]);
    const asUser = await processes.run('Repository.exe', ['-bootstrap'], { user: 'DOMAIN\\qservice' }).catch((e: unknown) => e);
    expect(asUser).toBeInstanceOf(UserError);
    expect((asUser as UserError).message).toContain('as DOMAIN\\qservice');
    await expect(processes.run('C:\\x\\setup.CMD', [])).rejects.toMatchObject({ code: 'invalid-input' });
    await expect(processes.run('a.exe', ['x\u0000y'])).rejects.toMatchObject({ code: 'invalid-input' });
    expect(runner.calls).toHaveLength(1);
    expect(processes.isElevated()).toBe(true);
    expect(new WindowsProcesses(runner, { elevated: false }).isElevated()).toBe(false);
  });

  it('looks accounts up by SID: present, absent, and a name Windows would reject', async () => {
    const runner = new RecordingRunner((c) => (c.script?.includes("'DOMAIN\\qservice'") ? { stdout: 'S-1-5-21-1-2-3-1105\r\n' } : { code: 3 }));
    const processes = new WindowsProcesses(runner, { elevated: true });
    expect(await processes.lookupUser('DOMAIN\\qservice')).toEqual({ uid: 0, gid: 0, home: '' });
    expect(await processes.lookupSid('DOMAIN\\qservice')).toBe('S-1-5-21-1-2-3-1105');
    expect(await processes.lookupUser('DOMAIN\\nobody')).toBeUndefined();
    await expect(processes.lookupUser('bad"name')).rejects.toMatchObject({ code: 'invalid-input' });
    expect(runner.calls).toHaveLength(3);
  });
});

describe('WindowsFiles', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'spsetup-winfiles-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });
  const map = (p: string) => join(root, ...p.replace(/^\\\\/, 'UNC\\').replace(':', '').split('\\').filter(Boolean));

  it('writes atomically, reads back, and backs up into a private folder', async () => {
    const runner = new RecordingRunner();
    const files = new WindowsFiles(runner, { toFsPath: map });
    await files.ensureDir('C:\\ProgramData\\Qlik\\Sense');
    await files.writeAtomic('C:\\ProgramData\\Qlik\\Sense\\a.config', 'one');
    await files.writeAtomic('c:/ProgramData/Qlik/Sense/a.config', 'two');
    expect(await files.readText('C:\\PROGRAMDATA\\Qlik\\Sense\\a.config'.replace('PROGRAMDATA', 'ProgramData'))).toBe('two');
    expect(await readdir(map('C:\\ProgramData\\Qlik\\Sense'))).toEqual(['a.config']);
    expect(runner.calls).toEqual([]);
    const backup = await files.backup('C:\\ProgramData\\Qlik\\Sense\\a.config', 'C:\\ProgramData\\spsetup/backups');
    expect(backup).toMatch(/^C:\\ProgramData\\spsetup\\backups\\a\.config\..+\.bak$/);
    expect(await readFile(map(backup!), 'utf8')).toBe('two');
    expect(runner.calls.map((c) => [c.file, ...c.args])).toEqual([
      ['icacls.exe', 'C:\\ProgramData\\spsetup\\backups', '/inheritance:r', '/grant:r', '*S-1-5-18:(OI)(CI)F', '/grant:r', '*S-1-5-32-544:(OI)(CI)F', '/Q'],
    ]);
  });

  it('locks a private file down before it takes its name; grants on folders are inheritable, on files not', async () => {
    const runner = new RecordingRunner();
    const files = new WindowsFiles(runner, { toFsPath: map });
    await files.ensureDir('\\\\fileserver\\QlikShare\\Apps', { mode: 0o770, owner: 'DOMAIN\\qservice', grants: [{ principal: 'DOMAIN\\qservice', rights: 'modify', inherit: true }] });
    await files.writeAtomic('\\\\fileserver\\QlikShare\\Apps\\marker', 'x', { mode: 0o600, owner: 'DOMAIN\\qservice' });
    await files.setAccess('\\\\fileserver\\QlikShare\\Apps\\marker', { grants: [{ principal: 'Qlik Sense Service Users', rights: 'read', inherit: true }] });
    const argv = runner.calls.map((c) => [c.file, ...c.args]);
    expect(argv[0]).toEqual(['icacls.exe', '\\\\fileserver\\QlikShare\\Apps', '/grant:r', 'DOMAIN\\qservice:(OI)(CI)M', '/Q']);
    // The private ACL went on the temp file (no inheritance flags on a file), before the rename.
    expect(argv[1]![1]).toMatch(/^\\\\fileserver\\QlikShare\\Apps\\\.marker\.[0-9a-f]+\.tmp$/);
    expect(argv[1]!.slice(2)).toEqual(['/inheritance:r', '/grant:r', '*S-1-5-18:F', '/grant:r', '*S-1-5-32-544:F', '/grant:r', 'DOMAIN\\qservice:F', '/Q']);
    expect(argv[2]).toEqual(['icacls.exe', '\\\\fileserver\\QlikShare\\Apps\\marker', '/grant:r', 'Qlik Sense Service Users:RX', '/Q']);
    expect(await readdir(map('\\\\fileserver\\QlikShare\\Apps'))).toEqual(['marker']);
  });

  it('leaves no temp file and the old content when the ACL cannot be set', async () => {
    const runner = new RecordingRunner(() => ({ code: 5, stderr: 'Access is denied.' }));
    const files = new WindowsFiles(runner, { toFsPath: map });
    await files.ensureDir('C:\\data');
    await files.writeAtomic('C:\\data\\secret.txt', 'old');
    await expect(files.writeAtomic('C:\\data\\secret.txt', 'new', { mode: 0o600 })).rejects.toMatchObject({ code: 'permission-denied' });
    expect(await readdir(map('C:\\data'))).toEqual(['secret.txt']);
    expect(await files.readText('C:\\data\\secret.txt')).toBe('old');
  });

  it('probes its own write access for real, and reads the ACL for another account', async () => {
    const acl = (entries: string[]) => `C:\\share ${entries.join('\r\n         ')}\r\n\r\nSuccessfully processed 1 files; Failed processing 0 files`;
    let stdout = acl(['BUILTIN\\Administrators:(OI)(CI)(F)', 'DOMAIN\\qservice:(OI)(CI)(M)']);
    const runner = new RecordingRunner(() => ({ stdout }));
    const files = new WindowsFiles(runner, { toFsPath: map, currentAccount: 'QLIK1\\admin' });
    await files.ensureDir('C:\\share');
    expect(await files.canWrite('C:\\share')).toBe(true);
    expect(await files.canWrite('C:\\share', 'qlik1\\ADMIN')).toBe(true);
    expect(await files.canWrite('C:\\missing')).toBe(false);
    expect(runner.calls).toEqual([]);
    expect(await files.canWrite('C:\\share', 'DOMAIN\\qservice')).toBe(true);
    expect(runner.calls.map((c) => [c.file, ...c.args])).toEqual([['icacls.exe', 'C:\\share']]);
    expect(await files.canWrite('C:\\share', 'DOMAIN\\other')).toBe(false);
    stdout = acl(['Everyone:(OI)(CI)(M)', 'DOMAIN\\qservice:(DENY)(W)']);
    expect(await files.canWrite('C:\\share', 'DOMAIN\\other')).toBe(true);
    expect(await files.canWrite('C:\\share', 'DOMAIN\\qservice')).toBe(false);
    stdout = acl(['DOMAIN\\qservice:(OI)(CI)(IO)(M)', 'DOMAIN\\qservice:(RX)']);
    expect(await files.canWrite('C:\\share', 'DOMAIN\\qservice')).toBe(false);
  });

  it('rejects a malformed path with the reason, creating nothing', async () => {
    const files = new WindowsFiles(new RecordingRunner(), { toFsPath: map });
    await expect(files.ensureDir('\\\\fileserver\\Qlik:Share\\Apps')).rejects.toThrow(/share name/);
    await expect(files.writeAtomic('relative\\file.txt', 'x')).rejects.toThrow(/not absolute/);
    expect(await readdir(root)).toEqual([]);
  });
});

describe('createWindowsSystem', () => {
  it('composes the Windows adapters around one runner', async () => {
    const runner = new RecordingRunner((c) => (c.file === 'sc.exe' ? { code: 1060 } : {}));
    const sys = createWindowsSystem({ runner, elevated: false });
    expect(sys.platform).toBe('win32');
    expect(sys.services.kind).toBe('windows');
    expect(sys.processes.isElevated()).toBe(false);
    expect(await sys.services.status('QlikSenseProxyService')).toBe('missing');
    // Every adapter goes through the same guard: no run-as account on Windows.
    await expect(sys.processes.run('x.exe', [], { user: 'someone' })).rejects.toBeInstanceOf(UserError);
    expect(runner.calls.map((c) => c.file)).toEqual(['sc.exe']);
  });
});
