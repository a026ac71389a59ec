/**
 * Attacks 3 and 5 of issue 11, on runit for real: a service's console log lies in the service
 * account's data folder (root used to open it there, following the account's links), and the
 * supervisor spsetup starts used to hand the installer's whole environment to every service.
 */
import { chown, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../../electron/shared/errors.js';
import { PosixFiles } from '../../../electron/system/posix-files.js';
import { PosixProcesses } from '../../../electron/system/posix-processes.js';
import { RunitServiceManager } from '../../../electron/system/services/runit.js';
import type { ServiceDefinition } from '../../../electron/system/types.js';
import { runAs } from '../../support/attacker.js';
import { startTestSupervisor, stopSupervisor, type TestSupervisor } from '../../support/runit.js';
import { takeSnapshot } from '../../support/snapshot.js';
import { createTempDir, createTempUser, type TempDir, type TempUser } from '../../support/temp.js';

const processes = new PosixProcesses();
const files = new PosixFiles(processes);
let user: TempUser;
let tmp: TempDir;
/** Root's 0700 state folder: where the account must never get root to create or fill a file. */
let state: string;
/** The account's data folder, holding the console logs. */
let data: string;

beforeAll(async () => {
  user = await createTempUser('spatk-');
});
afterAll(async () => {
  await user?.cleanup();
});
beforeEach(async () => {
  tmp = await createTempDir('spsetup-attack-', true);
  state = join(tmp.path, 'state');
  await mkdir(state, { mode: 0o700 });
  data = join(tmp.path, 'data');
  await mkdir(data, { mode: 0o750 });
  const owner = await processes.lookupUser(user.name);
  await chown(data, owner!.uid, owner!.gid);
});
afterEach(async () => {
  await tmp?.cleanup();
});

const stateFiles = async () => (await takeSnapshot({ roots: [state] })).files;

describe('attack 3: the console log in the account\'s folder', () => {
  let sup: TestSupervisor;
  let manager: RunitServiceManager;
  beforeEach(async () => {
    sup = await startTestSupervisor();
    manager = new RunitServiceManager({ processes, files, serviceDir: sup.serviceDir, definitionsDir: sup.definitionsDir });
  });
  afterEach(async () => {
    await sup?.cleanup();
  });

  const service = (logFile: string): ServiceDefinition => ({
    name: 'sp-victim',
    displayName: 'Victim',
    command: '/bin/sh',
    args: ['-c', 'echo service started; exec sleep 1000'],
    account: user.name,
    logFile,
  });

  it('refuses a log the account planted as a link into root\'s state folder, creating nothing there', async () => {
    const logFile = join(data, 'Log', 'Services', 'sp-victim.log');
    await runAs(user.name, 'mkdir -p "$(dirname "$1")" && ln -s "$2" "$1"', [logFile, join(state, 'planted')]);
    const before = await stateFiles();
    const err = await manager.install(service(logFile)).then(
      () => undefined,
      (e: unknown) => e,
    );
    // The old installer went on, and its run script (root) created and filled state/planted.
    if (err === undefined) {
      await manager.start('sp-victim');
      await manager.waitReady('sp-victim', { logLine: /service started/, timeoutMs: 10_000 }).catch(() => undefined);
    }
    expect(await stateFiles()).toEqual(before);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe('conflict');
    expect((err as UserError).message).toContain(`${logFile} is a symbolic link`);
  });

  it('opens the log as the account: a link swapped in after the install reaches nothing the account cannot write', async () => {
    const logFile = join(data, 'Log', 'Services', 'sp-victim.log');
    await manager.install(service(logFile));
    // Log/Services is root's now, but Log is in the account's folder: it swaps the whole branch.
    await runAs(user.name, 'mv "$1/Log" "$1/Log.old" && mkdir -p "$1/Log/Services" && ln -s "$2" "$1/Log/Services/sp-victim.log"', [data, join(state, 'planted')]);
    const before = await stateFiles();
    // The service cannot open the link's target as the account, so it never comes up.
    const started = await manager.start('sp-victim').then(
      () => manager.waitReady('sp-victim', { logLine: /service started/, timeoutMs: 4_000 }).then(() => 'ready'),
    ).catch((e: unknown) => (e instanceof UserError ? e.code : String(e)));
    expect(await stateFiles()).toEqual(before);
    expect(started).toBe('service');
  });

  it('still logs a service that runs as the account, in a log the account owns', async () => {
    const logFile = join(data, 'Log', 'Services', 'sp-victim.log');
    await manager.install(service(logFile));
    await manager.start('sp-victim');
    await manager.waitReady('sp-victim', { logLine: /service started/, timeoutMs: 10_000 });
    expect(await readFile(logFile, 'utf8')).toBe('service started\n');
    expect((await stat(logFile)).uid).toBe((await processes.lookupUser(user.name))!.uid);
    expect(await readdir(state)).toEqual([]);
  });
});

describe('attack 5: the installer\'s environment reaching the services', () => {
  it('starts runsvdir and the services with a minimal environment, without the installer\'s secrets', async () => {
    const dir = join(tmp.path, 'service');
    const secret = `s3cret-${Math.random().toString(36).slice(2)}`;
    process.env['SPSETUP_TEST_DB_PASSWORD'] = secret;
    let pid = 0;
    try {
      const own = new RunitServiceManager({ processes, files, serviceDir: dir, definitionsDir: join(tmp.path, 'sv') });
      pid = (await own.ensureSupervisor()).pid;
      const logFile = join(data, 'env.log');
      await own.install({ name: 'sp-env', displayName: 'Env', command: '/bin/sh', args: ['-c', 'env | sort; echo env listed; exec sleep 1000'], account: user.name, logFile });
      await own.start('sp-env');
      await own.waitReady('sp-env', { logLine: /env listed/, timeoutMs: 10_000 });
      const env = await readFile(logFile, 'utf8');
      expect(env).not.toContain(secret);
      expect(env).not.toContain('SPSETUP_TEST_DB_PASSWORD');
      const names = env.split('\n').filter((l) => l.includes('=')).map((l) => l.split('=')[0]);
      expect(names).toEqual(expect.arrayContaining(['HOME', 'LANG', 'PATH']));
      // The supervisor itself (read as root) holds no secret either: every runsv inherits it.
      expect(await readFile(`/proc/${pid}/environ`, 'utf8')).not.toContain(secret);
    } finally {
      delete process.env['SPSETUP_TEST_DB_PASSWORD'];
      if (pid) await stopSupervisor(pid, tmp.path);
    }
  });
});
