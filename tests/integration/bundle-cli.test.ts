/**
 * The settings bundle and spc.cfg through the `spsetup` command line: export, inspect, and every
 * kind of bad bundle refused by the silent join with its own message, exit 2 and nothing changed.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleContentsFromSettings } from '../../electron/features/bundle/contents.js';
import { sealBundle } from '../../electron/features/bundle/format.js';
import { parseSettings } from '../../electron/shared/settings.js';
import { diffSnapshots, takeSnapshot } from '../support/snapshot.js';
import { createTempDir, type TempDir } from '../support/temp.js';

const run = promisify(execFile);
const CLI = join(process.cwd(), 'bin', 'spsetup.js');
const built = existsSync(join(process.cwd(), 'dist', 'electron', 'cli', 'main.js'));
const PASSWORD = `Pw & <x> "q" 'a'; :/\\ Größe 日本`;
const PASSPHRASE = 'correct-horse-battery-staple-42';

async function spsetup(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await run(process.execPath, [CLI, ...args], { timeout: 60_000 });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout, err: err.stderr };
  }
}

describe.skipIf(!built)('bundle and spc.cfg on the command line (needs `npm run build`)', () => {
  let tmp: TempDir;
  let settingsFile: string;
  let passFile: string;
  let bundle: string;
  const rimDirs = () => ['--set', `installDir=${tmp.path}/rim/opt`, '--set', `dataDir=${tmp.path}/rim/data`, '--set', `stateDir=${tmp.path}/rim/state`];
  const settingsDoc = () => ({
    product: 'reference',
    cluster: { mode: 'create' },
    database: { install: 'existing', host: '10.250.9.1', port: 4432, password: PASSWORD },
    share: { root: `${tmp.path}/share` },
    serviceAccount: { user: 'spref' },
    hostname: 'central.example.com',
    plannedNodes: 3,
  });

  beforeAll(async () => {
    tmp = await createTempDir('bundle-cli-');
    settingsFile = join(tmp.path, 'central.json');
    writeFileSync(settingsFile, JSON.stringify(settingsDoc()), { mode: 0o600 });
    passFile = join(tmp.path, 'passphrase');
    writeFileSync(passFile, `${PASSPHRASE}\n`, { mode: 0o600 });
    bundle = join(tmp.path, 'cluster.spbundle');
  });
  afterAll(() => tmp?.cleanup());

  it('exports a bundle readable by its owner only, without the password in clear', async () => {
    const r = await spsetup('bundle', 'export', '--settings', settingsFile, '--out', bundle, '--passphrase-file', passFile, '--expires', '24h');
    expect(r.code, r.err).toBe(0);
    expect(statSync(bundle).mode & 0o777).toBe(0o600);
    const bytes = readFileSync(bundle);
    expect(bytes.includes(Buffer.from(PASSWORD))).toBe(false);
    expect(bytes.includes(Buffer.from(PASSPHRASE))).toBe(false);
  });

  it('shows the contents with the password masked', async () => {
    const r = await spsetup('bundle', 'inspect', bundle, '--passphrase-file', passFile);
    expect(r.code, r.err).toBe(0);
    const shown = JSON.parse(r.out) as { database: { host: string; password: string }; plannedNodes: number };
    expect(shown.database.host).toBe('10.250.9.1');
    expect(shown.plannedNodes).toBe(3);
    expect(r.out).not.toContain(PASSWORD);
    expect(shown.database.password).toMatch(/^•+$/);
  });

  it('refuses a weak passphrase before writing anything', async () => {
    const weak = join(tmp.path, 'weak');
    writeFileSync(weak, 'aaaaaaaaaaaa', { mode: 0o600 });
    const out = join(tmp.path, 'weak.spbundle');
    const r = await spsetup('bundle', 'export', '--settings', settingsFile, '--out', out, '--passphrase-file', weak);
    expect(r.code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  async function sealed(version: string, product: 'reference' | 'qlik-sense', now: Date, expiresInMs: number | null): Promise<string> {
    const parsed = parseSettings({ ...settingsDoc(), product });
    if (!parsed.ok) throw new Error('bad test settings');
    const contents = bundleContentsFromSettings(parsed.settings, { clusterId: 'c1', productVersion: version, password: PASSWORD, platform: 'linux' });
    const path = join(tmp.path, `${product}-${version}-${now.getTime()}.spbundle`);
    writeFileSync(path, await sealBundle(contents, PASSPHRASE, { expiresInMs, now }), { mode: 0o600 });
    return path;
  }

  const cases: [string, () => Promise<{ path: string; pass?: string; extra?: string[] }>, RegExp][] = [
    ['one byte changed', async () => {
      const bytes = readFileSync(bundle);
      bytes[bytes.length - 40]! ^= 0x01;
      const path = join(tmp.path, 'tampered.spbundle');
      writeFileSync(path, bytes, { mode: 0o600 });
      return { path };
    }, /changed|damaged/i],
    ['expired', async () => ({ path: await sealed(await referenceVersion(), 'reference', new Date(Date.now() - 48 * 3_600_000), 3_600_000) }), /expired/i],
    ['wrong passphrase', async () => {
      const pass = join(tmp.path, 'wrong-pass');
      writeFileSync(pass, 'another-long-passphrase-99', { mode: 0o600 });
      return { path: bundle, pass };
    }, /passphrase/i],
    ['another product', async () => ({ path: await sealed(await qlikVersion(), 'qlik-sense', new Date(), null), extra: ['--set', 'product=reference'] }), /qlik-sense|product/i],
    ['another version', async () => ({ path: await sealed('0.0.1-old', 'reference', new Date(), null) }), /0\.0\.1-old|version/i],
    ['truncated', async () => {
      const path = join(tmp.path, 'truncated.spbundle');
      writeFileSync(path, readFileSync(bundle).subarray(0, 90), { mode: 0o600 });
      return { path };
    }, /truncated|incomplete|cut/i],
  ];

  it.each(cases)('refuses a bundle: %s, exit 2, nothing changed', async (_name, make, message) => {
    const { path, pass, extra = [] } = await make();
    const before = await takeSnapshot({ roots: [tmp.path] });
    const r = await spsetup('install', '--bundle', path, '--passphrase-file', pass ?? passFile, '--set', 'hostname=localhost', '--set', 'serviceAccount.user=spref', ...rimDirs(), ...extra, '--silent');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toMatch(/What to do:/);
    expect(r.err + r.out).not.toContain(PASSWORD);
    expect(diffSnapshots(before, await takeSnapshot({ roots: [tmp.path] }))).toEqual([]);
    expect(existsSync(join(tmp.path, 'rim'))).toBe(false);
  });

  it('round-trips settings through spc.cfg, warning that it holds the password in plain text', async () => {
    const spc = join(tmp.path, 'spc.cfg');
    const exported = await spsetup('spc', 'export', '--settings', settingsFile, '--out', spc);
    expect(exported.code, exported.err).toBe(0);
    expect(exported.err).toMatch(/plain text/);
    expect(statSync(spc).mode & 0o777).toBe(0o600);
    expect(readFileSync(spc, 'utf8')).toContain('&amp; &lt;x&gt; &quot;q&quot; &apos;a&apos;');
    const out = join(tmp.path, 'imported.json');
    const imported = await spsetup('spc', 'import', spc, '--base', settingsFile, '--out', out);
    expect(imported.code, imported.err).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    // Identical once validated: spc.cfg writes defaults (the database user) out explicitly.
    expect(parseSettings(JSON.parse(readFileSync(out, 'utf8')))).toEqual(parseSettings(settingsDoc()));
  });

  it('refuses a malformed spc.cfg naming the line', async () => {
    const spc = join(tmp.path, 'broken.cfg');
    writeFileSync(spc, '<?xml version="1.0"?>\n<SharedPersistenceConfiguration>\n  <DbHost>db</DbHost>\n  <DbPort>4432</DbHost>\n</SharedPersistenceConfiguration>\n');
    const r = await spsetup('spc', 'import', spc);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/line 4/);
  });
});

async function referenceVersion(): Promise<string> {
  return (await import('../../electron/product/index.js')).getManifest('reference').version;
}
async function qlikVersion(): Promise<string> {
  return (await import('../../electron/product/index.js')).getManifest('qlik-sense').version;
}
