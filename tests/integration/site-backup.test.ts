/**
 * Issue 17: backup and restore of the whole site. A dedicated Debian PostgreSQL 15 server
 * (namespace DB), a central node A and a rim node B, each in its own namespace with its own runit
 * supervisor and node agent; the reference repository's content writer keeps writing app files to
 * the share and their rows to the repository while the site runs.
 */
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
import { execBounded } from '../support/netns.js';
import { diffSnapshots, takeSnapshot } from '../support/snapshot.js';
import { binDirOf, debianMissing, freePort, startTestServer, type TestServer } from '../support/pg-server.js';
import { getManifest } from '../../electron/product/index.js';
import { sealManifest, type ManifestBody } from '../../electron/features/backup/manifest.js';

const skip = clusterSkipReason() ?? debianMissing();
const PRODUCT_SERVICES = getManifest('reference').services.map((s) => s.name);

interface Node {
  readonly name: string;
  readonly ns: string;
  readonly ip: string;
  readonly dirs: NodeDirs;
}

interface AppRow {
  readonly name: string;
  readonly fileName: string;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Every file under root (relative path -> SHA-256). */
async function fileSums(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(join(root, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile()) out[r] = sha256(await readFile(join(root, r)));
    }
  };
  await walk('');
  return out;
}

