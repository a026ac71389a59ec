/**
 * Issue 5, must-show: a settings bundle exported on a created central node, then silent joins of
 * two rim nodes from it (each in its own network namespace), both registered.
 */
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accountName,
  attachNode,
  cleanupNode,
  clusterNetnsName,
  clusterSkipReason,
  createHub,
  deleteClusterNetns,
  makeNodeDirs,
  makeShare,
  nodeSettings,
  randomPassword,
  randomSubnet,
  removeUser,
  runCli,
  writeSettings,
  type NodeDirs,
} from '../support/cluster.js';

const skip = clusterSkipReason();
const PG_PORT = 25433;

describe.skipIf(skip)(`silent joins from a settings bundle${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const subnet = randomSubnet();
  const hub = clusterNetnsName('bh');
  const user = accountName('bj');
  const password = `${randomPassword()} & <"'>`;
  const nodes: { ns: string; ip: string; dirs: NodeDirs }[] = [];
  let share: Awaited<ReturnType<typeof makeShare>>;

  beforeAll(async () => {
    share = await makeShare();
    await createHub(hub);
    for (const [i, tag] of ['ba', 'bb', 'bc'].entries()) {
      const node = { ns: clusterNetnsName(tag), ip: `${subnet}.${i + 1}`, dirs: await makeNodeDirs(tag) };
      nodes.push(node);
      await attachNode(hub, node.ns, `${node.ip}/24`);
    }
  });

  afterAll(async () => {
    for (const n of [...nodes].reverse()) await cleanupNode(n.dirs);
    await deleteClusterNetns();
    await share?.cleanup();
    await removeUser(user);
  });

  it('exports a bundle from the central node and joins two rim nodes silently from it', async () => {
    const central = nodes[0]!;
    const settings = nodeSettings({
      dirs: central.dirs,
      mode: 'create',
      dbInstall: 'local',
      dbHost: central.ip,
      dbPort: PG_PORT,
      password,
      superuserPassword: randomPassword(),
      listener: { listenAddresses: ['*'], ipRanges: [`${subnet}.0/24`], maxConnections: 300 },
      shareRoot: share.share,
      hostname: central.ip,
      user,
    });
    const created = await runCli(['install', '--settings', await writeSettings(central.dirs.settingsFile, settings), '--yes'], { netns: central.ns });
    expect(created.code, `${created.stdout}\n${created.stderr}`).toBe(0);

    const bundle = join(central.dirs.root, 'cluster.spbundle');
    const passFile = join(central.dirs.root, 'passphrase');
    const exported = await runCli(['bundle', 'export', '--settings', central.dirs.settingsFile, '--out', bundle, '--generate-passphrase', passFile]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(statSync(bundle).mode & 0o777).toBe(0o600);
    expect(statSync(passFile).mode & 0o777).toBe(0o600);

    for (const rim of nodes.slice(1)) {
      const log = join(rim.dirs.root, 'join.log');
      const set = (k: string, v: string) => ['--set', `${k}=${v}`];
      const r = await runCli(
        [
          'install', '--bundle', bundle, '--passphrase-file', passFile, '--silent', '--log', log,
          ...set('hostname', rim.ip), ...set('serviceAccount.user', user), ...set('installDir', rim.dirs.installDir),
          ...set('dataDir', rim.dirs.dataDir), ...set('stateDir', rim.dirs.stateDir), ...set('services.manager', 'runit'), ...set('services.runitDir', rim.dirs.runitDir),
        ],
        { netns: rim.ns },
      );
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      // Silent still tells what happens: progress lines, a summary, and the log.
      expect(r.stdout).toMatch(/\[\d+\/\d+\]/);
      expect(r.stdout).toMatch(/Result: done/);
      expect(r.stdout).toContain(log);
      expect(r.stdout + r.stderr).not.toContain(password);
      // Settings for status later: the same document the bundle produced.
      writeFileSync(rim.dirs.settingsFile, JSON.stringify({ ...settings, cluster: { mode: 'join' }, database: { install: 'existing', host: central.ip, port: PG_PORT, password }, hostname: rim.ip, installDir: rim.dirs.installDir, dataDir: rim.dirs.dataDir, stateDir: rim.dirs.stateDir, services: { manager: 'runit', runitDir: rim.dirs.runitDir } }), { mode: 0o600 });
    }

    const status = await runCli(['status', '--settings', central.dirs.settingsFile, '--json'], { netns: central.ns });
    expect(status.code, status.stderr).toBe(0);
    const registered = (JSON.parse(status.stdout) as { nodes: { hostname: string; isCentral: boolean }[] }).nodes;
    expect(registered.map((n) => `${n.hostname}${n.isCentral ? ' central' : ''}`).sort()).toEqual([`${central.ip} central`, nodes[1]!.ip, nodes[2]!.ip].sort());
  });
});
