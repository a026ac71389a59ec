/**
 * Issue 3, must-show 3 and 5: a password with `& < > " ' ; : / \`, a space and non-ASCII letters works
 * end to end, and appears nowhere but its protected store: not in logs, journals, plans, files,
 * service definitions, or the argv of any process (sampled during and after the install).
 */
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConnectionString } from '../../electron/shared/connection-string.js';
import {
  accountName,
  cleanupNode,
  clusterNetnsName,
  clusterSkipReason,
  createIsolatedNetns,
  deleteClusterNetns,
  freeTcpPort,
  makeNodeDirs,
  nodeSettings,
  readCmdline,
  removeUser,
  runCli,
  writeSettings,
  type NodeDirs,
} from '../support/cluster.js';

const skip = clusterSkipReason();
const PASSWORD = `P&<>"';:/\\ wörd Ünïcødé-${Date.now() % 1000}`;
const SUPER_PASSWORD = `S&<>"';:/\\ Größe ñ-${Date.now() % 1000}`;

/** Every form in which a leaked password could be written. */
function needles(secret: string): string[] {
  return [...new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), Buffer.from(secret).toString('base64')])];
}

async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (path: string): Promise<void> => {
    const s = await lstat(path).catch(() => undefined);
    if (!s) return;
    if (s.isDirectory()) for (const e of await readdir(path)) await walk(join(path, e));
    else if (s.isFile()) out.push(path);
  };
  await walk(root);
  return out;
}

/** The argv of every process on the machine that holds one of the needles. */
async function argvLeaks(all: readonly string[]): Promise<string[]> {
  const leaks: string[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = (await readCmdline(Number(entry))).join(' ');
    if (all.some((n) => argv.includes(n))) leaks.push(`pid ${entry}: ${argv.slice(0, 80)}`);
  }
  return leaks;
}

describe.skipIf(skip)(`a password with special characters${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const ns = clusterNetnsName('sec');
  const user = accountName('sec');
  let dirs: NodeDirs;
  let port: number;
  const env = { SPCL_DB_PASSWORD: PASSWORD, SPCL_SUPER_PASSWORD: SUPER_PASSWORD };
  const all = [...needles(PASSWORD), ...needles(SUPER_PASSWORD)];
  const sampled: string[] = [];

  beforeAll(async () => {
    await createIsolatedNetns(ns);
    dirs = await makeNodeDirs('sec');
    port = await freeTcpPort();
    await writeSettings(
      dirs.settingsFile,
      nodeSettings({
        dirs,
        mode: 'create',
        dbInstall: 'local',
        dbHost: '127.0.0.1',
        dbPort: port,
        password: { env: 'SPCL_DB_PASSWORD' },
        superuserPassword: { env: 'SPCL_SUPER_PASSWORD' },
        listener: { listenAddresses: ['127.0.0.1'], ipRanges: ['127.0.0.0/8'], maxConnections: 100 },
        shareRoot: join(dirs.root, 'share'),
        hostname: 'localhost',
        user,
        plannedNodes: 1,
      }),
    );
  });

  afterAll(async () => {
    if (dirs) await cleanupNode(dirs);
    await deleteClusterNetns();
    await removeUser(user);
  });

  it('installs, connects with it, registers the node and runs the services', async () => {
    let running = true;
    const sampler = (async () => {
      while (running) {
        sampled.push(...(await argvLeaks(all)));
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    const r = await runCli(['install', '--settings', dirs.settingsFile, '--yes'], { netns: ns, env });
    running = false;
    await sampler;
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const status = await runCli(['status', '--settings', dirs.settingsFile, '--json'], { netns: ns, env });
    expect(status.code, status.stderr).toBe(0);
    const parsed = JSON.parse(status.stdout) as { nodes: { hostname: string; isCentral: boolean }[]; services: { state: string }[] };
    expect(parsed.nodes).toEqual([expect.objectContaining({ hostname: 'localhost', isCentral: true })]);
    expect(parsed.services.map((s) => s.state)).toEqual(parsed.services.map(() => 'running'));
    // The protected store holds it (the services read it from there), readable by the service account only.
    const store = join(dirs.dataDir, 'secrets', 'repository.connection');
    expect(parseConnectionString(await readFile(store, 'utf8')).password).toBe(PASSWORD);
    const s = await stat(store);
    expect(s.mode & 0o777).toBe(0o600);
    const passwd = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.startsWith(`${user}:`));
    expect(s.uid).toBe(Number(passwd?.split(':')[2]));
  });

  it('appears in no argv during or after the run', async () => {
    expect(sampled).toEqual([]);
    expect(await argvLeaks(all)).toEqual([]);
  });

  it('appears in no file but the protected store (logs, journal, plan, data, install, service definitions)', async () => {
    const store = join(dirs.dataDir, 'secrets', 'repository.connection');
    const roots = [dirs.stateDir, dirs.installDir, dirs.dataDir, dirs.runitDir, join(dirs.root, 'share')];
    const files = (await Promise.all(roots.map(filesUnder))).flat().filter((f) => f !== store);
    expect(files.some((f) => f.includes('journal'))).toBe(true);
    expect(files.some((f) => f.includes(`${join(dirs.stateDir, 'sv')}/`))).toBe(true);
    const leaks: string[] = [];
    for (const f of files) {
      const text = (await readFile(f)).toString('latin1') + (await readFile(f, 'utf8'));
      if (all.some((n) => text.includes(n))) leaks.push(f);
    }
    expect(leaks).toEqual([]);
  });
});
