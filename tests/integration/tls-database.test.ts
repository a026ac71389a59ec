/**
 * Issue 15: database traffic encryption on a dedicated Debian PostgreSQL 15 server in its own
 * network namespace. Bad certificates are refused by `db prepare` with nothing changed; then db
 * prepare with verify-full makes a site CA and a server certificate, turns SSL on (TLS 1.2 at
 * least) and keeps the repository role on hostssl; from a client namespace a non-SSL login is
 * refused, SSL works, and a certificate for another host name is refused under verify-full; a
 * node installed with verify-full talks to the database only over TLS (a tshark capture on the
 * database's namespace during the repository's heartbeats holds no SQL, while a plaintext probe
 * in the same capture is readable); a rim node joined from that node's bundle trusts the CA the
 * bundle carried.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, readFile, readdir, stat, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { issueServerCert, makeCa } from '../../electron/system/tls/index.js';
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

describe.skipIf(skip)(`database traffic encryption${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const subnet = randomSubnet();
  const hub = clusterNetnsName('hub');
  const nsDb = clusterNetnsName('db');
  const nsA = clusterNetnsName('a');
  const nsC = clusterNetnsName('c');
  const nsB = clusterNetnsName('b');
  const ipDb = `${subnet}.1`;
  const ipA = `${subnet}.2`;
  const ipC = `${subnet}.9`;
  const ipB = `${subnet}.3`;
  const user = accountName('tls');
  const password = randomPassword();
  let server: TestServer;
  let dbDirs: NodeDirs;
  let a: NodeDirs;
  let b: NodeDirs;
  let share: Awaited<ReturnType<typeof makeShare>>;

  const prepareSettings = (extra: Record<string, unknown> = {}) => {
    const doc = nodeSettings({ dirs: dbDirs, mode: 'create', dbInstall: 'existing', dbHost: ipDb, dbPort: server.port, password, shareRoot: share.share, hostname: ipDb, user });
    return {
      ...doc,
      database: {
        ...(doc.database as Record<string, unknown>),
        superuserPassword: server.password,
        listener: { listenAddresses: ['127.0.0.1', ipDb], ipRanges: [`${subnet}.0/24`], maxConnections: 300 },
        ssl: 'verify-full',
        ...extra,
      },
    };
  };
  const caFile = () => join(dbDirs.stateDir, 'tls', 'ca.pem');

  const psql = (conninfo: string, sql = 'SELECT 1', env: Record<string, string> = { PGPASSWORD: password }) =>
    execBounded('ip', ['netns', 'exec', nsC, 'psql', `${conninfo} port=${server.port} user=qliksenserepository dbname=QSR connect_timeout=5`, '-Atc', sql], { env, timeoutMs: 15_000 });

  async function serverFiles(): Promise<{ conf: string; hba: string; data: string[] }> {
    return { conf: await readFile(server.confPath, 'utf8'), hba: await readFile(server.hbaPath, 'utf8'), data: (await readdir(server.dataDir)).sort() };
  }

  beforeAll(async () => {
    share = await makeShare();
    await createHub(hub);
    await attachNode(hub, nsDb, `${ipDb}/24`);
    await attachNode(hub, nsA, `${ipA}/24`);
    await attachNode(hub, nsC, `${ipC}/24`);
    await attachNode(hub, nsB, `${ipB}/24`);
    dbDirs = await makeNodeDirs('tlsdb');
    a = await makeNodeDirs('tlsa');
    b = await makeNodeDirs('tlsb');
    server = await startTestServer({ flavor: 'debian15', netns: nsDb, port: await freePort(), listenAddresses: `127.0.0.1,${ipDb}` });
  });

  afterAll(async () => {
    for (const d of [b, a, dbDirs]) if (d) await cleanupNode(d);
    await server?.stop();
    await deleteClusterNetns();
    await share?.cleanup();
    await removeUser(user);
  });

  it('refuses a key of another certificate, an expired certificate, a host name not in it and a key others can read, changing nothing', async () => {
    const ca = await makeCa({ commonName: 'test CA', validDays: 30 });
    const good = await issueServerCert({ ca, names: [ipDb], validDays: 30 });
    const other = await issueServerCert({ ca, names: [ipDb], validDays: 30 });
    const expired = await issueServerCert({ ca, names: [ipDb], validDays: 1, now: new Date(Date.now() - 10 * 86_400_000) });
    const otherHost = await issueServerCert({ ca, names: ['db.other.example'], validDays: 30 });
    const dir = join(dbDirs.root, 'given');
    await execBounded('mkdir', ['-p', dir]);
    const put = async (name: string, text: string, mode = 0o600) => {
      await writeFile(join(dir, name), text, { mode });
      await chmod(join(dir, name), mode);
      return join(dir, name);
    };
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['wrong key', { certFile: await put('a.pem', good.certPem), keyFile: await put('a.key', other.keyPem) }, /the private key does not belong to the certificate/],
      ['expired', { certFile: await put('e.pem', expired.certPem), keyFile: await put('e.key', expired.keyPem) }, /the certificate expired on/],
      ['other host', { certFile: await put('o.pem', otherHost.certPem), keyFile: await put('o.key', otherHost.keyPem) }, new RegExp(`does not name ${ipDb.replace(/\./g, '\\.')}`)],
      ['key readable by others', { certFile: await put('r.pem', good.certPem), keyFile: await put('r.key', good.keyPem, 0o644) }, /may be read or changed by other users \(mode 644\)/],
    ];
    const before = await serverFiles();
    for (const [what, tls, message] of cases) {
      const file = await writeSettings(dbDirs.settingsFile, prepareSettings({ tls }));
      const r = await runCli(['db', 'prepare', '--settings', file], { netns: nsDb, timeoutMs: 120_000 });
      expect(r.code, `${what}: ${r.stdout}\n${r.stderr}`).toBe(2);
      expect(`${r.stdout}\n${r.stderr}`, what).toMatch(message);
      expect(await serverFiles(), what).toEqual(before);
    }
    const c = await server.connect();
    try {
      expect((await c.query<{ v: string }>("SELECT current_setting('ssl') AS v"))[0]!.v).toBe('off');
    } finally {
      await c.close();
    }
  });

  it('db prepare with verify-full: a site CA, the server certificate (key 0600, the server account), ssl on with TLS 1.2, hostssl only; a second run changes nothing', async () => {
    const file = await writeSettings(dbDirs.settingsFile, prepareSettings());
    const r = await runCli(['db', 'prepare', '--settings', file], { netns: nsDb, timeoutMs: 120_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Make a server certificate for ${ipDb.replace(/\./g, '\\.')}, valid 825 days, signed by the site CA .*ca\\.pem \\(made now\\)`));
    expect(r.stdout).toMatch(/^\s+\+ssl = 'on'$/m);
    expect(r.stdout).toMatch(/^\s+\+hostnossl all +qliksenserepository +0\.0\.0\.0\/0 +reject$/m);
    const key = await stat(join(server.dataDir, 'server_key.pem'));
    const dataOwner = (await stat(server.dataDir)).uid;
    expect((key.mode & 0o777).toString(8)).toBe('600');
    expect(key.uid).toBe(dataOwner);
    expect(((await stat(join(dbDirs.stateDir, 'tls', 'ca.key'))).mode & 0o777).toString(8)).toBe('600');
    const c = await server.connect();
    try {
      const settings = await c.query<{ name: string; setting: string }>(
        "SELECT name, setting FROM pg_settings WHERE name IN ('ssl', 'ssl_cert_file', 'ssl_key_file', 'ssl_min_protocol_version') ORDER BY name",
      );
      expect(settings).toEqual([
        { name: 'ssl', setting: 'on' },
        { name: 'ssl_cert_file', setting: 'server.pem' },
        { name: 'ssl_key_file', setting: 'server_key.pem' },
        { name: 'ssl_min_protocol_version', setting: 'TLSv1.2' },
      ]);
      const rules = await c.query<{ type: string; database: string[]; address: string | null; auth_method: string }>(
        `SELECT type, database, address, auth_method FROM pg_hba_file_rules WHERE error IS NULL AND 'qliksenserepository' = ANY(user_name) ORDER BY line_number`,
      );
      expect(rules.map((x) => `${x.type} ${x.database.join(',')} ${x.address} ${x.auth_method}`)).toEqual([
        `hostssl QSR ${subnet}.0 scram-sha-256`,
        'hostnossl all 0.0.0.0 reject',
        'hostnossl all :: reject',
      ]);
      const verifier = await c.query<{ p: string }>("SELECT rolpassword AS p FROM pg_authid WHERE rolname = 'qliksenserepository'");
      expect(verifier[0]!.p).toMatch(/^SCRAM-SHA-256\$/);
    } finally {
      await c.close();
    }
    const again = await runCli(['db', 'prepare', '--settings', file], { netns: nsDb, timeoutMs: 120_000 });
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
    const finished = again.stdout.split('\n').filter((l) => /^\[\d+\/\d+\] (changed|unchanged):/.test(l));
    expect(finished.length).toBe(4);
    expect(finished.filter((l) => / changed:/.test(l))).toEqual([]);
  });

  it('db prepare renews a certificate near its end and the server serves the new one at once (it reloads)', async () => {
    // A 5-day certificate from the site CA installed and served: db prepare renews below 30 days left.
    const ca = { certPem: await readFile(caFile(), 'utf8'), keyPem: await readFile(join(dbDirs.stateDir, 'tls', 'ca.key'), 'utf8') };
    const short = await issueServerCert({ ca, names: [ipDb], validDays: 5 });
    const owner = (await stat(server.dataDir)).uid;
    for (const [name, text] of [['server_key.pem', short.keyPem], ['server.pem', short.certPem]] as const) {
      await writeFile(join(server.dataDir, name), text, { mode: 0o600 });
      await execBounded('chown', [String(owner), join(server.dataDir, name)]);
    }
    const reload = async () => {
      const c = await server.connect();
      try {
        await c.query('SELECT pg_reload_conf()');
      } finally {
        await c.close();
      }
    };
    await reload();
    const servedEnd = async () => {
      const out = (await execBounded('ip', ['netns', 'exec', nsC, 'sh', '-c', `openssl s_client -starttls postgres -connect ${ipDb}:${server.port} </dev/null 2>/dev/null | openssl x509 -noout -enddate`])).stdout.trim();
      return new Date(out.replace(/^notAfter=/, '')).getTime() - Date.now();
    };
    const deadline = Date.now() + 10_000;
    while ((await servedEnd()) > 6 * 86_400_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await servedEnd(), 'the 5-day certificate is served before db prepare').toBeLessThan(6 * 86_400_000);
    const r = await runCli(['db', 'prepare', '--settings', await writeSettings(dbDirs.settingsFile, prepareSettings())], { netns: nsDb, timeoutMs: 120_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/Make a server certificate .*\(the installed one ends \d{4}-\d{2}-\d{2}\)/);
    // Only the certificate changed (no setting to reload for): the server must present the new one now, without our reload.
    expect(await servedEnd(), 'the new certificate is served right after db prepare').toBeGreaterThan(800 * 86_400_000);
    expect((await psql(`host=${ipDb} sslmode=verify-full sslrootcert=${caFile()}`)).stdout.trim()).toBe('1');
  });

  it('from another namespace: a non-SSL login is refused, SSL works (TLS 1.2+), verify-full checks the CA and the host name', async () => {
    const plain = await psql(`host=${ipDb} sslmode=disable`);
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toContain(`pg_hba.conf rejects connection for host "${ipC}", user "qliksenserepository", database "QSR", no encryption`);
    const req = await psql(`host=${ipDb} sslmode=require`, 'SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    expect(req.stderr).toBe('');
    expect(req.stdout.trim()).toMatch(/^t\|TLSv1\.[23]$/);
    const ca = caFile();
    const full = await psql(`host=${ipDb} sslmode=verify-full sslrootcert=${ca}`);
    expect(full.stderr).toBe('');
    expect(full.stdout.trim()).toBe('1');
    const otherName = await psql(`host=db.other.example hostaddr=${ipDb} sslmode=verify-full sslrootcert=${ca}`);
    expect(otherName.code).not.toBe(0);
    expect(otherName.stderr).toMatch(/server certificate for "\S+" (\(and \d+ other names?\) )?does not match host name "db\.other\.example"/);
    const otherCa = join(dbDirs.root, 'other-ca.pem');
    await writeFile(otherCa, (await makeCa({ commonName: 'not the site CA', validDays: 1 })).certPem);
    const wrongCa = await psql(`host=${ipDb} sslmode=verify-full sslrootcert=${otherCa}`);
    expect(wrongCa.code).not.toBe(0);
    expect(wrongCa.stderr).toMatch(/certificate verify failed/);
    const old = await psql(`host=${ipDb} sslmode=require ssl_max_protocol_version=TLSv1.1`);
    expect(old.code).not.toBe(0);
  });

  it('a node installed with verify-full talks to the database only over TLS: no SQL in a capture of its heartbeats', async () => {
    const nodeCa = join(a.root, 'site-ca.pem');
    await copyFile(caFile(), nodeCa);
    const doc = nodeSettings({ dirs: a, mode: 'create', dbInstall: 'existing', dbHost: ipDb, dbPort: server.port, password, shareRoot: share.share, hostname: ipA, user });
    const settings = { ...doc, database: { ...(doc.database as Record<string, unknown>), ssl: 'verify-full', tls: { caFile: nodeCa } } };
    const ra = await runCli(['install', '--settings', await writeSettings(a.settingsFile, settings), '--yes'], { netns: nsA, timeoutMs: 170_000 });
    expect(ra.code, `${ra.stdout}\n${ra.stderr}`).toBe(0);
    const marker = `plaintext-probe-${Date.now()}`;
    const cap = await captureWhile(nsDb, server.port, join(dbDirs.root, 'heartbeat.pcap'), 13, async () => {
      // A plaintext login attempt in the same capture: proof the capture would show what is not encrypted.
      await psql(`host=${ipDb} sslmode=disable application_name=${marker}`);
    });
    const bytes = await cap.bytes();
    expect(bytes.includes(Buffer.from(marker)), 'the plaintext probe is readable in the capture').toBe(true);
    const protocols = JSON.stringify(await cap.protocols(server.port));
    const fromNode = await cap.count(`ip.src == ${ipA} && tcp.len > 0`, server.port);
    expect(fromNode, `the node sent data during the capture: ${protocols}`).toBeGreaterThan(0);
    expect(await cap.count(`ip.src == ${ipA} && tls.app_data`, server.port, 'tls'), 'the heartbeats went as TLS application data').toBeGreaterThan(0);
    expect(await cap.count(`ip.src == ${ipA} && tcp.len > 0 && !tls`, server.port, 'tls'), 'every data frame of the node is TLS').toBe(0);
    expect(await cap.count('pgsql.query', server.port), 'no SQL query in clear').toBe(0);
    for (const clear of ['UPDATE', 'SELECT', 'last_seen', password]) expect(bytes.includes(Buffer.from(clear)), `"${clear === password ? 'the password' : clear}" on the wire`).toBe(false);
    const c = await server.connect();
    try {
      const rows = await c.query<{ app: string; ssl: boolean }>(
        "SELECT a.application_name AS app, s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s ON s.pid = a.pid WHERE a.usename = 'qliksenserepository' ORDER BY 1",
      );
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.filter((r) => !r.ssl)).toEqual([]);
    } finally {
      await c.close();
    }
  });

  it('a rim node joined from that node\'s bundle gets the CA from the bundle and verifies the server with it', async () => {
    const bundle = join(a.root, 'cluster.spbundle');
    const passFile = join(a.root, 'passphrase');
    const exported = await runCli(['bundle', 'export', '--settings', a.settingsFile, '--out', bundle, '--generate-passphrase', passFile], { netns: nsA });
    expect(exported.code, `${exported.stdout}\n${exported.stderr}`).toBe(0);
    const set = (k: string, v: string) => ['--set', `${k}=${v}`];
    const joined = await runCli(
      [
        'install', '--bundle', bundle, '--passphrase-file', passFile, '--silent',
        ...set('hostname', ipB), ...set('serviceAccount.user', user), ...set('installDir', b.installDir), ...set('dataDir', b.dataDir),
        ...set('stateDir', b.stateDir), ...set('services.manager', 'runit'), ...set('services.runitDir', b.runitDir),
      ],
      { netns: nsB, timeoutMs: 170_000 },
    );
    expect(joined.code, `${joined.stdout}\n${joined.stderr}`).toBe(0);
    // The site CA, nothing else, is what the joined node trusts.
    expect(await readFile(join(b.dataDir, 'database-ca.pem'), 'utf8')).toBe(await readFile(caFile(), 'utf8'));
    const c = await server.connect();
    try {
      let rows: { ssl: boolean }[] = [];
      for (let i = 0; i < 40 && rows.length === 0; i++) {
        rows = await c.query<{ ssl: boolean }>('SELECT s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s ON s.pid = a.pid WHERE a.client_addr = $1::inet', [ipB]);
        if (rows.length === 0) await new Promise((r) => setTimeout(r, 500));
      }
      expect(rows.length, 'the joined node is connected').toBeGreaterThan(0);
      expect(rows.filter((r) => !r.ssl)).toEqual([]);
    } finally {
      await c.close();
    }
  });
});
