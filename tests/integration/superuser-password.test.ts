/**
 * Issue 15: `site password rotate --superuser` on a Debian PostgreSQL 15 server. The new password
 * comes from a 0600 file and is never on the command line, in the output or in the server log (the
 * server gets a SCRAM verifier); a wrong current password, an empty or unchanged new one are
 * refused with the stored verifier unchanged; after the rotation the old password is refused over
 * TCP and the new one logs in.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterSkipReason, makeNodeDirs, cleanupNode, nodeSettings, randomPassword, runCli, writeSettings, type NodeDirs } from '../support/cluster.js';
import { binDirOf, freePort, startTestServer, type TestServer } from '../support/pg-server.js';

function missing(): string | undefined {
  try {
    binDirOf('debian15');
  } catch {
    return 'Debian PostgreSQL 15 is not installed';
  }
  return undefined;
}

const skip = clusterSkipReason() ?? missing();

describe.skipIf(skip)(`superuser password rotation${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let server: TestServer;
  let dirs: NodeDirs;

  beforeAll(async () => {
    dirs = await makeNodeDirs('surot');
    server = await startTestServer({ flavor: 'debian15', port: await freePort() });
  });
  afterAll(async () => {
    await server?.stop();
    if (dirs) await cleanupNode(dirs);
  });

  // The settings take the current superuser password from a file, as an administrator would keep it.
  const settingsWith = async (current: string) => {
    const pwFile = join(dirs.root, 'su-current');
    await writeFile(pwFile, current, { mode: 0o600 });
    const doc = nodeSettings({ dirs, mode: 'create', dbInstall: 'existing', dbHost: '127.0.0.1', dbPort: server.port, password: randomPassword(), superuserPassword: { file: pwFile }, shareRoot: join(dirs.root, 'share'), hostname: '127.0.0.1', user: 'nobody' });
    return writeSettings(dirs.settingsFile, doc);
  };
  const newPasswordFile = async (text: string) => {
    const f = join(dirs.root, 'su-new');
    await writeFile(f, text, { mode: 0o600 });
    return f;
  };
  // Over the socket as the superuser (the socket asks for the password too: initdb --auth=scram-sha-256).
  const verifier = async (password = server.password) => {
    const c = await server.connect({ password });
    try {
      return (await c.query<{ p: string }>('SELECT rolpassword AS p FROM pg_authid WHERE rolname = $1', [server.superuser]))[0]!.p;
    } finally {
      await c.close();
    }
  };
  // Over TCP with a password (the socket may trust): what a client with the password sees.
  const login = async (password: string) => {
    try {
      const c = await server.connect({ host: '127.0.0.1', password });
      await c.close();
      return 'ok';
    } catch (err) {
      return (err as Error).message;
    }
  };
  const rotate = (settings: string, pwFile: string) => runCli(['site', 'password', 'rotate', '--superuser', '--settings', settings, '--password-file', pwFile], { timeoutMs: 60_000 });

  it('a wrong current password, an empty or an unchanged new one: refused, the verifier unchanged', async () => {
    const before = await verifier();
    const fresh = randomPassword();
    const wrong = await rotate(await settingsWith(`${server.password}-not`), await newPasswordFile(fresh));
    expect(wrong.code, `${wrong.stdout}\n${wrong.stderr}`).toBe(2);
    expect(wrong.stderr).toMatch(/The server refused the current password of \S+ \(database\.superuserPassword in the settings\)\. Nothing was changed\./);
    const right = await settingsWith(server.password);
    const empty = await rotate(right, await newPasswordFile(''));
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/is empty/);
    const same = await rotate(right, await newPasswordFile(server.password));
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/the one in use\. Nothing was changed/);
    expect(await verifier()).toBe(before);
    expect(await login(server.password)).toBe('ok');
    expect(await login(fresh)).not.toBe('ok');
  });

  it('rotates: the old password is refused, the new one logs in, stored as SCRAM, never in argv, output or server log', async () => {
    const old = server.password;
    const fresh = randomPassword();
    const t0 = Date.now();
    const r = await rotate(await settingsWith(old), await newPasswordFile(`${fresh}\n`));
    console.log(`site password rotate --superuser took ${Date.now() - t0} ms`);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/The old password of \S+ no longer logs in/);
    expect(r.stdout).toMatch(/The new password of \S+ logs in/);
    expect(`${r.stdout}${r.stderr}`).not.toContain(fresh);
    expect(await verifier(fresh)).toMatch(/^SCRAM-SHA-256\$4096:/);
    expect(await login(old)).toMatch(/password/i);
    expect(await login(fresh)).toBe('ok');
    expect(await readFile(server.logFile, 'utf8').catch(() => '')).not.toContain(fresh);
    // The rotated password works for what uses it next: db prepare's superuser connection (here: another rotation back).
    const back = await rotate(await settingsWith(fresh), await newPasswordFile(old));
    expect(back.code, `${back.stdout}\n${back.stderr}`).toBe(0);
    expect(await login(old)).toBe('ok');
  });
});
