/**
 * Attack 5 of issue 11, for the children spsetup starts as another account through runuser
 * (initdb, pg_ctl, the bootstrap commands, the write probe): runuser without -l hands on the
 * caller's whole environment, so an `{ "env": NAME }` secret in the installer's environment was
 * readable by the account in /proc/<pid>/environ. The account reads its child's environ here.
 */
import { readdir, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PosixProcesses } from '../../../electron/system/posix-processes.js';
import { SERVICE_PATH } from '../../../electron/system/services/runit-script.js';
import { runAs } from '../../support/attacker.js';
import { createTempUser, type TempUser } from '../../support/temp.js';

const processes = new PosixProcesses();
const SECRET = 'installer-secret-7f3a';
let user: TempUser;
let uid: number;
let home: string;

beforeAll(async () => {
  user = await createTempUser('spenv-');
  ({ uid, home } = (await processes.lookupUser(user.name))!);
  process.env['SPSETUP_TEST_DB_PASSWORD'] = SECRET;
});
afterAll(async () => {
  delete process.env['SPSETUP_TEST_DB_PASSWORD'];
  await user?.cleanup();
});

/** The pid of the account's `sleep` once it runs (polled, bounded). */
async function findSleeper(): Promise<number> {
  for (let i = 0; i < 500; i++) {
    for (const name of await readdir('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const status = await readFile(`/proc/${name}/status`, 'utf8').catch(() => '');
      const cmd = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
      if (new RegExp(`^Uid:\\s+${uid}\\s`, 'm').test(status) && cmd.startsWith('sleep\0')) return Number(name);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the child never started');
}

/** Starts `run` (a sleep as the account), reads the child's environment as the account, stops it. */
async function environOfChild(run: () => Promise<unknown>): Promise<Record<string, string>> {
  const done = run();
  const pid = await findSleeper();
  try {
    const raw = await runAs(user.name, 'cat "/proc/$1/environ"', [String(pid)]);
    return Object.fromEntries(raw.split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  } finally {
    process.kill(pid, 'SIGKILL');
    await done;
  }
}

describe('attack 5: children started with runuser get the account\'s minimal environment', () => {
  it('run(…, { user }): PATH, LANG, HOME, USER, LOGNAME and the explicit values only', async () => {
    const env = await environOfChild(() => processes.run('sleep', ['30'], { user: user.name, env: { PGCONNECT_TIMEOUT: '5' }, allowFailure: true }));
    expect(Object.values(env)).not.toContain(SECRET);
    expect(env).toEqual({ PATH: SERVICE_PATH, LANG: 'C.UTF-8', HOME: home, USER: user.name, LOGNAME: user.name, PGCONNECT_TIMEOUT: '5' });
  });

  it('a runuser command line (db prepare\'s pg_ctl restart): the same minimal environment', async () => {
    const env = await environOfChild(() => processes.run('runuser', ['-u', user.name, '--', 'sleep', '30'], { allowFailure: true }));
    expect(Object.values(env)).not.toContain(SECRET);
    expect(Object.keys(env).sort()).toEqual(['HOME', 'LANG', 'LOGNAME', 'PATH', 'USER']);
  });
});
