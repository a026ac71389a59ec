/**
 * The Windows adapters against a real Windows (the windows.yml workflow, elevated as the agent is):
 * a service created, reconfigured, given an account with a hostile password, and removed; ACLs
 * on a temp folder; an SMB share; a DPAPI round trip. Everything created is removed, even on failure.
 * Elsewhere every test reports itself skipped with the reason.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { ensureGroupMember, ensureLocalGroup } from '../../electron/system/windows/accounts.js';
import { aclSatisfies, readAcl, setAclGrants } from '../../electron/system/windows/acl.js';
import { DpapiSecretStore } from '../../electron/system/windows/dpapi.js';
import { checkElevated, refuseLocalSystem } from '../../electron/system/windows/elevation.js';
import { createWindowsRunner } from '../../electron/system/windows/exec-runner.js';
import { runPowerShell, quotePs } from '../../electron/system/windows/powershell.js';
import { WindowsServiceManager } from '../../electron/system/windows/scm.js';
import { ensureSmbShare } from '../../electron/system/windows/smb.js';

const onWindows = process.platform === 'win32';
const skipReason = `needs Windows (this is ${process.platform}); the windows.yml workflow runs it on windows-latest, and the golden tests in tests/unit/system/windows cover the commands here`;
const runner = createWindowsRunner();
const suffix = randomBytes(4).toString('hex');
const serviceName = `SpsetupTest${suffix}`;
const userName = `spsetup${suffix}`;
const groupName = `spsetup test ${suffix}`;
const shareName = `spsetup-test-${suffix}`;
const password = `Aa1 ' " ; & % ^ \` $(x) ${randomBytes(6).toString('hex')}`;
const cleanups: Array<() => Promise<unknown>> = [];

function needWindows(ctx: TestContext): void {
  if (!onWindows) ctx.skip(skipReason);
}

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

describe('Windows adapters on a real Windows', () => {
  it('runs elevated and not as LOCAL SYSTEM', async (ctx) => {
    needWindows(ctx);
    expect(await checkElevated(runner)).toBe(true);
    await refuseLocalSystem(runner);
  });

  it('creates, reconfigures, sets an account with a hostile password, and removes a service', async (ctx) => {
    needWindows(ctx);
    const scm = new WindowsServiceManager(runner, { timeoutMs: 30_000 });
    cleanups.push(() => scm.remove(serviceName));
    // A local user whose password goes in on stdin, as the adapters do.
    cleanups.push(() => runPowerShell(runner, [`Remove-LocalUser -Name ${quotePs(userName)} -ErrorAction SilentlyContinue`]));
    await runPowerShell(
      runner,
      [
        '$p = [System.IO.StreamReader]::new([Console]::OpenStandardInput()).ReadLine()',
        `New-LocalUser -Name ${quotePs(userName)} -Password (ConvertTo-SecureString $p -AsPlainText -Force) -PasswordNeverExpires | Out-Null`,
      ],
      { input: `${password}\n`, secrets: [password] },
    );
    const def = {
      name: serviceName,
      displayName: `spsetup test ${suffix} (it's safe to delete)`,
      description: 'Created by the spsetup Windows test; removed at its end',
      command: process.execPath,
      args: ['-e', 'setInterval(() => {}, 1000)', 'with space'],
      dependsOn: ['Tcpip'],
      env: { SPSETUP_TEST: "it's" },
      autoStart: false,
    };
    expect(await scm.status(serviceName)).toBe('missing');
    await scm.install(def);
    expect(await scm.status(serviceName)).toBe('stopped');
    expect(await scm.installed(serviceName)).toBe(scm.render(def));
    await scm.install({ ...def, dependsOn: [], autoStart: true });
    expect(await scm.installed(serviceName)).toBe(scm.render({ ...def, dependsOn: [], autoStart: true }));
    const failure = await runner.run('sc.exe', ['qfailure', serviceName]);
    expect(failure.stdout).toMatch(/RESET_PERIOD \(in seconds\)\s*:\s*86400/);
    expect(failure.stdout).toMatch(/RESTART -- Delay = 60000 milliseconds/);
    await scm.setAccount(serviceName, `.\\${userName}`, password);
    const qc = await runner.run('sc.exe', ['qc', serviceName]);
    expect(qc.stdout.toLowerCase()).toContain(`.\\${userName}`.toLowerCase());
    await scm.remove(serviceName);
    expect(await scm.status(serviceName)).toBe('missing');
  });

  it('creates a local group, adds a member, and grants it inheritable modify on a folder', async (ctx) => {
    needWindows(ctx);
    const dir = await mkdtemp(join(tmpdir(), 'spsetup-acl-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    cleanups.push(() => runPowerShell(runner, [`Remove-LocalGroup -Name ${quotePs(groupName)} -ErrorAction SilentlyContinue`]));
    expect(await ensureLocalGroup(runner, groupName, 'spsetup test')).toBe(true);
    expect(await ensureLocalGroup(runner, groupName, 'spsetup test')).toBe(false);
    const member = process.env.USERNAME ?? 'runneradmin';
    expect(await ensureGroupMember(runner, { name: groupName }, member)).toBe(true);
    expect(await ensureGroupMember(runner, { name: groupName }, member)).toBe(false);
    const grant = { principal: groupName, rights: 'modify', inherit: true } as const;
    await setAclGrants(runner, dir, [grant]);
    expect(aclSatisfies(await readAcl(runner, dir), grant)).toBe(true);
    await writeFile(join(dir, 'child.txt'), 'x');
    const child = await readAcl(runner, join(dir, 'child.txt'));
    expect(child.some((e) => e.principal.endsWith(groupName) && e.flags.includes('I') && e.flags.includes('M'))).toBe(true);
  });

  it('shares a folder over SMB with encryption, idempotently', async (ctx) => {
    needWindows(ctx);
    const dir = await mkdtemp(join(tmpdir(), 'spsetup-smb-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    cleanups.push(() => runPowerShell(runner, [`Remove-SmbShare -Name ${quotePs(shareName)} -Force -ErrorAction SilentlyContinue`]));
    const spec = { name: shareName, path: dir, fullAccess: ['BUILTIN\\Administrators'], encrypt: true };
    expect(await ensureSmbShare(runner, spec)).toBe('created');
    expect(await ensureSmbShare(runner, spec)).toBe('unchanged');
    const check = await runPowerShell(runner, [`(Get-SmbShare -Name ${quotePs(shareName)}).EncryptData`]);
    expect(check.stdout.trim()).toBe('True');
  });

  it('round-trips a connection string through DPAPI LocalMachine', async (ctx) => {
    needWindows(ctx);
    const dir = await mkdtemp(join(tmpdir(), 'spsetup-dpapi-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'connection.dat');
    const value = `User ID=qliksenserepository;Host=db;Password='${password} ünï';Port=4432;Database=QSR;`;
    const store = new DpapiSecretStore(runner);
    expect(await store.get(file)).toBeUndefined();
    await store.put(file, value);
    expect((await stat(file)).size).toBeGreaterThan(value.length);
    expect(await store.get(file)).toBe(value);
    const acl = await readAcl(runner, file);
    expect(acl.length).toBeGreaterThanOrEqual(2);
    expect(acl.every((e) => !e.flags.includes('I'))).toBe(true);
  });
});
