/**
 * Issue 15 on an existing site: a dedicated Debian PostgreSQL 15 server (namespace DB), a central
 * node A and rim nodes B and C, installed without SSL. A bad certificate is refused by site ssl
 * enable before any change. Then one `site ssl enable` (run on the database server) turns SSL on
 * in an order that never cuts a node off: the server accepts both, every node switches through its
 * agent, pg_stat_ssl shows every node encrypted, then plain logins are refused. Captures on the
 * database's namespace show the heartbeat SQL in clear before and none after; the nodes keep
 * heartbeating and their services run. Then `site password rotate`: the old password no longer
 * logs in, every node reconnects with the new one, services up.
 */
import { chmod, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { issueServerCert, makeCa } from '../../electron/system/tls/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureWhile } from '../support/capture.js';
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

interface NodeSsl {
  hostname: string;
  connections: number;
  encrypted: number;
  versions: string[];
}

describe.skipIf(skip)(`SSL turned on for a running site${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const subnet = randomSubnet();
  const hub = clusterNetnsName('hub');
  const nsDb = clusterNetnsName('db');
  const nsA = clusterNetnsName('a');
  const nsB = clusterNetnsName('b');
  const nsC = clusterNetnsName('c');
  const ipDb = `${subnet}.1`;
  const ipA = `${subnet}.2`;
  const ipB = `${subnet}.3`;
  const ipC = `${subnet}.4`;
  const user = accountName('tlss');
  let password = randomPassword();
  let server: TestServer;
  let dbDirs: NodeDirs;
  let a: NodeDirs;
  let b: NodeDirs;
  let c: NodeDirs;
  let share: Awaited<ReturnType<typeof makeShare>>;

  const settingsFor = (dirs: NodeDirs, mode: 'create' | 'join', hostname: string, extra: Record<string, unknown> = {}) => {
    const doc = nodeSettings({ dirs, mode, dbInstall: 'existing', dbHost: ipDb, dbPort: server.port, password, shareRoot: share.share, hostname, user, plannedNodes: 3 });
    // What a bundle carries to a rim node: the central node's site key.
    const cluster = mode === 'join' ? { ...(doc.cluster as Record<string, unknown>), siteKey: { file: join(a.stateDir, 'site.key') } } : doc.cluster;
    return { ...doc, cluster, database: { ...(doc.database as Record<string, unknown>), ...extra } };
  };
  const serverSettings = (ssl: 'disable' | 'require' | 'verify-full', extra: Record<string, unknown> = {}) =>
    writeSettings(dbDirs.settingsFile, settingsFor(dbDirs, 'create', ipDb, { superuserPassword: server.password, ssl, listener: { listenAddresses: ['127.0.0.1', ipDb], ipRanges: [`${subnet}.0/24`], maxConnections: 300 }, ...extra }));
  const prepare = async (ssl: 'disable' | 'require', flags: string[] = []) => {
    const r = await runCli(['db', 'prepare', '--settings', await serverSettings(ssl), ...flags], { netns: nsDb, timeoutMs: 120_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    return r;
  };
  const enable = async (serverFile: string) => runCli(['site', 'ssl', 'enable', '--settings', a.settingsFile, '--server-settings', serverFile, '--timeout', '150'], { netns: nsDb, timeoutMs: 400_000 });
  const psql = (ns: string, pw: string, sslmode: string) =>
    execBounded('ip', ['netns', 'exec', ns, 'psql', `host=${ipDb} port=${server.port} user=qliksenserepository dbname=QSR sslmode=${sslmode} connect_timeout=5`, '-Atc', 'SELECT 1'], { env: { PGPASSWORD: pw } });
  // What a change on the server or a node would touch: the server's config and data folder, every node's connection string.
  const machine = async () => ({
    hba: await readFile(server.hbaPath, 'utf8'),
    conf: await readFile(server.confPath, 'utf8'),
    data: (await readdir(server.dataDir)).filter((f) => !f.startsWith('postmaster')).sort(),
    strings: await Promise.all([a, b, c].map((d) => readFile(join(d.dataDir, 'secrets', 'repository.connection'), 'utf8'))),
  });
  const servicesUp = async () => {
    const status = await runCli(['site', 'status', '--settings', a.settingsFile, '--json'], { netns: nsA, timeoutMs: 60_000 });
    expect(status.code, status.stderr).toBe(0);
    const nodes = (JSON.parse(status.stdout) as { nodes: { hostname: string; reachable: boolean; services: { state: string }[] }[] }).nodes;
    expect(nodes.map((n) => `${n.hostname} ${n.reachable}`).sort()).toEqual([`${ipA} true`, `${ipB} true`, `${ipC} true`]);
    for (const n of nodes) expect(n.services.filter((s) => s.state !== 'running'), n.hostname).toEqual([]);
  };
  const sslStatus = async () => {
    const r = await runCli(['site', 'ssl', 'status', '--settings', a.settingsFile, '--json'], { netns: nsA, timeoutMs: 60_000 });
    return { code: r.code, nodes: (r.code <= 1 ? JSON.parse(r.stdout) : []) as NodeSsl[], out: `${r.stdout}\n${r.stderr}` };
  };
  const heartbeats = async () => {
    const c = await server.connect({ database: 'QSR' });
    try {
      return Object.fromEntries((await c.query<{ hostname: string; t: string }>('SELECT hostname, last_seen::text AS t FROM nodes')).map((r) => [r.hostname, r.t]));
    } finally {
      await c.close();
    }
  };
  const waitForNewHeartbeats = async (since: Record<string, string>) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const now = await heartbeats();
      if ([ipA, ipB, ipC].every((h) => now[h] !== undefined && now[h] !== since[h])) return now;
      if (Date.now() > deadline) throw new Error(`no new heartbeat: ${JSON.stringify({ since, now })}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  beforeAll(async () => {
    share = await makeShare();
    await createHub(hub);
    await attachNode(hub, nsDb, `${ipDb}/24`);
    await attachNode(hub, nsA, `${ipA}/24`);
    await attachNode(hub, nsB, `${ipB}/24`);
    await attachNode(hub, nsC, `${ipC}/24`);
    dbDirs = await makeNodeDirs('tlssdb');
    a = await makeNodeDirs('tlssa');
    b = await makeNodeDirs('tlssb');
    c = await makeNodeDirs('tlssc');
    server = await startTestServer({ flavor: 'debian15', netns: nsDb, port: await freePort(), listenAddresses: `127.0.0.1,${ipDb}` });
  });

  afterAll(async () => {
    for (const d of [c, b, a, dbDirs]) if (d) await cleanupNode(d);
    await server?.stop();
    await deleteClusterNetns();
    await share?.cleanup();
    await removeUser(user);
  });

  it('a site without SSL: db prepare, A creates, B and C join; its heartbeats are SQL in clear', async () => {
    await prepare('disable');
    const ra = await runCli(['install', '--settings', await writeSettings(a.settingsFile, settingsFor(a, 'create', ipA)), '--yes'], { netns: nsA, timeoutMs: 170_000 });
    expect(ra.code, `${ra.stdout}\n${ra.stderr}`).toBe(0);
    const rb = await runCli(['install', '--settings', await writeSettings(b.settingsFile, settingsFor(b, 'join', ipB)), '--yes'], { netns: nsB, timeoutMs: 170_000 });
    expect(rb.code, `${rb.stdout}\n${rb.stderr}`).toBe(0);
    const rc = await runCli(['install', '--settings', await writeSettings(c.settingsFile, settingsFor(c, 'join', ipC)), '--yes'], { netns: nsC, timeoutMs: 170_000 });
    expect(rc.code, `${rc.stdout}\n${rc.stderr}`).toBe(0);
    const cap = await captureWhile(nsDb, server.port, join(dbDirs.root, 'before.pcap'), 8, async () => undefined);
    expect((await cap.bytes()).includes(Buffer.from('UPDATE nodes SET last_seen')), 'the heartbeat SQL is readable before SSL').toBe(true);
    const st = await sslStatus();
    expect(st.code, st.out).toBe(1);
    expect(st.nodes.map((n) => n.encrypted)).toEqual([0, 0, 0]);
  }, 540_000); // three installs one after the other, each allowed 170 s

  it('site ssl enable refuses a key of another certificate and an expired certificate before any change', async () => {
    const ca = await makeCa({ commonName: 'test CA', validDays: 30 });
    const good = await issueServerCert({ ca, names: [ipDb], validDays: 30 });
    const other = await issueServerCert({ ca, names: [ipDb], validDays: 30 });
    const expired = await issueServerCert({ ca, names: [ipDb], validDays: 1, now: new Date(Date.now() - 10 * 86_400_000) });
    const otherHost = await issueServerCert({ ca, names: ['db.other.example'], validDays: 30 });
    const put = async (name: string, text: string) => {
      await writeFile(join(dbDirs.root, name), text, { mode: 0o600 });
      await chmod(join(dbDirs.root, name), 0o600);
      return join(dbDirs.root, name);
    };
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['wrong key', { certFile: await put('a.pem', good.certPem), keyFile: await put('a.key', other.keyPem) }, /the private key does not belong to the certificate/],
      ['expired', { certFile: await put('e.pem', expired.certPem), keyFile: await put('e.key', expired.keyPem) }, /the certificate expired on/],
      ['other host', { certFile: await put('o.pem', otherHost.certPem), keyFile: await put('o.key', otherHost.keyPem) }, new RegExp(`does not name ${ipDb.replace(/\./g, '\\.')}`)],
    ];
    const before = await machine();
    // verify-full where the nodes' host (ipDb) would not be in the certificate the server gets (it names 127.0.0.1 only).
    const notNamed = await enable(await serverSettings('verify-full', { host: '127.0.0.1' }));
    expect(notNamed.code, `${notNamed.stdout}\n${notNamed.stderr}`).toBe(2);
    expect(notNamed.stderr).toMatch(new RegExp(`The nodes connect to the database as ${ipDb.replace(/\./g, '\\.')}, which the server certificate would not name \\(it names 127\\.0\\.0\\.1\\)`));
    expect(await machine(), 'host not in the certificate').toEqual(before);
    for (const [what, tls, message] of cases) {
      const r = await enable(await serverSettings('require', { tls }));
      expect(r.code, `${what}: ${r.stdout}\n${r.stderr}`).toBe(2);
      expect(`${r.stdout}\n${r.stderr}`, what).toMatch(message);
      expect(await machine(), what).toEqual(before);
    }
    expect((await psql(nsB, password, 'disable')).stdout.trim(), 'plain still works after the refusals').toBe('1');
  });

  it('one site ssl enable: nobody is cut off, every node ends encrypted, plain logins refused, no SQL on the wire', async () => {
    const before = await heartbeats();
    const t0 = Date.now();
    const r = await enable(await serverSettings('require'));
    const took = Date.now() - t0;
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    console.log(`site ssl enable on 3 nodes took ${took} ms`);
    // The order the command took: accept both, switch each node, see them encrypted, then SSL only.
    const order = ['1/4 The server accepts SSL', '2/4 Every node switches', '3/4 Waiting', '4/4 Plain connections'].map((l) => r.stdout.indexOf(l));
    expect(order.every((x, i) => x >= 0 && (i === 0 || x > order[i - 1]!)), r.stdout).toBe(true);
    for (const ip of [ipA, ipB, ipC]) expect(r.stdout).toMatch(new RegExp(`${ip.replace(/\./g, '\\.')} +done +connection string sslMode set; restarted`));
    expect(r.stdout).toMatch(/hostnossl "?all"? +qliksenserepository +0\.0\.0\.0\/0 +reject/);
    // Nobody was cut off for good: every node heartbeats again over SSL.
    await waitForNewHeartbeats(before);
    await writeSettings(a.settingsFile, settingsFor(a, 'create', ipA, { ssl: 'require' }));
    const st = await sslStatus();
    expect(st.code, st.out).toBe(0);
    expect(st.nodes.map((n) => n.hostname).sort()).toEqual([ipA, ipB, ipC]);
    for (const n of st.nodes) {
      expect(n.connections, n.hostname).toBeGreaterThan(0);
      expect(n.encrypted, n.hostname).toBe(n.connections);
      expect(n.versions.every((v) => /^TLSv1\.[23]$/.test(v)), n.versions.join()).toBe(true);
    }
    const plain = await psql(nsB, password, 'disable');
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toMatch(/rejects connection .* no encryption/);
    expect((await psql(nsB, password, 'require')).stdout.trim()).toBe('1');
    await waitForNewHeartbeats(await heartbeats());
    const cap = await captureWhile(nsDb, server.port, join(dbDirs.root, 'after.pcap'), 8, async () => undefined);
    const bytes = await cap.bytes();
    expect(await cap.count('tcp.len > 0', server.port), 'the nodes sent data during the capture').toBeGreaterThan(0);
    expect(bytes.includes(Buffer.from('last_seen')), 'no heartbeat SQL in clear after SSL').toBe(false);
    expect(bytes.includes(Buffer.from(password)), 'no password on the wire').toBe(false);
    await servicesUp();
  });

  it('site ssl enable with verify-full: every node gets the site CA and VerifyFull; a server certificate of another CA or for another host is then refused by the nodes', async () => {
    const before = await heartbeats();
    const r = await enable(await serverSettings('verify-full'));
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/2\/4 Every node switches to Ssl Mode=VerifyFull/);
    expect(r.stdout).toMatch(/write the CA the node verifies the server with \(CN=spsetup site CA/);
    const siteCa = await readFile(join(dbDirs.stateDir, 'tls', 'ca.pem'), 'utf8');
    for (const d of [a, b, c]) {
      const text = await readFile(join(d.dataDir, 'secrets', 'repository.connection'), 'utf8');
      expect(text).toMatch(/Ssl Mode=VerifyFull/);
      expect(text).toContain(`Root Certificate=${join(d.dataDir, 'database-ca.pem')}`);
      expect(await readFile(join(d.dataDir, 'database-ca.pem'), 'utf8'), d.dataDir).toBe(siteCa);
    }
    await waitForNewHeartbeats(before);
    await writeSettings(a.settingsFile, settingsFor(a, 'create', ipA, { ssl: 'verify-full' }));
    const st = await sslStatus();
    expect(st.code, st.out).toBe(0);
    await servicesUp();

    // The nodes now check the server: swap in certificates they must refuse, see spsetup on node A refuse them, put the right one back.
    const certPath = join(server.dataDir, 'server.pem');
    const keyPath = join(server.dataDir, 'server_key.pem');
    const good = { cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8') };
    const owner = (await stat(server.dataDir)).uid;
    const served = async () => (await execBounded('ip', ['netns', 'exec', nsA, 'sh', '-c', `openssl s_client -starttls postgres -connect ${ipDb}:${server.port} </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256`])).stdout.trim();
    const serve = async (pair: { cert: string; key: string }) => {
      const was = await served();
      await writeFile(keyPath, pair.key, { mode: 0o600 });
      await writeFile(certPath, pair.cert, { mode: 0o600 });
      await execBounded('chown', [String(owner), keyPath, certPath]);
      const conn = await server.connect();
      try {
        await conn.query('SELECT pg_reload_conf()');
      } finally {
        await conn.close();
      }
      const deadline = Date.now() + 10_000;
      while ((await served()) === was && Date.now() < deadline) await new Promise((res) => setTimeout(res, 200));
    };
    const siteCaPair = { certPem: siteCa, keyPem: await readFile(join(dbDirs.stateDir, 'tls', 'ca.key'), 'utf8') };
    const foreign = await issueServerCert({ ca: await makeCa({ commonName: 'another CA', validDays: 30 }), names: [ipDb], validDays: 30 });
    const wrongName = await issueServerCert({ ca: siteCaPair, names: ['db.other.example'], validDays: 30 });
    try {
      await serve({ cert: foreign.certPem, key: foreign.keyPem });
      const r1 = await runCli(['site', 'status', '--settings', a.settingsFile], { netns: nsA, timeoutMs: 60_000 });
      expect(r1.code, `${r1.stdout}\n${r1.stderr}`).not.toBe(0);
      expect(r1.stderr).toMatch(new RegExp(`The database server at ${ipDb.replace(/\./g, '\\.')}:\\d+ presented a certificate that cannot be trusted \\((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\\)`));
      const p1 = await execBounded('ip', ['netns', 'exec', nsB, 'psql', `host=${ipDb} port=${server.port} user=qliksenserepository dbname=QSR sslmode=verify-full sslrootcert=${join(b.dataDir, 'database-ca.pem')} connect_timeout=5`, '-Atc', 'SELECT 1'], { env: { PGPASSWORD: password } });
      expect(p1.code).not.toBe(0);
      expect(p1.stderr).toMatch(/certificate verify failed/);
      await serve({ cert: wrongName.certPem, key: wrongName.keyPem });
      const r2 = await runCli(['site', 'status', '--settings', a.settingsFile], { netns: nsA, timeoutMs: 60_000 });
      expect(r2.code, `${r2.stdout}\n${r2.stderr}`).not.toBe(0);
      expect(r2.stderr).toMatch(/presented a certificate that cannot be trusted \(ERR_TLS_CERT_ALTNAME_INVALID\)/);
    } finally {
      await serve(good);
    }
    await waitForNewHeartbeats(await heartbeats());
    await servicesUp();
  }, 400_000); // an enable on 3 nodes (its own bound 400 s) and four certificate swaps

  it('site status shows when the database certificate ends; site ssl renew serves a new one, the nodes keep running', async () => {
    const statusCert = async () => {
      const r = await runCli(['site', 'status', '--settings', a.settingsFile, '--json'], { netns: nsA, timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { databaseCertificate?: { notAfter: string; daysLeft: number; subject: string } }).databaseCertificate;
    };
    const first = await statusCert();
    expect(first, 'site status names the certificate').toBeDefined();
    expect(first!.daysLeft).toBeGreaterThan(800);
    const text = await runCli(['site', 'status', '--settings', a.settingsFile], { netns: nsA, timeoutMs: 60_000 });
    expect(text.stdout).toMatch(new RegExp(`Database certificate .*valid until ${first!.notAfter.slice(0, 10)} \\(\\d+ days left\\)`));
    const fingerprint = async () => (await execBounded('ip', ['netns', 'exec', nsA, 'sh', '-c', `openssl s_client -starttls postgres -connect ${ipDb}:${server.port} </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256`])).stdout.trim();
    const oldPrint = await fingerprint();
    expect(oldPrint).toMatch(/Fingerprint=/);
    const before = await heartbeats();
    const r = await runCli(['site', 'ssl', 'renew', '--server-settings', await serverSettings('require')], { netns: nsDb, timeoutMs: 200_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/renewal asked for/);
    expect(r.stdout).toMatch(/The server presents the new certificate/);
    expect(await fingerprint(), 'a new certificate is served').not.toBe(oldPrint);
    await waitForNewHeartbeats(before);
    expect((await psql(nsB, password, 'require')).stdout.trim()).toBe('1');
    await servicesUp();
  });

  it('site password rotate on the 3 nodes: the old password no longer logs in, every node reconnects, services up', async () => {
    const old = password;
    password = randomPassword();
    const file = join(a.root, 'new-password');
    await writeFile(file, `${password}\n`, { mode: 0o600 });
    const before = await heartbeats();
    const t0 = Date.now();
    const r = await runCli(['site', 'password', 'rotate', '--settings', a.settingsFile, '--password-file', file, '--timeout', '150'], { netns: nsA, timeoutMs: 200_000 });
    console.log(`site password rotate on 3 nodes took ${Date.now() - t0} ms`);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/The old password no longer logs in/);
    expect(r.stdout).not.toContain(password);
    for (const d of [a, b, c]) expect(await readFile(join(d.dataDir, 'secrets', 'repository.connection'), 'utf8')).toContain(`Password='${password}'`);
    const refused = await psql(nsC, old, 'require');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/password authentication failed/);
    expect((await psql(nsC, password, 'require')).stdout.trim()).toBe('1');
    await waitForNewHeartbeats(before);
    await servicesUp();
    // The same password again is refused before anything is sent.
    const again = await runCli(['site', 'password', 'rotate', '--settings', a.settingsFile, '--password-file', file], { netns: nsA, timeoutMs: 60_000 });
    expect(again.code, again.stdout).toBe(2);
    expect(`${again.stdout}\n${again.stderr}`).toMatch(/the one in use/);
  });
});
