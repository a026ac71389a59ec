import { describe, expect, it } from 'vitest';
import { UserError } from '../../../../electron/shared/errors.js';
import { ensureGroupMember, ensureLocalGroup, ensureServiceAccountGroups } from '../../../../electron/system/windows/accounts.js';
import { aclSatisfies, buildIcaclsArgs, parseIcaclsOutput, readAcl, setAclGrants } from '../../../../electron/system/windows/acl.js';
import { ensureSmbShare } from '../../../../electron/system/windows/smb.js';
import { RecordingRunner } from './recording-runner.js';

const golden = (name: string): string => `../../../fixtures/windows/golden/${name}`;
const modify = { principal: 'Qlik Sense Service Users', rights: 'modify', inherit: true } as const;

describe('local groups for the non-administrator service account', () => {
  it('creates the group, adds the account to it and to Performance Monitor Users by SID (golden scripts)', async () => {
    const runner = new RecordingRunner((c) => ({ stdout: c.script?.includes('New-LocalGroup') ? 'created\r\n' : 'added\r\n' }));
    expect(await ensureServiceAccountGroups(runner, "CORP\\o'brien svc")).toBe(true);
    const [group, member, perfmon] = runner.scripts();
    await expect(group).toMatchFileSnapshot(golden('accounts-group.ps1'));
    await expect(member).toMatchFileSnapshot(golden('accounts-member.ps1'));
    expect(perfmon).toContain("Add-LocalGroupMember -SID 'S-1-5-32-558' -Member 'CORP\\o''brien svc' -ErrorAction Stop");
    expect(runner.calls.every((c) => c.file === 'powershell.exe' && c.input === '')).toBe(true);
  });

  it('reports unchanged when the group and memberships exist', async () => {
    const runner = new RecordingRunner(() => ({ stdout: 'unchanged\r\n' }));
    expect(await ensureLocalGroup(runner, 'Qlik Sense Service Users', 'x')).toBe(false);
    expect(await ensureGroupMember(runner, { name: 'Qlik Sense Service Users' }, 'CORP\\svc')).toBe(false);
  });

  it('rejects an invalid member name before running anything', async () => {
    const runner = new RecordingRunner();
    await expect(ensureGroupMember(runner, { name: 'G' }, 'a:b')).rejects.toBeInstanceOf(UserError);
    await expect(ensureLocalGroup(runner, ' G', 'x')).rejects.toBeInstanceOf(UserError);
    expect(runner.calls).toEqual([]);
  });
});

