/**
 * Attack 6 of issue 11, against the real agent protocol and the real back end: (1) the agent used to
 * chmod/chown its socket by path after bind, in a folder the GUI user owns, so a link swapped in
 * right after the bind got a root file handed to that user; (2) it served every method as root and
 * read `{ "file": ... }` secrets as root: the GUI user exported a bundle from a root-only file and
 * read the password back with importBundle through the same agent.
 */
import { randomBytes } from 'node:crypto';
import { chown, lstat, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBackend } from '../../../electron/app/wizard-backend.js';
import { connectAgent, startAgent, type RunningAgent } from '../../../electron/main/agent-protocol.js';
import { raceAs, runAs } from '../../support/attacker.js';
import { createFakeBackend } from '../../support/fake-backend.js';
import { createTempDir, createTempUser, type TempDir, type TempUser } from '../../support/temp.js';

let user: TempUser;
let tmp: TempDir;
/** The GUI user's uid, and a folder of theirs (as their home would be). */
let uid: number;
let gui: string;
const agents: RunningAgent[] = [];

beforeAll(async () => {
  user = await createTempUser('spgui-');
  tmp = await createTempDir('spsetup-attack6-', true);
  uid = Number((await runAs(user.name, 'id -u')).trim());
  gui = join(tmp.path, 'gui');
  await mkdir(gui, { mode: 0o755 });
  await chown(gui, uid, -1);
});
afterEach(async () => {
  for (const a of agents.splice(0)) await a.close();
});
afterAll(async () => {
  await tmp?.cleanup();
  await user?.cleanup();
});

/** The GUI user's side of the rendezvous: their own 0700 folder with a 0600 token file in it. */
async function userRendezvous(): Promise<{ dir: string; tokenFile: string; token: string }> {
  const token = randomBytes(32).toString('hex');
  const dir = (await runAs(user.name, 'umask 077; d=$(mktemp -d "$1/gui-XXXXXX"); printf %s "$2" > "$d/token"; echo "$d"', [gui, token])).trim();
  return { dir, tokenFile: join(dir, 'token'), token };
}