describe.skipIf(skip)(`site backup and restore of a central and a rim node${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const subnet = randomSubnet();
  const hub = clusterNetnsName('hub');
  const nsDb = clusterNetnsName('db');
  const ipDb = `${subnet}.1`;
  const user = accountName('bk');
  const password = randomPassword();
  let server: TestServer;
  let dbDirs: NodeDirs;
  let share: Awaited<ReturnType<typeof makeShare>>;
  let work: string;
  let passFile: string;
  const nodes: Node[] = [];
  const central = () => nodes[0]!;

  const settingsFor = (dirs: NodeDirs, mode: 'create' | 'join', hostname: string, extra: Record<string, unknown> = {}, cluster: Record<string, unknown> = {}) => {
    const doc = nodeSettings({ dirs, mode, dbInstall: 'existing', dbHost: ipDb, dbPort: server.port, password, shareRoot: share.share, hostname, user, plannedNodes: 2 });
    return { ...doc, cluster: { ...(doc.cluster as Record<string, unknown>), ...cluster }, database: { ...(doc.database as Record<string, unknown>), ...extra } };
  };
  const site = (args: string[], node = central()) => runCli(['site', ...args, '--settings', node.dirs.settingsFile], { netns: node.ns, timeoutMs: 300_000 });
  const query = async <T extends Record<string, unknown>>(sql: string): Promise<T[]> => {
    const c = await server.connect({ database: 'QSR' });
    try {
      return await c.query<T>(sql);
    } finally {
      await c.close();
    }
  };
  const appRows = async () => (await query<{ name: string; file_name: string }>('SELECT name, file_name FROM apps ORDER BY id')).map((r) => ({ name: r.name, fileName: r.file_name }));

  /** Turns the reference repository's content writer on or off on every node, then restarts the services. */
  async function contentWriter(ms: number | undefined): Promise<void> {
    for (const n of nodes) {
      const file = join(n.dirs.dataDir, 'reference.json');
      const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown> & { repository?: Record<string, unknown> };
      const repository = { ...config.repository };
      if (ms === undefined) delete repository['contentWriterMs'];
      else repository['contentWriterMs'] = ms;
      await writeFile(file, `${JSON.stringify({ ...config, repository }, null, 2)}\n`);
    }
    const r = await site(['services', 'restart']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  }

  async function waitFor(what: string, ok: () => Promise<boolean>, ms = 30_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await ok())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** The apps rows a dump holds (pg_restore's COPY text of the table). */
  async function dumpedApps(dump: string): Promise<AppRow[]> {
    const r = await execBounded(join(binDirOf('debian15'), 'pg_restore'), ['--data-only', '--table=apps', '-f', '-', dump]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    const start = lines.findIndex((l) => l.startsWith('COPY public.apps '));
    const rows: AppRow[] = [];
    for (const line of lines.slice(start + 1)) {
      if (line === '\\.') break;
      const [, name, , fileName] = line.split('\t');
      rows.push({ name: name!, fileName: fileName! });
    }
    return rows;
  }

  async function servicesRunning(): Promise<boolean> {
    const r = await site(['status', '--json']);
    if (r.code !== 0) return false;
    const st = JSON.parse(r.stdout) as { nodes: { hostname: string; services: { name: string; state: string }[] }[] };
    return nodes.every((n) => st.nodes.find((x) => x.hostname === n.ip)?.services.filter((s) => PRODUCT_SERVICES.includes(s.name)).every((s) => s.state === 'running'));
  }

  beforeAll(async () => {
    share = await makeShare();
    work = await mkdtemp(join(tmpdir(), 'spcl-backup-'));
    passFile = join(work, 'passphrase');
    await writeFile(passFile, 'Backup-Pass-7fK2q9Lm\n', { mode: 0o600 });
    await createHub(hub);
    await attachNode(hub, nsDb, `${ipDb}/24`);
    for (const [i, name] of ['a', 'b'].entries()) {
      const node = { name, ns: clusterNetnsName(name), ip: `${subnet}.${i + 2}`, dirs: await makeNodeDirs(`bk${name}`) };
      await attachNode(hub, node.ns, `${node.ip}/24`);
      nodes.push(node);
    }
    dbDirs = await makeNodeDirs('bkdb');
    server = await startTestServer({ flavor: 'debian15', netns: nsDb, port: await freePort() });
  }, 120_000);

  afterAll(async () => {
    for (const d of [...nodes.map((n) => n.dirs)].reverse()) await cleanupNode(d);
    if (dbDirs) await cleanupNode(dbDirs);
    await server?.stop();
    await deleteClusterNetns();
    await share?.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
    await removeUser(user);
  });

  it('installs a central and a rim node with content on the share and in the repository', async () => {
    const prep = settingsFor(dbDirs, 'create', ipDb, { superuserPassword: server.password, listener: { listenAddresses: ['127.0.0.1', ipDb], ipRanges: [`${subnet}.0/24`], maxConnections: 200 } });
    const p = await runCli(['db', 'prepare', '--settings', await writeSettings(dbDirs.settingsFile, prep)], { netns: nsDb });
    expect(p.code, `${p.stdout}\n${p.stderr}`).toBe(0);
    const a = await runCli(['install', '--settings', await writeSettings(central().dirs.settingsFile, settingsFor(central().dirs, 'create', central().ip)), '--yes'], { netns: central().ns });
    expect(a.code, `${a.stdout}\n${a.stderr}`).toBe(0);
    const rim = nodes[1]!;
    const doc = settingsFor(rim.dirs, 'join', rim.ip, {}, { siteKey: { file: join(central().dirs.stateDir, 'site.key') } });
    const b = await runCli(['install', '--settings', await writeSettings(rim.dirs.settingsFile, doc), '--yes'], { netns: rim.ns });
    expect(b.code, `${b.stdout}\n${b.stderr}`).toBe(0);
    // Content beside the writer's apps: nested folders, an empty one, several sizes.
    await mkdir(join(share.share, 'StaticContent', 'img', 'deep'), { recursive: true });
    await mkdir(join(share.share, 'CustomData', 'empty'), { recursive: true });
    await writeFile(join(share.share, 'StaticContent', 'img', 'logo.png'), Buffer.alloc(300_000, 7));
    await writeFile(join(share.share, 'StaticContent', 'img', 'deep', 'note.txt'), 'hello\n');
    await writeFile(join(share.share, 'CustomData', 'data.csv'), 'a,b\n1,2\n');
    await contentWriter(100);
    await waitFor('the content writer', async () => (await appRows()).length >= 10);
    expect(await servicesRunning()).toBe(true);
  });

  it('a backup of the running site is consistent: every row of the dump has its file with the same SHA-256, and every file its row', async () => {
    const out = join(work, 'b1');
    const before = (await appRows()).length;
    const r = await site(['backup', '--out', out, '--passphrase-file', passFile]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/Expected downtime: about/);
    expect(r.stdout).toMatch(/Backup complete in /);
    const rows = await dumpedApps(join(out, 'repository.dump'));
    expect(rows.length).toBeGreaterThanOrEqual(before);
    const files = await fileSums(join(out, 'share'));
    const apps = Object.keys(files).filter((f) => f.startsWith('Apps/'));
    expect(apps.length).toBe(rows.length);
    for (const row of rows) expect(files[`Apps/${row.fileName}`], row.fileName).toBe(row.name);
    expect(files['StaticContent/img/deep/note.txt']).toBe(sha256(Buffer.from('hello\n')));
    // The backup is private to root.
    expect((await stat(out)).mode & 0o777).toBe(0o700);
    expect((await stat(join(out, 'repository.dump'))).mode & 0o777).toBe(0o600);
    // The services came back and the writer goes on.
    await waitFor('the services', servicesRunning);
    await waitFor('new rows after the backup', async () => (await appRows()).length > rows.length);
    const manifest = JSON.parse(JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')).body) as { downtimeMs: number; nodes: { hostname: string }[]; database: { tables: { name: string; rows: number }[] } };
    expect(manifest.nodes.map((n) => n.hostname)).toEqual(nodes.map((n) => n.ip));
    expect(manifest.downtimeMs).toBeGreaterThan(0);
    expect(manifest.database.tables.find((t) => t.name === 'public.apps')?.rows).toBe(rows.length);
    expect(JSON.stringify(manifest)).not.toContain(password);
  });

  it('verify checks a backup and changes nothing', async () => {
    const out = join(work, 'b1');
    const before = await takeSnapshot({ roots: [out] });
    const r = await runCli(['site', 'verify', out, '--passphrase-file', passFile], { netns: central().ns });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/verified/);
    expect(r.stdout).toMatch(/every SHA-256 matches/);
    expect(diffSnapshots(before, await takeSnapshot({ roots: [out] }))).toEqual([]);
  });

  it('a tampered backup is refused by verify with a clear error, and nothing changes', async () => {
    const good = join(work, 'b1');
    const cases: { name: string; damage: (dir: string) => Promise<void>; message: RegExp }[] = [
      {
        name: 'one byte of the dump',
        damage: async (dir) => {
          const f = join(dir, 'repository.dump');
          const b = await readFile(f);
          const i = Math.floor(b.length / 2);
          b[i] = b[i]! ^ 0xff;
          await writeFile(f, b);
        },
        message: /database dump was changed/,
      },
      {
        name: 'one byte of a share file',
        damage: async (dir) => {
          const f = join(dir, 'share', 'StaticContent', 'img', 'logo.png');
          const b = await readFile(f);
          b[1000] = b[1000]! ^ 0x01;
          await writeFile(f, b);
        },
        message: /StaticContent\/img\/logo\.png differs/,
      },
      { name: 'a truncated dump', damage: async (dir) => writeFile(join(dir, 'repository.dump'), (await readFile(join(dir, 'repository.dump'))).subarray(0, 100)), message: /truncated or changed/ },
      { name: 'a share file deleted', damage: async (dir) => rm(join(dir, 'share', 'CustomData', 'data.csv')), message: /CustomData\/data\.csv is missing/ },
      { name: 'a file added to the share copy', damage: async (dir) => writeFile(join(dir, 'share', 'Apps', 'planted.qvf'), 'x'), message: /Apps\/planted\.qvf is not in the backup/ },
      {
        name: 'the manifest edited to match a changed file',
        damage: async (dir) => {
          const outer = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { body: string };
          const body = JSON.parse(outer.body) as { share: { files: { path: string; size: number; sha256: string }[] } };
          const f = body.share.files.find((x) => x.path === 'CustomData/data.csv')!;
          await writeFile(join(dir, 'share', 'CustomData', 'data.csv'), 'a,b\n9,9\n');
          f.sha256 = sha256(Buffer.from('a,b\n9,9\n'));
          await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...outer, body: JSON.stringify(body, null, 1) }));
        },
        message: /was changed after the backup was made \(its seal does not verify\)/,
      },
      { name: 'the manifest removed', damage: async (dir) => rm(join(dir, 'manifest.json')), message: /holds no backup manifest/ },
    ];
    for (const [i, c] of cases.entries()) {
      const dir = join(work, `tampered-${i}`);
      await cp(good, dir, { recursive: true, preserveTimestamps: true });
      await c.damage(dir);
      const before = await takeSnapshot({ roots: [dir] });
      const r = await runCli(['site', 'verify', dir, '--passphrase-file', passFile], { netns: central().ns });
      expect(r.code, `${c.name}: ${r.stdout}\n${r.stderr}`).toBe(2);
      expect(r.stderr, c.name).toMatch(c.message);
      expect(diffSnapshots(before, await takeSnapshot({ roots: [dir] })), c.name).toEqual([]);
    }
    const wrong = join(work, 'wrong-passphrase');
    await writeFile(wrong, 'Another-Pass-93jf02\n', { mode: 0o600 });
    const r = await runCli(['site', 'verify', good, '--passphrase-file', wrong], { netns: central().ns });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/The passphrase is wrong for the backup/);
  });

  it('a backup into a folder that holds other files, or inside the share, is refused before any service stops', async () => {
    const other = join(work, 'not-a-backup');
    await mkdir(other);
    await writeFile(join(other, 'keep.txt'), 'mine');
    const logBefore = await readFile(join(central().dirs.dataDir, 'log', 'repository.log'), 'utf8');
    const r1 = await site(['backup', '--out', other, '--passphrase-file', passFile]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/is not empty and holds no site backup/);
    const r2 = await site(['backup', '--out', join(share.share, 'bk'), '--passphrase-file', passFile]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/must not contain each other/);
    const weak = join(work, 'weak');
    await writeFile(weak, 'short\n', { mode: 0o600 });
    const r3 = await site(['backup', '--out', join(work, 'b-weak'), '--passphrase-file', weak]);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/too short/);
    expect(await readFile(join(other, 'keep.txt'), 'utf8')).toBe('mine');
    await expect(stat(join(work, 'b-weak'))).rejects.toThrow();
    // No stop went out: the repository service logged no stop.
    const log = await readFile(join(central().dirs.dataDir, 'log', 'repository.log'), 'utf8');
    expect(log.slice(logBefore.length)).not.toMatch(/SIGTERM received/);
  });

  describe('restore', () => {
    const b2 = () => join(work, 'b2');
    /** What a user compares: every table's rows (nodes without their heartbeat time), every share file's SHA-256, the folders. */
    async function siteState(): Promise<{ tables: Record<string, unknown>; files: Record<string, string>; dirs: string[] }> {
      const tables: Record<string, unknown> = {};
      const names = await query<{ t: string }>("SELECT format('%I.%I', schemaname, tablename) AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
      for (const { t } of names) {
        const cols = t === 'public.nodes' ? 'hostname, is_central, registered_at' : '*';
        tables[t] = (await query<{ r: string }>(`SELECT (x)::text AS r FROM (SELECT ${cols} FROM ${t}) x ORDER BY 1`)).map((r) => r.r);
      }
      const dirs: string[] = [];
      const walk = async (rel: string): Promise<void> => {
        for (const e of await readdir(join(share.share, rel), { withFileTypes: true })) {
          if (!e.isDirectory()) continue;
          const r = rel ? `${rel}/${e.name}` : e.name;
          dirs.push(r);
          await walk(r);
        }
      };
      await walk('');
      return { tables, files: await fileSums(share.share), dirs: dirs.sort() };
    }
    let before: Awaited<ReturnType<typeof siteState>>;

    it('backup -> damage (rows deleted, a table dropped, one added, share files deleted, changed, added) -> restore: everything equal to before', async () => {
      await contentWriter(undefined);
      const r = await site(['backup', '--out', b2(), '--passphrase-file', passFile]);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      await waitFor('the services', servicesRunning);
      before = await siteState();
      expect((before.tables['public.apps'] as unknown[]).length).toBeGreaterThan(10);
      expect(Object.keys(before.files).length).toBeGreaterThan(10);

      await query('DELETE FROM apps WHERE id % 2 = 0');
      await query('DROP TABLE "SyncSessions"');
      // A table made after the backup, by the product (its role owns it).
      await query('CREATE TABLE public.junk (x int)');
      await query('ALTER TABLE public.junk OWNER TO qliksenserepository');
      const someApp = Object.keys(before.files).find((f) => f.startsWith('Apps/'))!;
      await rm(join(share.share, someApp));
      await rm(join(share.share, 'CustomData', 'data.csv'));
      await rm(join(share.share, 'CustomData', 'empty'), { recursive: true });
      await writeFile(join(share.share, 'StaticContent', 'img', 'deep', 'note.txt'), 'changed\n');
      await writeFile(join(share.share, 'Apps', 'after-backup.qvf'), 'new');
      const damaged = await siteState();
      expect(damaged).not.toEqual(before);

      // The plan first: it names what differs and changes nothing.
      const plan = await site(['restore', b2(), '--passphrase-file', passFile, '--plan']);
      expect(plan.code, `${plan.stdout}\n${plan.stderr}`).toBe(0);
      expect(plan.stdout).toMatch(/table public\.apps: \d+ rows, content differs/);
      expect(plan.stdout).toMatch(/table public\."SyncSessions" is missing/);
      expect(plan.stdout).toMatch(/table public\.junk is not in the backup/);
      expect(plan.stdout).toMatch(/REMOVE 1 file\(s\) the backup does not hold \(Apps\/after-backup\.qvf\)/);
      expect(plan.stdout).toMatch(/CustomData\/data\.csv/);
      expect(await siteState()).toEqual(damaged);
      // Without --yes: refused, nothing changed.
      const noYes = await site(['restore', b2(), '--passphrase-file', passFile]);
      expect(noYes.code).toBe(2);
      expect(noYes.stderr).toMatch(/run the command again with --yes/);
      expect(await siteState()).toEqual(damaged);

      const saved = join(work, 'before-restore');
      const res = await site(['restore', b2(), '--passphrase-file', passFile, '--yes', '--save-current', saved]);
      expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
      expect(res.stdout).toMatch(/Verified: \d+ table\(s\) and \d+ share file\(s\) equal the backup/);
      expect(res.stdout).toMatch(/tables the backup did not hold were dropped: public\.junk/);
      await waitFor('the services', servicesRunning);
      expect(await siteState()).toEqual(before);
      // Restored content belongs to the service account again.
      const owner = (await stat(join(share.share, 'CustomData', 'data.csv'))).uid;
      expect(owner).toBe((await stat(share.share)).uid);
      expect(owner).not.toBe(0);
      // What it overwrote was kept, as a backup that verifies.
      const v = await runCli(['site', 'verify', saved, '--passphrase-file', passFile], { netns: central().ns });
      expect(v.code, `${v.stdout}\n${v.stderr}`).toBe(0);
      expect((await fileSums(join(saved, 'share')))['Apps/after-backup.qvf']).toBe(sha256(Buffer.from('new')));
      // Again: it runs again to the same end (a running site never equals the backup exactly: nodes.last_seen heartbeats).
      const again = await site(['restore', b2(), '--passphrase-file', passFile, '--yes']);
      expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
      expect(again.stdout).toMatch(/Verified: \d+ table\(s\) and \d+ share file\(s\) equal the backup/);
      // Two backups, two restores and a verify of a 2-node site: minutes on a loaded machine.
    }, 600_000);

    it('a tampered backup, a wrong passphrase and a backup of another product are refused by restore, and nothing changes', async () => {
      await query('DELETE FROM apps WHERE id % 3 = 0');
      await writeFile(join(share.share, 'Apps', 'late.qvf'), 'late');
      const now = await siteState();
      const logBefore = await readFile(join(central().dirs.dataDir, 'log', 'repository.log'), 'utf8');
      const dumpTampered = join(work, 'r-dump');
      await cp(b2(), dumpTampered, { recursive: true, preserveTimestamps: true });
      const d = await readFile(join(dumpTampered, 'repository.dump'));
      const i = Math.floor(d.length / 3);
      d[i] = d[i]! ^ 0x20;
      await writeFile(join(dumpTampered, 'repository.dump'), d);
      const shareTampered = join(work, 'r-share');
      await cp(b2(), shareTampered, { recursive: true, preserveTimestamps: true });
      const f = join(shareTampered, 'share', 'StaticContent', 'img', 'logo.png');
      const b = await readFile(f);
      b[5] = b[5]! ^ 0x01;
      await writeFile(f, b);
      const foreign = join(work, 'r-foreign');
      await cp(b2(), foreign, { recursive: true, preserveTimestamps: true });
      const outer = JSON.parse(await readFile(join(foreign, 'manifest.json'), 'utf8')) as { body: string };
      const body = JSON.parse(outer.body) as ManifestBody;
      await writeFile(join(foreign, 'manifest.json'), await sealManifest({ ...body, product: { id: 'qlik-sense', version: body.product.version } }, 'Backup-Pass-7fK2q9Lm'));
      const wrong = join(work, 'wrong-passphrase');
      const cases: [string, string[], RegExp][] = [
        ['dump', [dumpTampered, '--passphrase-file', passFile], /database dump was changed/],
        ['share file', [shareTampered, '--passphrase-file', passFile], /StaticContent\/img\/logo\.png differs/],
        ['wrong passphrase', [b2(), '--passphrase-file', wrong], /The passphrase is wrong/],
        ['other product', [foreign, '--passphrase-file', passFile], /is of the product qlik-sense; this site runs reference/],
      ];
      for (const [name, args, message] of cases) {
        const r = await site(['restore', ...args, '--yes']);
        expect(r.code, `${name}: ${r.stdout}\n${r.stderr}`).toBe(2);
        expect(r.stderr, name).toMatch(message);
      }
      expect(await siteState()).toEqual(now);
      const log = await readFile(join(central().dirs.dataDir, 'log', 'repository.log'), 'utf8');
      expect(log.slice(logBefore.length)).not.toMatch(/SIGTERM received/);
      expect(await servicesRunning()).toBe(true);
    });
  });
});