describe('icacls grants', () => {
  it('grants inheritable modify on a drive folder, one argument per grant', () => {
    expect(buildIcaclsArgs('C:\\QlikShare', [modify, { principal: 'CORP\\svc', rights: 'full', inherit: false }], false)).toEqual([
      'C:\\QlikShare',
      '/grant:r',
      'Qlik Sense Service Users:(OI)(CI)M',
      '/grant:r',
      'CORP\\svc:F',
      '/Q',
    ]);
  });

  it('handles UNC paths, recursion and long paths', () => {
    expect(buildIcaclsArgs('\\\\fileserver\\QlikShare\\Apps', [{ ...modify, rights: 'read' }], true)).toEqual([
      '\\\\fileserver\\QlikShare\\Apps',
      '/grant:r',
      'Qlik Sense Service Users:(OI)(CI)RX',
      '/T',
      '/Q',
    ]);
    const long = `\\\\fileserver\\QlikShare\\${'a'.repeat(255)}`;
    expect(buildIcaclsArgs(long, [modify], false)[0]).toBe(`\\\\?\\UNC\\fileserver\\QlikShare\\${'a'.repeat(255)}`);
  });

  it('runs icacls.exe and turns a failure into a UserError; a bad principal runs nothing', async () => {
    const ok = new RecordingRunner();
    await setAclGrants(ok, 'C:\\Data', [modify], true);
    expect(ok.calls.map((c) => [c.file, ...c.args])).toEqual([['icacls.exe', 'C:\\Data', '/grant:r', 'Qlik Sense Service Users:(OI)(CI)M', '/T', '/Q']]);
    const bad = new RecordingRunner(() => ({ code: 1332, stderr: 'No mapping between account names and security IDs was done.' }));
    await expect(setAclGrants(bad, 'C:\\Data', [modify])).rejects.toThrow('No mapping between account names');
    const none = new RecordingRunner();
    await expect(setAclGrants(none, 'C:\\Data', [{ ...modify, principal: 'a:b' }])).rejects.toBeInstanceOf(UserError);
    expect(none.calls).toEqual([]);
  });

  it('reads an ACL back and tells whether a grant is satisfied', async () => {
    const out = [
      'C:\\QlikShare NT AUTHORITY\\SYSTEM:(OI)(CI)(F)',
      '              BUILTIN\\Administrators:(OI)(CI)(F)',
      '              WIN-ABC\\Qlik Sense Service Users:(OI)(CI)(M)',
      '              CORP\\reader:(RX)',
      '',
      'Successfully processed 1 files; Failed processing 0 files',
    ].join('\r\n');
    const entries = await readAcl(new RecordingRunner(() => ({ stdout: out })), 'C:\\QlikShare');
    expect(entries).toEqual([
      { principal: 'NT AUTHORITY\\SYSTEM', flags: ['OI', 'CI', 'F'] },
      { principal: 'BUILTIN\\Administrators', flags: ['OI', 'CI', 'F'] },
      { principal: 'WIN-ABC\\Qlik Sense Service Users', flags: ['OI', 'CI', 'M'] },
      { principal: 'CORP\\reader', flags: ['RX'] },
    ]);
    expect(aclSatisfies(entries, modify)).toBe(true);
    expect(aclSatisfies(entries, { ...modify, rights: 'full' })).toBe(false);
    expect(aclSatisfies(entries, { principal: 'CORP\\reader', rights: 'read', inherit: true })).toBe(false);
    expect(aclSatisfies(parseIcaclsOutput(out, 'C:\\QlikShare'), { principal: 'CORP\\reader', rights: 'read', inherit: false })).toBe(true);
  });
});

describe('SMB share', () => {
  it('creates an encrypted share with full and change access (golden script)', async () => {
    const runner = new RecordingRunner(() => ({ stdout: 'created\r\n' }));
    const outcome = await ensureSmbShare(runner, {
      name: 'QlikShare',
      path: "c:/Qlik Share/it's/",
      fullAccess: ['BUILTIN\\Administrators'],
      changeAccess: ['Qlik Sense Service Users', "CORP\\o'brien"],
      encrypt: true,
      description: 'Shared persistence',
    });
    expect(outcome).toBe('created');
    await expect(runner.scripts()[0]).toMatchFileSnapshot(golden('smb-share.ps1'));
  });

  it('does not mention encryption unless asked', async () => {
    const runner = new RecordingRunner(() => ({ stdout: 'unchanged' }));
    expect(await ensureSmbShare(runner, { name: 'QlikShare', path: 'C:\\QlikShare', changeAccess: ['G'] })).toBe('unchanged');
    expect(runner.scripts()[0]).not.toContain('EncryptData');
  });

  it('refuses to repoint a share that exists for another folder', async () => {
    const runner = new RecordingRunner(() => ({ code: 5, stderr: 'The share QlikShare already exists for D:\\Other.' }));
    const err = await ensureSmbShare(runner, { name: 'QlikShare', path: 'C:\\QlikShare' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'conflict', message: 'The share QlikShare already exists for D:\\Other.' });
  });

  it.each([['bad/name', 'C:\\x'], ['ok', 'relative\\x'], ['ok', '\\\\srv']])('rejects share %j on %j before running anything', async (name, path) => {
    const runner = new RecordingRunner();
    await expect(ensureSmbShare(runner, { name, path })).rejects.toBeInstanceOf(UserError);
    expect(runner.calls).toEqual([]);
  });
});
