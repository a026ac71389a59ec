import { describe, expect, it } from 'vitest';
import { UserError } from '../../../../electron/shared/errors.js';
import type { ServiceDefinition } from '../../../../electron/system/types.js';
import { parseScQc, parseScQuery } from '../../../../electron/system/windows/sc-output.js';
import { WindowsServiceManager, buildScArgs, describeServiceDefinition } from '../../../../electron/system/windows/scm.js';
import { RecordingRunner, countOccurrences, expectNotInArgv, nastyPasswords, type RecordedCall } from './recording-runner.js';

const golden = (name: string): string => `../../../fixtures/windows/golden/${name}`;

function queryOutput(name: string, state: number, word: string, exit = 0, serviceExit = 0): string {
  return [
    '',
    `SERVICE_NAME: ${name}`,
    '        TYPE               : 10  WIN32_OWN_PROCESS',
    `        STATE              : ${state}  ${word}`,
    '                                (STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)',
    `        WIN32_EXIT_CODE    : ${exit}  (0x0)`,
    `        SERVICE_EXIT_CODE  : ${serviceExit}  (0x0)`,
    '        CHECKPOINT         : 0x0',
    '        WAIT_HINT          : 0x0',
    '',
  ].join('\r\n');
}

const notInstalled = { code: 1060, stdout: '[SC] EnumQueryServicesStatus:OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n' };

const repository: ServiceDefinition = {
  name: 'QlikSenseRepositoryService',
  displayName: "Qlik Sense Repository Service (O'Brien's site)",
  description: 'Repository; restarts when the database is unreachable',
  command: 'C:\\Program Files\\Qlik\\Sense\\Repository\\Repository.exe',
  args: ['-service', '--config', 'C:\\ProgramData\\Qlik\\Sense\\it is\\'],
  dependsOn: ['QlikSenseRepositoryDatabase', 'QlikSenseServiceDispatcher'],
  env: { SPSETUP_ROLE: 'central', NODE_OPTIONS: "--max-old-space-size=4096 --title='repo'" },
  logFile: 'C:\\ProgramData\\Qlik\\Sense\\Log\\Repository\\System.log',
};

/** A clock the manager's polling advances, so timeouts are tested without waiting. */
function fakeClock(): { now: () => number; sleep: (ms: number) => Promise<void> } {
  let t = 0;
  return { now: () => t, sleep: async (ms) => void (t += ms) };
}

function scCalls(calls: readonly RecordedCall[]): string[][] {
  return calls.filter((c) => c.file === 'sc.exe').map((c) => [...c.args]);
}

describe('WindowsServiceManager.install', () => {
  it('creates a missing service with display name, dependencies, start type, description, environment and restart-on-failure', async () => {
    const runner = new RecordingRunner((c) => (c.args[0] === 'query' ? notInstalled : undefined));
    await new WindowsServiceManager(runner).install(repository);
    expect(scCalls(runner.calls)).toEqual([
      ['query', 'QlikSenseRepositoryService'],
      [
        'create',
        'QlikSenseRepositoryService',
        'binPath=',
        '"C:\\Program Files\\Qlik\\Sense\\Repository\\Repository.exe" -service --config "C:\\ProgramData\\Qlik\\Sense\\it is\\\\"',
        'DisplayName=',
        "Qlik Sense Repository Service (O'Brien's site)",
        'start=',
        'auto',
        'depend=',
        'QlikSenseRepositoryDatabase/QlikSenseServiceDispatcher',
      ],
      ['description', 'QlikSenseRepositoryService', 'Repository; restarts when the database is unreachable'],
      ['failure', 'QlikSenseRepositoryService', 'reset=', '86400', 'actions=', 'restart/60000/restart/60000/restart/60000'],
      ['failureflag', 'QlikSenseRepositoryService', '1'],
    ]);
    const scripts = runner.scripts();
    expect(scripts).toHaveLength(1);
    await expect(scripts[0]).toMatchFileSnapshot(golden('scm-environment.ps1'));
  });

  it('reconfigures an existing service with sc.exe config, clearing dependencies with "depend= /"', async () => {
    const runner = new RecordingRunner((c) => (c.args[0] === 'query' ? { stdout: queryOutput(c.args[1]!, 1, 'STOPPED') } : undefined));
    await new WindowsServiceManager(runner).install({ name: 'SpsEngine', displayName: 'Engine', command: 'C:\\e.exe', args: [], autoStart: false });
    expect(scCalls(runner.calls)).toEqual([
      ['query', 'SpsEngine'],
      ['config', 'SpsEngine', 'binPath=', '"C:\\e.exe"', 'DisplayName=', 'Engine', 'start=', 'demand', 'depend=', '/'],
      ['description', 'SpsEngine', ''],
      ['failure', 'SpsEngine', 'reset=', '86400', 'actions=', 'restart/60000/restart/60000/restart/60000'],
      ['failureflag', 'SpsEngine', '1'],
    ]);
    expect(runner.scripts()[0]).toContain("Remove-ItemProperty -LiteralPath 'HKLM:\\SYSTEM\\CurrentControlSet\\Services\\SpsEngine' -Name 'Environment'");
  });

  it('sets password-less built-in accounts with obj= and leaves others to setAccount', () => {
    const base = { name: 'S', displayName: 'S', command: 'C:\\s.exe', args: [] };
    expect(buildScArgs('create', { ...base, account: 'NT AUTHORITY\\NetworkService' })).toContain('obj=');
    expect(buildScArgs('create', { ...base, account: 'CORP\\qservice' })).not.toContain('obj=');
  });

  it.each([
    [{ name: 'bad name' }, 'not a valid Windows service name'],
    [{ name: 'a/b' }, 'not a valid Windows service name'],
    [{ dependsOn: ['ok', 'x\\y'] }, 'not a valid Windows service name'],
    [{ displayName: 'line\nbreak' }, 'control characters'],
    [{ env: { 'A=B': 'x' } }, 'environment variable'],
  ])('rejects %j before running anything', async (patch, message) => {
    const runner = new RecordingRunner();
    await expect(new WindowsServiceManager(runner).install({ ...repository, ...patch })).rejects.toThrow(message);
    expect(runner.calls).toEqual([]);
  });
});

