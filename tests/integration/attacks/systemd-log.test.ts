/**
 * Attack 3 of issue 11 for systemd: `StandardOutput=append:<log>` is opened by PID 1, as root,
 * in the service account's folder, so a link the account puts there makes root create or fill a
 * file of its choice. The generated unit now has the service open its own log after systemd
 * dropped to User=. systemd is not PID 1 here: the unit is checked with `systemd-analyze verify`,
 * and its ExecStart is run the way systemd runs it (as User=, from an empty environment).
 */
import { execFile } from 'node:child_process';
import { chown, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PosixProcesses } from '../../../electron/system/posix-processes.js';
import { SystemdServiceManager } from '../../../electron/system/services/systemd.js';
import type { ExecOptions, ExecResult, Processes, ServiceDefinition } from '../../../electron/system/types.js';
import { runAs } from '../../support/attacker.js';
import { createTempDir, createTempUser, type TempDir, type TempUser } from '../../support/temp.js';

const run = promisify(execFile);
const real = new PosixProcesses();
/** The real machine, except systemctl (no systemd here), which answers as if it worked. */
const processes: Processes = {
  run: (file: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult> => (file === 'systemctl' ? Promise.resolve({ code: 0, stdout: '', stderr: '' }) : real.run(file, args, options)),
  isElevated: () => real.isElevated(),
  lookupUser: (name: string) => real.lookupUser(name),
  lookupUserName: (uid: number) => real.lookupUserName(uid),
};

/** systemd's splitting of an ExecStart line into words: double quotes, C escapes, then $$ and %% unescaped. */
function execWords(unit: string): string[] {
  const line = /^ExecStart=(.*)$/m.exec(unit)?.[1] ?? '';
  const words = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1'));
  return words.map((w) => w.replace(/\$\$/g, '$').replace(/%%/g, '%'));
}

let user: TempUser;
let tmp: TempDir;
let logFile: string;
let victim: string;
let unitDir: string;
let manager: SystemdServiceManager;
let def: ServiceDefinition;

beforeAll(async () => {
  user = await createTempUser('spsd-');
  tmp = await createTempDir('spsetup-systemd-', true);
  const owner = (await real.lookupUser(user.name))!;
  const data = join(tmp.path, 'data');
  await mkdir(data, { mode: 0o750 });
  await chown(data, owner.uid, owner.gid);
  logFile = join(data, 'Log', 'Services', 'repository.log');
  // Root's 0700 state folder, with a file the account must never get root to fill.
  await mkdir(join(tmp.path, 'state'), { mode: 0o700 });
  victim = join(tmp.path, 'state', 'journal.jsonl');
  await writeFile(victim, 'root only\n', { mode: 0o600 });
  unitDir = join(tmp.path, 'units');
  await mkdir(unitDir);
  manager = new SystemdServiceManager({ processes, unitDir });
  def = { name: 'spsd-repository', displayName: 'Repository', command: '/bin/sh', args: ['-c', 'echo "started as $(id -un) $0"', '50%'], account: user.name, logFile };
});
afterAll(async () => {
  await tmp?.cleanup();
  await user?.cleanup();
});

/** ExecStart as systemd runs it for User=: as the account, from an empty environment. */
const startAsSystemd = async () => {
  const words = execWords((await manager.installed(def.name))!);
  return run('runuser', ['-u', user.name, '--', 'env', '-i', 'PATH=/usr/bin:/bin', ...words], { timeout: 20_000 }).then(() => 'ok', (e: { stderr?: string }) => e.stderr ?? 'failed');
};

describe('attack 3 on systemd: the console log is never opened by PID 1 in the account\'s folder', () => {
  it('writes a unit that systemd accepts, without StandardOutput=append:, with the log made for the account', async () => {
    await manager.install(def);
    const unit = (await manager.installed(def.name))!;
    expect(unit).not.toMatch(/^Standard(Output|Error)=/m);
    expect(unit).toContain(`User=${user.name}\n`);
    await run('systemd-analyze', ['verify', join(unitDir, `${def.name}.service`)], { timeout: 30_000 });
    const log = await stat(logFile);
    expect({ uid: log.uid, mode: log.mode & 0o777 }).toEqual({ uid: (await real.lookupUser(user.name))!.uid, mode: 0o640 });
    expect(await startAsSystemd()).toBe('ok');
    expect(await readFile(logFile, 'utf8')).toBe(`started as ${user.name} 50%\n`);
  });

  it('a link the account swaps in for the log reaches nothing, and a reinstall refuses it', async () => {
    // The data folder is the account's: it moves Log away and builds its own, with the link in it.
    await runAs(user.name, 'cd "$1" && mv Log Log.old && mkdir -p Log/Services && ln -s "$2" Log/Services/repository.log', [join(tmp.path, 'data'), victim]);
    expect(await startAsSystemd()).toMatch(/Permission denied/);
    await expect(manager.install(def)).rejects.toMatchObject({ code: 'conflict' });
    expect(await readFile(victim, 'utf8')).toBe('root only\n');
    expect((await stat(victim)).mode & 0o777).toBe(0o600);
  });
});
