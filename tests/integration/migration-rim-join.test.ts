/**
 * Issue 6, must-show 1 (last part): after the central node of a synchronized site is migrated, a
 * new rim node joins from another machine (a namespace on the same LAN) with `spsetup install`
 * (Join cluster). The migration's listener steps opened the database to exactly the planned
 * addresses; `spsetup status --json` on both nodes lists both, the central one marked.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  attachNode,
  cleanupNode,
  clusterNetnsName,
  clusterSkipReason,
  createHub,
  deleteClusterNetns,
  makeNodeDirs,
  nodeSettings,
  randomSubnet,
  runCli,
  writeSettings,
  type NodeDirs,
} from '../support/cluster.js';
import { buildSyncSite, type SyncSite } from '../support/sync-site.js';

const skip = clusterSkipReason();

interface Status {
  readonly nodes: readonly { hostname: string; isCentral: boolean }[];
  readonly services: readonly { name: string; state: string }[];
}

describe.skipIf(skip)(`a rim node joins a migrated site${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const subnet = randomSubnet();
  const hub = clusterNetnsName('mhub');
  const centralIp = `${subnet}.1`;
  const rimIp = `${subnet}.2`;
  const rimNs = clusterNetnsName('mrim');
  let site: SyncSite;
  let rim: NodeDirs;
  let centralSettings: string;

  beforeAll(async () => {
    await createHub(hub);
    site = await buildSyncSite({ kind: 'sync-older', startServices: true, smallFiles: 80, largeFiles: 1, largeSize: 512 * 1024, hostname: centralIp, network: { hub, address: `${centralIp}/24` } });
    rim = await makeNodeDirs('mrim');
    await attachNode(hub, rimNs, `${rimIp}/24`);
  }, 60_000);
  afterAll(async () => {
    if (rim) await cleanupNode(rim);
    await site?.cleanup();
    await deleteClusterNetns();
  }, 60_000);

  it('migrates the central node with the database opened to the planned nodes only', async () => {
    const doc = site.migrationDoc() as { settings: { database: Record<string, unknown> & { listener: Record<string, unknown> } } };
    const ipRanges = ['127.0.0.1/32', `${centralIp}/32`, `${rimIp}/32`];
    const settings = { ...doc.settings, database: { ...doc.settings.database, listener: { ...doc.settings.database.listener, ipRanges } } };
    const file = await writeSettings(join(site.dirs.root, 'migrate.json'), { ...doc, settings });
    centralSettings = await writeSettings(join(site.dirs.root, 'node.json'), { ...settings, database: { ...settings.database, password: site.password } });
    const out = await runCli(['migrate', 'run', '--settings', file, '--yes'], { netns: site.netns, timeoutMs: 90_000 });
    expect(out.code, out.stdout + out.stderr).toBe(0);
    // What the server enforces after the migration's restart: listening everywhere, the nodes' rules.
    const conn = await site.connect();
    try {
      const [listen] = await conn.query<{ v: string }>("SELECT current_setting('listen_addresses') AS v");
      expect(listen?.v).toBe('*');
      const rules = await conn.query<{ address: string }>("SELECT address FROM pg_hba_file_rules WHERE 'qliksenserepository' = ANY(user_name) AND error IS NULL AND type LIKE 'host%'");
      expect(rules.map((r) => r.address)).toEqual(expect.arrayContaining([centralIp, rimIp]));
      expect(rules.map((r) => r.address)).not.toContain('0.0.0.0');
    } finally {
      await conn.close();
    }
    expect(await readFile(join(site.pgDataDir, 'pg_hba.conf'), 'utf8')).toMatch(new RegExp(`qliksenserepository\\s+${rimIp.replace(/\./g, '\\.')}/32`));
  }, 90_000);

  it('a new rim node joins with `spsetup install` and both nodes list both, the central one marked', async () => {
    expect(centralSettings, 'the migration ran').toBeDefined();
    const doc = nodeSettings({
      dirs: rim,
      mode: 'join',
      dbInstall: 'existing',
      dbHost: centralIp,
      dbPort: site.dbPort,
      password: site.password,
      shareRoot: site.shareRoot,
      hostname: rimIp,
      user: site.account,
    });
    const rimSettings = await writeSettings(rim.settingsFile, doc);
    const joined = await runCli(['install', '--settings', rimSettings, '--yes'], { netns: rimNs, timeoutMs: 90_000 });
    expect(joined.code, joined.stdout + joined.stderr).toBe(0);

    for (const [ns, settings] of [[rimNs, rimSettings], [site.netns, centralSettings]] as const) {
      const r = await runCli(['status', '--settings', settings, '--json'], { netns: ns });
      expect(r.code, r.stderr).toBe(0);
      const status = JSON.parse(r.stdout) as Status;
      const nodes = status.nodes.map((n) => `${n.hostname}${n.isCentral ? ' central' : ''}`);
      expect(nodes).toContain(`${centralIp} central`);
      expect(nodes).toContain(rimIp);
      expect(status.nodes.filter((n) => n.isCentral)).toHaveLength(1);
      for (const s of status.services) expect(s.state, `${ns} ${s.name}`).toBe('running');
    }
    // The rim node works from the share the migration filled.
    const config = JSON.parse(await readFile(join(rim.dataDir, 'reference.json'), 'utf8')) as { share: { root: string } };
    expect(config.share.root).toBe(site.shareRoot);
  }, 90_000);
});