describe('WindowsServiceManager.setAccount', () => {
  it.each(nastyPasswords)('sends the password %j on stdin exactly once and never in argv', async (password) => {
    const runner = new RecordingRunner((c) => (c.script?.includes('secedit') ? { stdout: 'granted\r\n' } : { stdout: 'changed\r\n' }));
    await new WindowsServiceManager(runner).setAccount('QlikSenseRepositoryService', "CORP\\q'service", password);
    expectNotInArgv(runner.calls, password);
    const all = runner.calls.map((c) => c.input).join('');
    expect(countOccurrences(all, password)).toBe(1);
    const change = runner.calls[1]!;
    expect(change.input).toBe(`${password}\n`);
    expect(change.options.secrets).toEqual([password]);
    expect(runner.calls[0]!.input).toBe('');
  });

  it('grants "Log on as a service" first, then changes the account through Win32_Service.Change (golden scripts)', async () => {
    const runner = new RecordingRunner((c) => ({ stdout: c.script?.includes('secedit') ? 'unchanged' : 'changed' }));
    await new WindowsServiceManager(runner).setAccount('QlikSenseRepositoryService', "CORP\\q'service", nastyPasswords[0]);
    const [rights, change] = runner.scripts();
    await expect(rights).toMatchFileSnapshot(golden('logon-right.ps1'));
    await expect(change).toMatchFileSnapshot(golden('scm-set-account.ps1'));
  });

  it('skips the right for built-in accounts and reads no stdin without a password', async () => {
    const runner = new RecordingRunner(() => ({ stdout: 'changed' }));
    await new WindowsServiceManager(runner).setAccount('Svc', 'NT AUTHORITY\\LocalService');
    expect(runner.calls).toHaveLength(1);
    expect(runner.calls[0]!.input).toBe('');
    expect(runner.calls[0]!.script).not.toContain('OpenStandardInput');
    expect(runner.calls[0]!.script).toContain("StartName = 'NT AUTHORITY\\LocalService'; StartPassword = $password");
  });

  it('explains a rejected account without echoing the password', async () => {
    const password = nastyPasswords[1]!;
    const runner = new RecordingRunner((c) =>
      c.script?.includes('secedit') ? { stdout: 'granted' } : { code: 4, stderr: 'Win32_Service.Change returned 22' },
    );
    const err = await new WindowsServiceManager(runner).setAccount('Svc', 'CORP\\nobody', password).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe('Could not set the account of Svc to CORP\\nobody: the account does not exist or lacks the permissions.');
    expect(JSON.stringify(err)).not.toContain(password);
  });

  it('refuses a password with a line break (ReadLine would cut it) before running anything', async () => {
    const runner = new RecordingRunner();
    await expect(new WindowsServiceManager(runner).setAccount('Svc', 'CORP\\q', 'a\nb')).rejects.toThrow('line break');
    expect(runner.calls).toEqual([]);
  });
});

