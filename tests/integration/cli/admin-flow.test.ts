/**
 * Issue 19: the command line as an administrator runs it, end to end. The built `spsetup` (bin/spsetup.js)
 * in a namespace of its own against a real PostgreSQL 15 server: db prepare, plan -> install ->
 * status -> the same again (nothing to do) -> site backup and restore plans -> bad input (a clear
 * error on stderr, exit 2 or 3, stdout empty, nothing changed). Every --json document is parsed and
 * its shape checked.
 */
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accountName,
  cleanupNode,
  clusterNetnsName,
  clusterSkipReason,
  createIsolatedNetns,
  deleteClusterNetns,
  makeNodeDirs,
  nodeSettings,
  randomPassword,
  removeUser,
  runCli,
  writeSettings,
  type CliOut,
  type NodeDirs,
} from '../../support/cluster.js';
import { diffSnapshots, takeSnapshot, type Snapshot } from '../../support/snapshot.js';
import { debianMissing, startTestServer, type TestServer } from '../../support/pg-server.js';
import { getManifest } from '../../../electron/product/index.js';

const skip = clusterSkipReason() ?? debianMissing();
const PRODUCT_SERVICES = getManifest('reference').services.map((s) => s.name);

interface PlanDoc {
  readonly plan: { readonly title: string; readonly steps: readonly { id: string; action: string; title: string; diff?: string }[]; readonly warnings: readonly string[] };
  readonly preflight?: readonly { id?: string; title: string; ok: boolean; message: string }[];
}

/** Parses stdout as the one JSON document it must be (nothing else printed there, nothing on stderr). */
function json<T>(r: CliOut, what: string): T {
  expect(r.code, `${what}: ${r.stdout}\n${r.stderr}`).toBe(0);
  expect(r.stderr, what).toBe('');
  return JSON.parse(r.stdout) as T;
}

/**
 * A refusal: exit code, a message and what to do on stderr; on stdout nothing, or with --json the
 * one error document a script reads (the same message and exit code).
 */
function refused(r: CliOut, code: number, message: RegExp, output: 'text' | 'json' = 'text'): void {
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(code);
  if (output === 'text') expect(r.stdout).toBe('');
  else {
    const { error } = JSON.parse(r.stdout) as { error: { exitCode: number; message: string; fix: string | null } };
    expect(error.exitCode).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.fix).toMatch(/\S/);
  }
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toMatch(/What to do: \S/);
  expect(r.stderr).not.toMatch(/Internal error|\n\s+at /);
}

