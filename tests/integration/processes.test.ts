import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../electron/shared/errors.js';
import { PosixProcesses } from '../../electron/system/posix-processes.js';
import { createTempDir, createTempUser, type TempDir, type TempUser } from '../support/temp.js';

const processes = new PosixProcesses();
let temp: TempDir;
let user: TempUser;

beforeAll(async () => {
  temp = await createTempDir('spsetup-proc-', true);
  user = await createTempUser();
});
afterAll(async () => {
  await temp?.cleanup();
  await user?.cleanup();
});

/** Whether a process still runs (a zombie waiting for its reaper does not). */
const alive = async (pid: number): Promise<boolean> => {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

describe('PosixProcesses.run', () => {
  it('passes arguments verbatim (no shell) and captures stdout', async () => {
    const res = await processes.run('printf', ['%s|', 'a b', '$HOME', '`id`', "it's"]);
    expect(res).toEqual({ code: 0, stdout: "a b|$HOME|`id`|it's|", stderr: '' });
  });

  it('feeds stdin and masks secrets in the captured output', async () => {
    const res = await processes.run('cat', [], { input: 'password=hunter2\n', secrets: ['hunter2'] });
    expect(res.stdout).toBe('password=***\n');
  });

  it('turns a non-zero exit into a process-failed error with the exit code and the masked stderr tail', async () => {
    const err = await processes
      .run('sh', ['-c', 'echo "login failed for s3cret" >&2; exit 7'], { secrets: ['s3cret'] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    const e = err as UserError;
    expect(e.code).toBe('process-failed');
    expect(e.message).toBe('sh failed with exit code 7: login failed for ***');
    expect(JSON.stringify(e.details)).not.toContain('s3cret');
  });

  it('returns a non-zero exit with allowFailure', async () => {
    expect((await processes.run('false', [], { allowFailure: true })).code).toBe(1);
  });

  it('kills the child and its children on timeout, naming the command but not its arguments', async () => {
    const pidFile = join(temp.path, 'grandchild.pid');
    const started = Date.now();
    const err = await processes
      .run('sh', ['-c', `sleep 30 & echo $! > ${pidFile}; wait`, 'token-abc'], { timeoutMs: 500 })
      .catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe('timeout');
    expect((err as UserError).message).toBe('sh did not finish within 1 s and was stopped.');
    expect((err as UserError).message).not.toContain('token-abc');
    const grandchild = Number(await readFile(pidFile, 'utf8'));
    await new Promise((r) => setTimeout(r, 100));
    expect(await alive(grandchild)).toBe(false);
  });

  it('runs as another account through runuser, with its environment untouched by the caller', async () => {
    const res = await processes.run('id', ['-un'], { user: user.name });
    expect(res.stdout.trim()).toBe(user.name);
    const env = await processes.run('printenv', ['SPSETUP_TEST'], { user: user.name, env: { SPSETUP_TEST: 'x y' } });
    expect(env.stdout).toBe('x y\n');
  });

  it('returns soon after the child exits even when a process it left running holds its output', async () => {
    const seconds = `29.${process.pid % 1000}`; // a duration no other process uses, to find it again
    const started = Date.now();
    try {
      // The background sleep inherits stdout, as a server started by pg_ctl does.
      const r = await processes.run('/bin/sh', ['-c', `sleep ${seconds} & echo started`], { timeoutMs: 20_000 });
      expect(r.stdout).toBe('started\n');
      expect(Date.now() - started).toBeLessThan(10_000);
      expect((await processes.run('pgrep', ['-f', `sleep ${seconds}`], { allowFailure: true })).code).toBe(0); // the holder still runs
    } finally {
      await processes.run('pkill', ['-f', `sleep ${seconds}`], { allowFailure: true });
    }
  });

  it('reports a missing program as not-found', async () => {
    await expect(processes.run('spsetup-no-such-program', [])).rejects.toMatchObject({ code: 'not-found' });
  });

  it('uses the working directory given', async () => {
    expect((await processes.run('pwd', [], { cwd: temp.path })).stdout.trim()).toBe(temp.path);
  });
});

describe('PosixProcesses accounts', () => {
  it('is elevated as root', () => {
    expect(processes.isElevated()).toBe(process.getuid?.() === 0);
  });

  it('looks up an existing account and returns undefined for a missing one', async () => {
    expect(await processes.lookupUser('root')).toEqual({ uid: 0, gid: 0, home: '/root' });
    const created = await processes.lookupUser(user.name);
    expect(created?.uid).toBeGreaterThan(0);
    expect(await processes.lookupUser('no-such-user-spsetup')).toBeUndefined();
    expect(await processes.lookupUser('--help')).toBeUndefined();
  });
});
