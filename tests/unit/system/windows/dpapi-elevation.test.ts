import { describe, expect, it } from 'vitest';
import { UserError } from '../../../../electron/shared/errors.js';
import { DpapiSecretStore } from '../../../../electron/system/windows/dpapi.js';
import {
  checkElevated,
  refuseLocalSystem,
} from '../../../../electron/system/windows/elevation.js';
import { RecordingRunner, countOccurrences, expectNotInArgv, nastyPasswords } from './recording-runner.js';

const golden = (name: string): string => `../../../fixtures/windows/golden/${name}`;
const connectionString = (pwd: string): string =>
  `User ID=qliksenserepository;Host=db.corp;Password='${pwd}';Port=4432;Database=QSR;Pooling=true;Min Pool Size=0;Max Pool Size=90;`;

describe('DPAPI secret store', () => {
  it.each(nastyPasswords)('stores a connection string with password %j through stdin only', async (pwd) => {
    const value = connectionString(pwd);
    const runner = new RecordingRunner(() => ({ stdout: 'stored\r\n' }));
    await new DpapiSecretStore(runner).put('C:\\ProgramData\\Qlik\\Sense\\Repository\\connection.dat', value, "CORP\\o'brien");
    expectNotInArgv(runner.calls, pwd);
    expect(runner.calls).toHaveLength(1);
    expect(runner.calls[0]!.input).toBe(value);
    expect(countOccurrences(runner.calls[0]!.input, pwd)).toBe(1);
    expect(runner.calls[0]!.options.secrets).toEqual([value]);
  });

  it('protects with LocalMachine scope and locks the file down (golden scripts)', async () => {
    const runner = new RecordingRunner((c) => ({ stdout: c.script?.includes('Unprotect') ? 'eA==' : 'stored' }));
    const store = new DpapiSecretStore(runner);
    await store.put("C:\\ProgramData\\spsetup\\it's\\conn.dat", 'x', 'CORP\\svc');
    await store.get("C:\\ProgramData\\spsetup\\it's\\conn.dat");
    const [put, get] = runner.scripts();
    await expect(put).toMatchFileSnapshot(golden('dpapi-protect.ps1'));
    await expect(get).toMatchFileSnapshot(golden('dpapi-unprotect.ps1'));
  });

  it('reads the secret back from base64 on stdout, non-ASCII included', async () => {
    const value = connectionString(nastyPasswords[2]!);
    const runner = new RecordingRunner(() => ({ stdout: `${Buffer.from(value, 'utf8').toString('base64')}\r\n` }));
    expect(await new DpapiSecretStore(runner).get('C:\\s\\conn.dat')).toBe(value);
    expect(runner.calls[0]!.input).toBe('');
  });

  it('returns undefined for a missing file and a clear error for one it cannot unprotect', async () => {
    expect(await new DpapiSecretStore(new RecordingRunner(() => ({ code: 3 }))).get('C:\\s\\none.dat')).toBeUndefined();
    const err = await new DpapiSecretStore(new RecordingRunner(() => ({ code: 1, stderr: 'Key not valid for use in specified state.' })))
      .get('C:\\s\\other-machine.dat')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).fix).toContain('only be read on the machine that wrote it');
  });

  it('rejects a relative path before running anything', async () => {
    const runner = new RecordingRunner();
    await expect(new DpapiSecretStore(runner).put('conn.dat', 'x')).rejects.toBeInstanceOf(UserError);
    expect(runner.calls).toEqual([]);
  });
});

describe('elevation', () => {
  it('is elevated only with a High or System integrity label', async () => {
    const medium = '"Mandatory Label\\Medium Mandatory Level","Label","S-1-16-8192",""\r\n"BUILTIN\\Administrators","Alias","S-1-5-32-544","Group used for deny only"';
    const high = '"BUILTIN\\Administrators","Alias","S-1-5-32-544","Mandatory group, Enabled by default, Enabled group, Group owner"\r\n"Mandatory Label\\High Mandatory Level","Label","S-1-16-12288",""';
    let n = 0;
    const runner = new RecordingRunner(() => ({ stdout: ++n === 1 ? medium : high }));
    expect(await checkElevated(runner)).toBe(false);
    expect(await checkElevated(runner)).toBe(true);
    expect(runner.calls.map((c) => [c.file, ...c.args])[0]).toEqual(['whoami.exe', '/groups', '/fo', 'csv', '/nh']);
  });

  it('refuses LOCAL SYSTEM with an actionable error and accepts an administrator', async () => {
    const system = new RecordingRunner(() => ({ stdout: '"nt authority\\system","S-1-5-18"\r\n' }));
    const err = await refuseLocalSystem(system).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe('preflight-failed');
    expect((err as UserError).message).toContain('LOCAL SYSTEM');
    expect(system.calls[0]!.args).toEqual(['/user', '/fo', 'csv', '/nh']);
    const admin = new RecordingRunner(() => ({ stdout: '"corp\\admin","S-1-5-21-1004336348-1177238915-682003330-1001"\r\n' }));
    await expect(refuseLocalSystem(admin)).resolves.toBeUndefined();
  });
});