describe('WindowsServiceManager start, stop, status, remove', () => {
  it('starts and polls sc.exe query until RUNNING', async () => {
    const states = [[2, 'START_PENDING'], [2, 'START_PENDING'], [4, 'RUNNING']] as const;
    let i = 0;
    const runner = new RecordingRunner((c) => {
      if (c.args[0] !== 'query') return undefined;
      const [code, word] = states[Math.min(i++, states.length - 1)]!;
      return { stdout: queryOutput(c.args[1]!, code, word) };
    });
    await new WindowsServiceManager(runner, { ...fakeClock() }).start('QlikSenseServiceDispatcher');
    expect(scCalls(runner.calls)).toEqual([
      ['start', 'QlikSenseServiceDispatcher'],
      ['query', 'QlikSenseServiceDispatcher'],
      ['query', 'QlikSenseServiceDispatcher'],
      ['query', 'QlikSenseServiceDispatcher'],
    ]);
  });

  it('treats "already running" (1056) as started', async () => {
    const runner = new RecordingRunner((c) => (c.args[0] === 'start' ? { code: 1056 } : { stdout: queryOutput('S', 4, 'RUNNING') }));
    await expect(new WindowsServiceManager(runner).start('S')).resolves.toBeUndefined();
  });

  it('fails with the exit code when the service stops while starting', async () => {
    const runner = new RecordingRunner((c) => (c.args[0] === 'query' ? { stdout: queryOutput('S', 1, 'STOPPED', 1066, 3) } : undefined));
    await expect(new WindowsServiceManager(runner, { ...fakeClock() }).start('S')).rejects.toThrow('S stopped while starting (exit code 3).');
  });

  it('gives up after the timeout with the state it is stuck in', async () => {
    const runner = new RecordingRunner((c) => (c.args[0] === 'query' ? { stdout: queryOutput('S', 2, 'START_PENDING') } : undefined));
    const err = await new WindowsServiceManager(runner, { ...fakeClock(), timeoutMs: 5_000, pollMs: 1_000 }).start('S').catch((e: unknown) => e);
    expect((err as UserError).code).toBe('timeout');
    expect((err as UserError).message).toBe('S did not become running within 5 s (it is starting).');
    expect(scCalls(runner.calls).filter((a) => a[0] === 'query')).toHaveLength(6);
  });

  it('reports a missing service as not-found on start, and as fine on stop and remove', async () => {
    const runner = new RecordingRunner(() => notInstalled);
    const scm = new WindowsServiceManager(runner);
    await expect(scm.start('Gone')).rejects.toMatchObject({ code: 'not-found' });
    await expect(scm.stop('Gone')).resolves.toBeUndefined();
    await expect(scm.remove('Gone')).resolves.toBeUndefined();
    await expect(scm.status('Gone')).resolves.toBe('missing');
    await expect(scm.installed('Gone')).resolves.toBeUndefined();
    expect(scCalls(runner.calls).map((a) => a[0])).toEqual(['start', 'stop', 'query', 'query', 'qc']);
  });

  it('stops a running service before deleting it', async () => {
    let stopped = false;
    const runner = new RecordingRunner((c) => {
      if (c.args[0] === 'stop') stopped = true;
      if (c.args[0] === 'query') return { stdout: stopped ? queryOutput('S', 1, 'STOPPED') : queryOutput('S', 4, 'RUNNING') };
      return undefined;
    });
    await new WindowsServiceManager(runner, { ...fakeClock() }).remove('S');
    expect(scCalls(runner.calls)).toEqual([['query', 'S'], ['stop', 'S'], ['query', 'S'], ['delete', 'S']]);
  });

  it('turns another sc.exe failure into a UserError with its message', async () => {
    const runner = new RecordingRunner(() => ({ code: 5, stdout: '[SC] OpenService FAILED 5:\r\n\r\nAccess is denied.\r\n' }));
    await expect(new WindowsServiceManager(runner).status('S')).rejects.toThrow('sc.exe query S failed with error 5: [SC] OpenService FAILED 5: Access is denied.');
  });
});

