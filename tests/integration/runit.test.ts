import { access, readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../electron/shared/errors.js';
import { NodeNetwork } from '../../electron/system/node-network.js';
import { PosixFiles } from '../../electron/system/posix-files.js';
import { PosixProcesses } from '../../electron/system/posix-processes.js';
import { findRunsv, findRunsvdir } from '../../electron/system/services/proc-scan.js';
import { RunitServiceManager } from '../../electron/system/services/runit.js';
import type { ServiceDefinition } from '../../electron/system/types.js';
import { alive, startTestSupervisor, stopSupervisor, type TestSupervisor } from '../support/runit.js';
import { createTempDir, createTempUser, type TempUser } from '../support/temp.js';

const processes = new PosixProcesses();
const files = new PosixFiles(processes);
let sup: TestSupervisor;
let user: TempUser;
let manager: RunitServiceManager;

beforeAll(async () => {
  sup = await startTestSupervisor();
  user = await createTempUser();
  manager = new RunitServiceManager({ processes, files, serviceDir: sup.serviceDir, definitionsDir: sup.definitionsDir });
});
afterAll(async () => {
  await sup?.cleanup();
  await user?.cleanup();
});

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);
const servicePid = async (name: string): Promise<number> => Number((await readFile(join(sup.definitionsDir, name, 'supervise', 'pid'), 'utf8')).trim());

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('RunitServiceManager', () => {
  it('installs, starts as the account with awkward arguments and environment, restarts a crash, stops and removes', async () => {
    const logFile = join(sup.root, 'logs', 'echo.log');
    const def: ServiceDefinition = {
      name: 'sp-echo',
      displayName: 'Echo $service `x`',
      command: '/bin/sh',
      args: ['-c', 'printf "ready as %s in %s; " "$(id -un)" "$PWD"; printf "[%s]" "$@" "$GREETING"; echo; exec sleep 1000', 'sh', "it's", '$HOME', '`id`', 'a  b', '"q"'],
      cwd: sup.root,
      env: { GREETING: "hello 'you' $USER" },
      account: user.name,
      logFile,
    };
    await manager.install(def);
    expect(await manager.status('sp-echo')).toBe('stopped');
    expect(await manager.installed('sp-echo')).toBe(manager.render(def));

    await manager.start('sp-echo');
    await manager.waitReady('sp-echo', { logLine: /^ready as /, timeoutMs: 10_000 });
    expect(await manager.status('sp-echo')).toBe('running');
    expect(await readFile(logFile, 'utf8')).toBe(`ready as ${user.name} in ${sup.root}; [it's][$HOME][\`id\`][a  b]["q"][hello 'you' $USER]\n`);

    // A crash (SIGKILL of the service) is restarted by runsv.
    const first = await servicePid('sp-echo');
    process.kill(first, 'SIGKILL');
    const second = await until('a restarted service', async () => {
      const pid = await servicePid('sp-echo').catch(() => 0);
      return pid !== 0 && pid !== first && (await manager.status('sp-echo')) === 'running' ? pid : undefined;
    });
    expect(alive(second)).toBe(true);

    await manager.stop('sp-echo');
    expect(await manager.status('sp-echo')).toBe('stopped');
    expect(alive(second)).toBe(false);

    await manager.remove('sp-echo');
    expect(await manager.status('sp-echo')).toBe('missing');
    expect(await manager.installed('sp-echo')).toBeUndefined();
    expect(await exists(join(sup.definitionsDir, 'sp-echo'))).toBe(false);
    expect(await findRunsv(join(sup.definitionsDir))).toEqual([]);
  });

  it('keeps a service with autoStart false down, shows a changed definition, and changes the account', async () => {
    const def: ServiceDefinition = { name: 'sp-manual', displayName: 'Manual', command: '/bin/sleep', args: ['1000'], autoStart: false, env: { A: '1' } };
    await manager.install(def);
    expect(await exists(join(sup.definitionsDir, 'sp-manual', 'down'))).toBe(true);
    expect(await manager.status('sp-manual')).toBe('stopped');
    expect(await manager.installed('sp-manual')).toBe(manager.render(def));
    expect(manager.render({ ...def, env: { A: '2' } })).not.toBe(await manager.installed('sp-manual'));

    await manager.setAccount('sp-manual', user.name);
    expect(await manager.installed('sp-manual')).toBe(manager.render({ ...def, account: user.name }));
    await manager.install(def);
    expect(await manager.installed('sp-manual')).toBe(manager.render(def));
    await manager.remove('sp-manual');
    expect(await manager.status('sp-manual')).toBe('missing');
  });

  it('waits only for lines written after the start, and times out with the last log lines', async () => {
    const logFile = join(sup.root, 'logs', 'slow.log');
    await mkdir(join(sup.root, 'logs'), { recursive: true });
    await writeFile(logFile, 'READY from an earlier run\n');
    await manager.install({ name: 'sp-slow', displayName: 'Slow', command: '/bin/sh', args: ['-c', 'echo starting up; echo still loading; exec sleep 1000'], logFile });
    await manager.start('sp-slow');
    const started = Date.now();
    const err = await manager.waitReady('sp-slow', { logLine: /READY/, timeoutMs: 1500 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe('service');
    expect((err as UserError).message).toContain('Service sp-slow was not ready within 2 s');
    expect((err as UserError).message).toContain('starting up\nstill loading');
    expect((err as UserError).message).not.toContain('earlier run');
    await manager.remove('sp-slow');
  });

  it('waits for a port', async () => {
    const port = await new Promise<number>((resolve) => {
      // Reserve-and-release to get a free port number for the service.
      void import('node:net').then(({ createServer }) => {
        const s = createServer();
        s.listen(0, '127.0.0.1', () => {
          const a = s.address();
          s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
        });
      });
    });
    const script = `setTimeout(() => require('net').createServer().listen(${port}, '127.0.0.1'), 300)`;
    await manager.install({ name: 'sp-port', displayName: 'Port', command: process.execPath, args: ['-e', script] });
    await manager.start('sp-port');
    await manager.waitReady('sp-port', { port, timeoutMs: 10_000 });
    expect(await new NodeNetwork().canConnect('127.0.0.1', port, 1000)).toBe(true);
    await manager.remove('sp-port');
    expect(await new NodeNetwork().canConnect('127.0.0.1', port, 1000)).toBe(false);
  });

  it('refuses a bad definition and creates nothing', async () => {
    const before = [await readdir(sup.serviceDir), await readdir(sup.definitionsDir)];
    await expect(manager.install({ name: '../evil', displayName: 'x', command: '/bin/true', args: [] })).rejects.toMatchObject({ code: 'invalid-input' });
    await expect(manager.install({ name: 'sp-bad', displayName: 'x', command: '/bin/true', args: [], env: { A: 'trailing ' } })).rejects.toMatchObject({ code: 'invalid-input' });
    expect([await readdir(sup.serviceDir), await readdir(sup.definitionsDir)]).toEqual(before);
    await expect(manager.start('sp-absent')).rejects.toMatchObject({ code: 'not-found' });
  });
});

describe('ensureSupervisor', () => {
  it('starts a runsvdir when none supervises the directory, and reuses it afterwards', async () => {
    const temp = await createTempDir('spsetup-ensure-', true);
    const dir = join(temp.path, 'service');
    let pid = 0;
    try {
      const own = new RunitServiceManager({ processes, files, serviceDir: dir, definitionsDir: join(temp.path, 'sv') });
      const first = await own.ensureSupervisor();
      pid = first.pid;
      expect(first.started).toBe(true);
      expect(first.message).toContain(`started runsvdir (pid ${pid})`);
      expect(await findRunsvdir(dir)).toBe(pid);
      expect((await readFile(join(dir, '.spsetup-runsvdir.pid'), 'utf8')).trim()).toBe(String(pid));
      const second = await own.ensureSupervisor();
      expect(second).toMatchObject({ started: false, pid });
      // The supervisor it started really runs services.
      await own.install({ name: 'sp-tiny', displayName: 'Tiny', command: '/bin/sleep', args: ['1000'] });
      await own.start('sp-tiny');
      expect(await own.status('sp-tiny')).toBe('running');
    } finally {
      if (pid) await stopSupervisor(pid, temp.path);
      await temp.cleanup();
    }
    expect(await findRunsvdir(dir)).toBeUndefined();
  });
});
