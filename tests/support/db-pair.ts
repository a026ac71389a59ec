/**
 * A primary and a standby database machine for the replication tests: each in its own network
 * namespace on one private LAN (hub), the primary a fresh Debian PostgreSQL 15 server that admits
 * the subnet's superuser logins (as a dedicated database server does for its administrators), the
 * standby an empty machine with its own folders and runit supervisor. Cutting the primary's link
 * is how the tests lose it.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { attachNode, clusterNetnsName, cleanupNode, createHub, makeNodeDirs, randomPassword, writeSettings, type NodeDirs } from './cluster.js';
import { execBounded } from './netns.js';
import { freePort, startTestServer, testPostgres, type TestServer } from './pg-server.js';

export interface DbMachine {
  readonly ns: string;
  readonly ip: string;
  readonly dirs: NodeDirs;
}

export interface DbPair {
  readonly subnet: string;
  readonly hub: string;
  readonly primary: DbMachine & { readonly server: TestServer };
  readonly standby: DbMachine & { readonly dataDir: string; readonly settingsFile: string };
  readonly replicationPassword: string;
  /** The standby settings document (written to standby.settingsFile). */
  settings(extra?: { synchronous?: boolean; standbyHost?: string }): Record<string, unknown>;
  /** Restarts the primary server in its namespace (for settings that need a restart). */
  restartPrimary(): Promise<void>;
  /** Takes the primary's network link down (true) or up again (false): the machine is lost, or back. */
  cutPrimary(cut: boolean): Promise<void>;
  cleanup(): Promise<void>;
}

async function linkOf(ns: string): Promise<string> {
  const r = await execBounded('ip', ['-n', ns, '-o', 'link', 'show']);
  const name = r.stdout
    .split('\n')
    .map((l) => /^\d+:\s+([^:@]+)/.exec(l)?.[1])
    .find((n) => n && n !== 'lo');
  if (!name) throw new Error(`no link in ${ns}`);
  return name;
}

/** Makes the two machines on `subnet` (".1" primary, ".2" standby); `hub` may already exist with other nodes. */
export async function createDbPair(subnet: string, hub: string, options: { createHubFirst?: boolean } = {}): Promise<DbPair> {
  if (options.createHubFirst !== false) await createHub(hub);
  const primaryNs = clusterNetnsName('pri');
  const standbyNs = clusterNetnsName('sby');
  const ipP = `${subnet}.1`;
  const ipS = `${subnet}.2`;
  await attachNode(hub, primaryNs, `${ipP}/24`);
  await attachNode(hub, standbyNs, `${ipS}/24`);
  const port = await freePort();
  const server = await startTestServer({ flavor: 'debian15', netns: primaryNs, port, listenAddresses: `${ipP},127.0.0.1`, hba: (t) => `${t}host all all ${subnet}.0/24 scram-sha-256\n` });
  const pdirs = await makeNodeDirs('pri');
  const sdirs = await makeNodeDirs('sby');
  const replicationPassword = randomPassword();
  const superFile = join(sdirs.root, 'superuser-password');
  const replFile = join(sdirs.root, 'replication-password');
  await writeFile(superFile, `${server.password}\n`, { mode: 0o600 });
  await writeFile(replFile, `${replicationPassword}\n`, { mode: 0o600 });
  const dataDir = join(sdirs.root, 'pgdata');
  const settingsFile = sdirs.settingsFile;
  const settings = (extra: { synchronous?: boolean; standbyHost?: string } = {}) => ({
    primary: { host: ipP, port, superuserPassword: { file: superFile } },
    standby: { host: extra.standbyHost ?? ipS, port, dataDir },
    replication: { password: { file: replFile }, synchronous: extra.synchronous ?? false },
    stateDir: sdirs.stateDir,
    services: { manager: 'runit', runitDir: sdirs.runitDir },
  });
  await writeSettings(settingsFile, settings());
  let link: string | undefined;
  return {
    subnet,
    hub,
    primary: { ns: primaryNs, ip: ipP, dirs: pdirs, server },
    standby: { ns: standbyNs, ip: ipS, dirs: sdirs, dataDir, settingsFile },
    replicationPassword,
    settings,
    async restartPrimary() {
      await testPostgres.stopServer({ binDir: server.binDir, dataDir: server.dataDir, osUser: 'postgres', timeoutMs: 30_000 });
      await testPostgres.startServer({ binDir: server.binDir, dataDir: server.dataDir, osUser: 'postgres', socketDir: server.socketDir, timeoutMs: 30_000, prefix: ['ip', 'netns', 'exec', primaryNs] });
    },
    async cutPrimary(cut) {
      link ??= await linkOf(primaryNs);
      const r = await execBounded('ip', ['-n', primaryNs, 'link', 'set', link, cut ? 'down' : 'up']);
      if (r.code !== 0) throw new Error(r.stderr);
    },
    async cleanup() {
      await cleanupNode(sdirs);
      await cleanupNode(pdirs);
      await server.stop();
    },
  };
}

export { writeSettings };