describe('attack 6: the elevated agent', () => {
  it('never hands a root file to the GUI user through its socket path', async () => {
    const vault = join(tmp.path, 'root-vault');
    await mkdir(vault, { mode: 0o755 });
    for (let attempt = 0; attempt < 5; attempt++) {
      const victim = join(vault, `victim-${attempt}`);
      await writeFile(victim, "root's\n", { mode: 0o644 });
      const r = await userRendezvous();
      const socketPath = join(r.dir, 'agent.sock');
      // The GUI user swaps the socket for a link to root's file the moment it appears.
      const race = await raceAs(user.name, r.dir, 'create', 'sleep 0.001; rm -f "$1"; ln -s "$2" "$1"', [socketPath, victim], 2);
      const started = await startAgent({ socketPath, tokenFile: r.tokenFile, backend: createFakeBackend(), authTimeoutMs: 5_000 }).then(
        (a) => (agents.push(a), true),
        () => false,
      );
      await race.swapped;
      const info = await stat(victim);
      expect({ attempt, uid: info.uid, mode: info.mode & 0o777 }).toEqual({ attempt, uid: 0, mode: 0o644 });
      // A socket folder the GUI user could write is refused outright.
      expect(started).toBe(false);
      for (const a of agents.splice(0)) await a.close();
    }
  }, 120_000);

  it('serves only the elevated methods and reads {file} secrets as the caller', async () => {
    const secret = join(tmp.path, 'root-secret');
    await writeFile(secret, 'R00t-Only-Pw\n', { mode: 0o600 });
    const r = await userRendezvous();
    const socketPath = join(tmp.path, `sock-${randomBytes(6).toString('hex')}`, 'agent.sock');
    const agent = await startAgent({ socketPath, tokenFile: r.tokenFile, backend: createBackend({ env: { PATH: process.env.PATH ?? '' } }), authTimeoutMs: 10_000 });
    agents.push(agent);
    // The socket is the caller's alone, in a root-owned folder only the caller's group may enter.
    const sock = await stat(socketPath);
    const folder = await stat(join(socketPath, '..'));
    expect({ uid: sock.uid, mode: sock.mode & 0o777 }).toEqual({ uid, mode: 0o600 });
    expect({ uid: folder.uid, mode: folder.mode & 0o777 }).toEqual({ uid: 0, mode: 0o710 });

    const client = await connectAgent(socketPath, r.token);
    const settings = (password: unknown) => ({
      product: 'reference', cluster: { mode: 'create' }, database: { install: 'existing', host: '10.250.9.1', port: 4432, password },
      share: { root: join(tmp.path, 'share') }, serviceAccount: { user: 'spref' }, hostname: 'central.example.com', plannedNodes: 2,
      stateDir: join(tmp.path, 'state'),
    });
    const out = join(r.dir, 'stolen.spbundle');
    const refused = await client.backend.exportBundle({ settings: settings({ file: secret }) as never, passphrase: 'correct-horse-battery-staple-42', outPath: out }).then(() => undefined, (e: unknown) => e);
    expect(refused).toMatchObject({ code: 'permission-denied' });
    await expect(stat(out)).rejects.toThrow(); // no bundle holds root's password
    await expect(client.backend.importBundle({ path: out, passphrase: 'correct-horse-battery-staple-42' })).rejects.toMatchObject({ code: 'permission-denied' });

    // The caller's own secret file is read as the caller, and works.
    const own = join(r.dir, 'pw');
    await runAs(user.name, 'umask 077; printf "Gui-Pw-1\\n" > "$1"', [own]);
    const ok = await client.backend.exportBundle({ settings: settings({ file: own }) as never, passphrase: 'correct-horse-battery-staple-42', outPath: join(r.dir, 'ok.spbundle') });
    expect((await readFile(ok.path)).length).toBeGreaterThan(100);
    client.close();
  }, 60_000);

  it('writes an exported bundle as the GUI user: never into a root folder, never through their link', async () => {
    const r = await userRendezvous();
    const socketPath = join(tmp.path, `sock-${randomBytes(6).toString('hex')}`, 'agent.sock');
    const agent = await startAgent({ socketPath, tokenFile: r.tokenFile, backend: createBackend({ env: { PATH: process.env.PATH ?? '' } }), authTimeoutMs: 10_000 });
    agents.push(agent);
    const client = await connectAgent(socketPath, r.token);
    const own = join(r.dir, 'pw');
    await runAs(user.name, 'umask 077; printf "Gui-Pw-1\\n" > "$1"', [own]);
    const request = (outPath: string) => client.backend.exportBundle({
      settings: {
        product: 'reference', cluster: { mode: 'create' }, database: { install: 'existing', host: '10.250.9.1', port: 4432, password: { file: own } },
        share: { root: join(tmp.path, 'share') }, serviceAccount: { user: 'spref' }, hostname: 'central.example.com', plannedNodes: 2, stateDir: join(tmp.path, 'state'),
      } as never,
      passphrase: 'correct-horse-battery-staple-42', outPath,
    });
    // Root's folder (standing for /etc/cron.d) and root's file (standing for /etc/shadow).
    const rootDir = join(tmp.path, 'root-etc');
    await mkdir(rootDir, { mode: 0o755 });
    const rootFile = join(rootDir, 'shadow');
    await writeFile(rootFile, 'root:x:0:0\n', { mode: 0o644 });
    const rootState = async () => ({ names: (await readdir(rootDir)).sort(), text: await readFile(rootFile, 'utf8'), uid: (await stat(rootFile)).uid });
    const before = await rootState();

    // 1. A path in root's folder, 2. over root's file, 3. through a link (in the user's folder) to root's folder.
    await runAs(user.name, 'ln -s "$1" "$2"', [rootDir, join(r.dir, 'etc')]);
    for (const outPath of [join(rootDir, 'evil.spbundle'), rootFile, join(r.dir, 'etc', 'evil.spbundle')]) {
      await expect(request(outPath), outPath).rejects.toMatchObject({ code: 'permission-denied' });
    }
    expect(await rootState()).toEqual(before);

    // 4. The user's own link to root's file, named as the target: replaced by the user's bundle, root's file untouched.
    const linked = join(r.dir, 'linked.spbundle');
    await runAs(user.name, 'ln -s "$1" "$2"', [rootFile, linked]);
    const done = await request(linked);
    expect(done.path).toBe(linked);
    const info = await lstat(linked);
    expect({ file: info.isFile(), uid: info.uid, mode: info.mode & 0o777 }).toEqual({ file: true, uid, mode: 0o600 });
    expect(await rootState()).toEqual(before);
    // The user can read their bundle back (unelevated, as the GUI imports it).
    expect((await runAs(user.name, 'wc -c < "$1"', [linked])).trim()).not.toBe('0');
    client.close();
  }, 60_000);
});