describe('WindowsServiceManager.waitReady', () => {
  it('waits for the log line while the service runs', async () => {
    let reads = 0;
    const runner = new RecordingRunner(() => ({ stdout: queryOutput('QRS', 4, 'RUNNING') }));
    const scm = new WindowsServiceManager(runner, {
      ...fakeClock(),
      readText: async () => (++reads < 3 ? 'starting\n' : 'starting\nRepository service started\n'),
    });
    await scm.waitReady('QRS', { logLine: /service started/g, timeoutMs: 60_000 }, 'C:\\log.txt');
    expect(reads).toBe(3);
  });

  it('waits for a port and times out with the log file named', async () => {
    const runner = new RecordingRunner(() => ({ stdout: queryOutput('QRS', 4, 'RUNNING') }));
    const ports: number[] = [];
    const scm = new WindowsServiceManager(runner, { ...fakeClock(), pollMs: 1_000, canConnect: async (p) => (ports.push(p), false) });
    await scm.install({ ...repository, name: 'QRS' }).catch(() => undefined);
    const err = await scm.waitReady('QRS', { port: 4242, timeoutMs: 3_000 }, 'C:\\qrs.log').catch((e: unknown) => e);
    expect((err as UserError).code).toBe('timeout');
    expect((err as UserError).fix).toBe('Read C:\\qrs.log to see what the service is waiting for.');
    expect(ports).toEqual([4242, 4242, 4242, 4242]);
  });

  it('fails at once when the service stops instead of waiting out the timeout', async () => {
    const runner = new RecordingRunner(() => ({ stdout: queryOutput('QRS', 1, 'STOPPED', 1067) }));
    const clock = fakeClock();
    await expect(new WindowsServiceManager(runner, clock).waitReady('QRS', { port: 1, timeoutMs: 60_000 })).rejects.toThrow(
      'QRS stopped while starting (exit code 1067).',
    );
    expect(clock.now()).toBe(0);
  });
});

describe('sc.exe output', () => {
  const qc = [
    '[SC] QueryServiceConfig SUCCESS',
    '',
    'SERVICE_NAME: QlikSenseRepositoryService',
    '        TYPE               : 10  WIN32_OWN_PROCESS',
    '        START_TYPE         : 2   AUTO_START',
    '        ERROR_CONTROL      : 1   NORMAL',
    '        BINARY_PATH_NAME   : "C:\\Program Files\\Qlik\\Sense\\Repository\\Repository.exe" -service --config "C:\\ProgramData\\Qlik\\Sense\\it is\\\\"',
    '        LOAD_ORDER_GROUP   :',
    '        TAG                : 0',
    "        DISPLAY_NAME       : Qlik Sense Repository Service (O'Brien's site)",
    '        DEPENDENCIES       : QlikSenseRepositoryDatabase',
    '                           : QlikSenseServiceDispatcher',
    '        SERVICE_START_NAME : .\\qservice',
  ].join('\r\n');

  it('parses sc.exe qc, continuation lines included, and matches render() of the same definition', async () => {
    expect(parseScQc(qc)).toEqual({
      startType: 'auto',
      binaryPath: '"C:\\Program Files\\Qlik\\Sense\\Repository\\Repository.exe" -service --config "C:\\ProgramData\\Qlik\\Sense\\it is\\\\"',
      displayName: "Qlik Sense Repository Service (O'Brien's site)",
      dependencies: ['QlikSenseRepositoryDatabase', 'QlikSenseServiceDispatcher'],
      account: '.\\qservice',
    });
    const scm = new WindowsServiceManager(new RecordingRunner(() => ({ stdout: qc })));
    expect(await scm.installed('QlikSenseRepositoryService')).toBe(scm.render(repository));
    expect(describeServiceDefinition({ ...repository, autoStart: false })).not.toBe(await scm.installed('QlikSenseRepositoryService'));
    expect(parseScQc(qc.replace('AUTO_START', 'AUTO_START  (DELAYED)')).startType).toBe('delayed-auto');
  });

  it('maps STATE codes to states', () => {
    expect(parseScQuery(queryOutput('S', 4, 'RUNNING')).state).toBe('running');
    expect(parseScQuery(queryOutput('S', 1, 'STOPPED')).state).toBe('stopped');
    expect(parseScQuery(queryOutput('S', 2, 'START_PENDING')).state).toBe('starting');
    expect(parseScQuery(queryOutput('S', 3, 'STOP_PENDING')).state).toBe('unknown');
    expect(parseScQuery('garbage').state).toBe('unknown');
  });
});
