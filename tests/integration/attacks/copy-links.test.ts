/**
 * Attacks 1 and 2 of issue 11: root copies content between folders that the service account owns
 * (its data folder, the share). The account plants links, or swaps a file or folder for a link
 * while the copy runs, to make root write into a folder of its choosing or read a root-only file.
 */
import { chmod, chown, lstat, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../../electron/shared/errors.js';
import { copyTree } from '../../../electron/system/copy/index.js';
import { raceAs, runAs } from '../../support/attacker.js';
import { takeSnapshot } from '../../support/snapshot.js';
import { createTempDir, createTempUser, type TempDir, type TempUser } from '../../support/temp.js';

let user: TempUser;
let uid: number;
let gid: number;
let tmp: TempDir;
/** Root's: the source content and a folder standing for a system folder such as /etc/cron.d. */
let source: string;
let victim: string;
/** The account's: the share it may change as it likes. */
let share: string;
let journal: string;

beforeAll(async () => {
  user = await createTempUser('spatk-');
  const id = (await runAs(user.name, 'id -u; id -g')).trim().split('\n').map(Number);
  [uid, gid] = [id[0]!, id[1]!];
});
afterAll(async () => {
  await user?.cleanup();
});

beforeEach(async () => {
  tmp = await createTempDir('spsetup-attack-', true);
  source = join(tmp.path, 'content');
  await mkdir(join(source, 'sub'), { recursive: true });
  await writeFile(join(source, 'a.txt'), 'app one');
  await writeFile(join(source, 'sub', 'b.txt'), 'app two');
  await chmod(join(source, 'sub'), 0o777);
  victim = join(tmp.path, 'system-folder');
  await mkdir(victim, { mode: 0o755 });
  await writeFile(join(victim, 'job'), '* * * * * root true\n', { mode: 0o644 });
  share = join(tmp.path, 'share');
  await mkdir(share, { mode: 0o770 });
  await chown(share, uid, gid);
  journal = join(tmp.path, 'copy.jsonl');
});
afterEach(async () => {
  await tmp?.cleanup();
});

const victimState = () => takeSnapshot({ roots: [victim] });

/** The copy's error (undefined when it went through). */
function copyError(from: string, target: string): Promise<UserError | undefined> {
  return copyTree({ source: from, target, journalPath: journal }).then(
    () => undefined,
    (e: unknown) => {
      if (e instanceof UserError) return e;
      throw e;
    },
  );
}

describe('attack 1: links on the target side of the copy', () => {
  it('refuses a share folder that the account replaced by a link to a system folder, changing nothing there', async () => {
    await runAs(user.name, 'ln -s "$1" "$2"', [victim, join(share, 'Apps')]);
    const before = await victimState();
    const err = await copyError(source, join(share, 'Apps'));
    expect(await victimState()).toEqual(before);
    expect((await stat(victim)).mode & 0o7777).toBe(0o755);
    expect(err?.code).toBe('conflict');
    expect(err?.message).toContain(`${join(share, 'Apps')} is a symbolic link`);
  });

  it('refuses a sub-folder planted as a link inside the share folder, changing nothing there', async () => {
    await runAs(user.name, 'mkdir "$2" && ln -s "$1" "$2/sub"', [victim, join(share, 'Apps')]);
    const before = await victimState();
    const err = await copyError(source, join(share, 'Apps'));
    expect(await victimState()).toEqual(before);
    expect(err?.code).toBe('conflict');
    expect(err?.message).toContain(`${join(share, 'Apps', 'sub')} is a symbolic link`);
  });

  it('refuses to go on when a sub-folder it created is swapped for a link while it copies', async () => {
    // Many folders after `sub`, so the copy is still creating folders when the swap lands.
    for (let i = 0; i < 300; i++) await mkdir(join(source, `z${String(i).padStart(3, '0')}`));
    await writeFile(join(source, 'sub', 'big.bin'), Buffer.alloc(4 * 1024 * 1024, 7));
    const target = join(share, 'Apps');
    await runAs(user.name, 'mkdir "$1"', [target]);
    const before = await victimState();
    const race = await raceAs(user.name, target, 'create', 'mv "$0/sub" "$0/sub.real" && ln -s "$1" "$0/sub"', [victim]);
    const err = await copyError(source, target);
    expect(await race.swapped).toBe(true);
    expect(await victimState()).toEqual(before);
    expect(err?.code).toBe('conflict');
    expect(err?.message).toMatch(/is a symbolic link|was replaced/);
    expect((await lstat(join(target, 'sub'))).isSymbolicLink()).toBe(true);
  });
});

describe('attack 2: a source file swapped for a link between the walk and the copy', () => {
  it('does not copy a root-only file that the account linked in place of its own file', async () => {
    // The secret: root's, 0600, in a folder others may pass through (like /etc/shadow in /etc).
    const vault = join(tmp.path, 'vault');
    await mkdir(vault, { mode: 0o711 });
    await chmod(vault, 0o711);
    const secret = join(vault, 'secret');
    const secretText = 'TOP-SECRET root only';
    await writeFile(secret, secretText, { mode: 0o600 });
    // The account's data folder holds the content; its decoy has the secret's size and mtime.
    const data = join(tmp.path, 'data');
    await mkdir(data, { mode: 0o755 });
    await chown(data, uid, gid);
    await runAs(user.name, 'mkdir "$1/zz" && for i in $(seq 1 300); do mkdir "$1/zz/d$i"; done', [data]);
    await runAs(user.name, 'printf %s "$2" > "$1/report.txt" && touch -r "$3" "$1/report.txt"', [data, 'x'.repeat(secretText.length), secret]);
    const target = join(share, 'Apps');
    // The walk lists the data folder, then opens zz: the attacker swaps report.txt right then.
    const race = await raceAs(user.name, join(data, 'zz'), 'open', 'ln -s "$1" "$0/../.l" && mv -T "$0/../.l" "$0/../report.txt"', [secret]);
    const err = await copyError(data, target);
    expect(await race.swapped).toBe(true);
    for (const name of await readdir(target)) {
      if ((await lstat(join(target, name))).isFile()) expect(await readFile(join(target, name), 'utf8')).not.toContain('TOP-SECRET');
    }
    expect(await readFile(secret, 'utf8')).toBe(secretText);
    expect((await stat(secret)).mode & 0o7777).toBe(0o600);
    expect(err?.code).toBe('conflict');
    expect(err?.message).toContain('changed while it was being copied');
  });
});