describe.skipIf(skip)(`spsetup as an administrator runs it${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const ns = clusterNetnsName('cli');
  const user = accountName('cli');
  const password = randomPassword();
  let server: TestServer;
  let dirs: NodeDirs;
  let file: string;
  let passphraseFile: string;
  const cli = (...args: string[]) => runCli(args, { netns: ns, timeoutMs: 120_000 });

  /** The node's folders, services and the server's catalog; logs, run-time state and each run's own record (journal, plans) left out. */
  const snapshot = (): Promise<Snapshot> =>
    takeSnapshot({
      roots: [dirs.root],
      serviceDirs: [dirs.runitDir],
      ignore: [/\/(Log|logs|supervise)$/, /\.(log|pid)$/, /\/state\/(run\.lock|journal\.jsonl|plan\.json|plans)$/],
      pg: { host: server.socketDir, port: server.port, user: 'postgres', password: server.password },
    });

  beforeAll(async () => {
    await createIsolatedNetns(ns);
    server = await startTestServer({ flavor: 'debian15', netns: ns });
    dirs = await makeNodeDirs('cli');
    const doc = nodeSettings({
      dirs,
      mode: 'create',
      dbInstall: 'existing',
      dbHost: '127.0.0.1',
      dbPort: server.port,
      password,
      superuserPassword: server.password,
      listener: { listenAddresses: ['127.0.0.1'], ipRanges: ['127.0.0.0/8'], maxConnections: 100 },
      shareRoot: join(dirs.root, 'share'),
      hostname: 'localhost',
      user,
      plannedNodes: 1,
    });
    file = await writeSettings(dirs.settingsFile, doc);
    passphraseFile = join(dirs.root, 'passphrase');
    await writeFile(passphraseFile, 'correct horse battery staple 19\n', { mode: 0o600 });
  }, 60_000);

  afterAll(async () => {
    if (dirs) await cleanupNode(dirs);
    await server?.stop();
    await deleteClusterNetns();
    await removeUser(user);
  }, 60_000);

  it('db prepare: the plan as JSON changes nothing; applied; a second run changes nothing', async () => {
    const conf = await readFile(server.confPath, 'utf8');
    const planned = json<PlanDoc>(await cli('db', 'prepare', '--settings', file, '--plan', '--json'), 'db prepare --plan --json');
    expect(planned.plan.steps.length).toBeGreaterThan(0);
    expect(planned.plan.steps.every((s) => typeof s.id === 'string' && typeof s.action === 'string')).toBe(true);
    expect(await readFile(server.confPath, 'utf8'), 'a plan only').toBe(conf);
    const r = await cli('db', 'prepare', '--settings', file);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/Result: done\./);
    const again = await cli('db', 'prepare', '--settings', file);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/Changed: nothing\./);
  });

  it('plan --json: every step and the preflight, and nothing made', async () => {
    const doc = json<PlanDoc>(await cli('plan', '--settings', file, '--json'), 'plan --json');
    expect(doc.preflight?.filter((c) => !c.ok)).toEqual([]);
    expect(doc.plan.steps.filter((s) => s.action !== 'noop').length).toBeGreaterThan(5);
    expect(doc.plan.steps.map((s) => s.id)).toEqual(expect.arrayContaining(['start-services']));
    expect(JSON.stringify(doc), 'no secret in the plan').not.toContain(password);
    expect(existsSync(dirs.installDir) || existsSync(dirs.runitDir)).toBe(false);
  });

  it('install --yes applies it: exit 0, a summary with the log and what to do next', async () => {
    const r = await cli('install', '--settings', file, '--yes');
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/^Result: done\.$/m);
    expect(r.stdout).toMatch(/^Log: \/\S+/m);
    expect(r.stdout).toMatch(/^Next: .*spsetup bundle export/m);
    expect(`${r.stdout}${r.stderr}`).not.toContain(password);
  });

  it('status --json: the node is central and its services run', async () => {
    const st = json<{ database: string; nodes: { hostname: string; isCentral: boolean }[]; services: { name: string; state: string }[] }>(await cli('status', '--settings', file, '--json'), 'status --json');
    expect(st.nodes.map((n) => [n.hostname, n.isCentral])).toEqual([['localhost', true]]);
    expect(st.services.filter((s) => PRODUCT_SERVICES.includes(s.name)).map((s) => s.state)).toEqual(PRODUCT_SERVICES.map(() => 'running'));
  });

  it('the same again: the plan has nothing to do and install changes nothing', async () => {
    const before = await snapshot();
    const doc = json<PlanDoc>(await cli('install', '--settings', file, '--plan', '--json'), 'install --plan --json');
    expect(doc.plan.steps.filter((s) => s.action !== 'noop').map((s) => `${s.id}: ${s.action}`)).toEqual([]);
    const r = await cli('install', '--settings', file, '--yes');
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/^Changed: nothing\.$/m);
    expect(diffSnapshots(before, await snapshot())).toEqual([]);
  });

  it('site backup --plan --json: the plan as data, and no folder made', async () => {
    const out = join(dirs.root, 'backup');
    const plan = json<Record<string, unknown>>(await cli('site', 'backup', '--settings', file, '--out', out, '--passphrase-file', passphraseFile, '--plan', '--json'), 'site backup --plan --json');
    expect(plan).toMatchObject({
      kind: 'site-backup',
      outDir: out,
      incremental: false,
      nodes: [{ hostname: 'localhost', isCentral: true }],
      database: { name: 'QSR', endpoint: `127.0.0.1:${server.port}`, pgDumpMajor: 15 },
      share: { root: join(dirs.root, 'share') },
    });
    expect(plan['estimatedDowntimeMs']).toBeGreaterThan(0);
    expect(existsSync(out)).toBe(false);
  });

  it('site backup --json: the result alone on stdout, the progress on stderr; restore --plan --json lists what differs and changes nothing', async () => {
    const out = join(dirs.root, 'backup');
    const r = await cli('site', 'backup', '--settings', file, '--out', out, '--passphrase-file', passphraseFile, '--json');
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const done = JSON.parse(r.stdout) as { outDir: string; database: { tables: number }; share: { files: number } };
    expect(done.outDir).toBe(out);
    expect(done.database.tables).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/Backup complete/);
    const restorePlan = (extra: string[] = []) => cli('site', 'restore', out, '--settings', file, '--passphrase-file', passphraseFile, '--plan', '--json', ...extra);
    // The running product keeps writing to the share and the repository: what differs is listed, whatever it is.
    expect(json<Record<string, unknown>>(await restorePlan(), 'restore --plan --json')).toMatchObject({
      kind: 'site-restore',
      newSite: false,
      backup: { dir: out, nodes: [{ hostname: 'localhost', isCentral: true }], product: { id: 'reference' } },
      nodes: [{ hostname: 'localhost', isCentral: true }],
      database: { name: 'QSR', differences: expect.any(Array) },
      share: { root: join(dirs.root, 'share'), missing: expect.any(Array), extra: expect.any(Array) },
    });
    // A file the backup does not hold: the plan names it (a restore would remove it) and leaves it there.
    const victim = join(dirs.root, 'share', 'cli-e2e.txt');
    await writeFile(victim, 'not in the backup\n');
    const plan = json<{ equal: boolean; share: { extra: string[]; missing: string[] }; saveCurrent?: string }>(await restorePlan(['--save-current', join(dirs.root, 'saved')]), 'restore --plan --json');
    expect(plan.equal).toBe(false);
    expect(plan.share.extra).toContain('cli-e2e.txt');
    expect(plan.saveCurrent).toBe(join(dirs.root, 'saved'));
    expect(await readFile(victim, 'utf8')).toBe('not in the backup\n');
    expect(existsSync(join(dirs.root, 'saved'))).toBe(false);
    await rm(victim);
  });

  it('bad input: a clear error on stderr, exit 2 or 3, and nothing changed', async () => {
    const before = await snapshot();
    const good = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown> & { database: Record<string, unknown> };
    const badPort = await writeSettings(join(dirs.root, 'bad-port.json'), { ...good, database: { ...good.database, port: 70000 } });
    const badPassword = await writeSettings(join(dirs.root, 'bad-password.json'), { ...good, database: { ...good.database, password: `${password}x` } });
    const weak = join(dirs.root, 'weak');
    await writeFile(weak, 'abc\n', { mode: 0o600 });
    // Independent refusals, run side by side to keep the test short.
    const [port, planPort, wrong, option, noOut, noFile, weakPass, relative] = await Promise.all([
      cli('install', '--settings', badPort, '--yes'),
      cli('plan', '--settings', badPort, '--json'),
      cli('install', '--settings', badPassword, '--yes'),
      cli('install', '--settings', file, '--yes', '--colour'),
      cli('site', 'backup', '--settings', file, '--passphrase-file', passphraseFile),
      cli('status', '--settings', join(dirs.root, 'nope.json')),
      cli('site', 'backup', '--settings', file, '--out', join(dirs.root, 'b2'), '--passphrase-file', weak, '--json'),
      cli('site', 'backup', '--settings', file, '--out', 'relative', '--passphrase-file', passphraseFile, '--plan', '--json'),
    ]);
    // A malformed field is named with its path, also with --json.
    refused(port, 2, /database\.port/);
    refused(planPort, 2, /database\.port/, 'json');
    // A wrong password is found by preflight before any change (exit 3), and never printed.
    expect(wrong.code, `${wrong.stdout}\n${wrong.stderr}`).toBe(3);
    expect(wrong.stdout).toMatch(/FAIL .*refused the password/);
    expect(wrong.stdout).toMatch(/What to do: /);
    expect(wrong.stdout).toMatch(/Nothing was changed/);
    expect(`${wrong.stdout}${wrong.stderr}`).not.toContain(`${password}x`);
    // The command line itself: an unknown option, a missing option, a missing file.
    expect(option.code).toBe(2);
    expect(option.stdout).toBe('');
    expect(option.stderr).toMatch(/unknown option '--colour'/);
    refused(noOut, 2, /--out is required/);
    refused(noFile, 2, /Cannot read the settings file .*nope\.json/);
    // Site backup: a weak passphrase, a relative folder.
    refused(weakPass, 2, /passphrase/i, 'json');
    refused(relative, 2, /not an absolute path/, 'json');
    await Promise.all([badPort, badPassword, weak].map((f) => rm(f)));
    expect(existsSync(join(dirs.root, 'b2'))).toBe(false);
    expect(diffSnapshots(before, await snapshot())).toEqual([]);
  });
});
