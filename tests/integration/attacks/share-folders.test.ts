/**
 * Attack 4 of issue 11: share sub-folders are free strings, and a bundle or an spc.cfg from
 * elsewhere carries them. One naming a system folder (here a root-owned folder standing for
 * /etc/cron.d) used to be re-owned for the service account by the share step. Now every way in
 * refuses it with exit 2, naming the field, before anything changes.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleContentsFromSettings } from '../../../electron/features/bundle/contents.js';
import { sealBundle } from '../../../electron/features/bundle/format.js';
import { settingsToSpc } from '../../../electron/features/spc/spc.js';
import { parseSettings, type Settings } from '../../../electron/shared/settings.js';
import { REPO_ROOT } from '../../support/cluster.js';
import { takeSnapshot } from '../../support/snapshot.js';
import { createTempDir, createTempUser, type TempDir, type TempUser } from '../../support/temp.js';

const run = promisify(execFile);
const CLI = join(REPO_ROOT, 'bin', 'spsetup.js');
const built = existsSync(join(REPO_ROOT, 'dist', 'electron', 'cli', 'main.js'));
const PASSPHRASE = 'correct-horse-battery-staple-42';
const REFUSED = /share\.apps.*must lie inside the share root/s;

async function spsetup(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run(process.execPath, [CLI, ...args], { timeout: 60_000 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

describe.skipIf(!built)('attack 4: a share sub-folder naming a system folder (needs `npm run build`)', () => {
  let tmp: TempDir;
  let victim: string;
  let good: Settings;
  const doc = (root: string) => ({
    product: 'reference',
    cluster: { mode: 'create' },
    database: { install: 'existing', host: '10.250.9.1', port: 4432, password: 'Pw-1' },
    share: { root: `${root}/share` },
    serviceAccount: { user: 'spref' },
    hostname: 'central.example.com',
    plannedNodes: 3,
    installDir: `${root}/opt`,
    dataDir: `${root}/data`,
    stateDir: `${root}/state`,
  });
  const everything = () => takeSnapshot({ roots: [tmp.path] });

  beforeAll(async () => {
    tmp = await createTempDir('spsetup-attack-', true);
    victim = join(tmp.path, 'cron.d');
    await mkdir(victim, { mode: 0o755 });
    await writeFile(join(victim, 'job'), '* * * * * root true\n');
    const parsed = parseSettings(doc(tmp.path));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    good = parsed.settings;
    await writeFile(join(tmp.path, 'passphrase'), `${PASSPHRASE}\n`, { mode: 0o600 });
    await writeFile(join(tmp.path, 'base.json'), JSON.stringify(doc(tmp.path)), { mode: 0o600 });
  });
  afterAll(() => tmp?.cleanup());

  it('refuses it from a settings file: exit 2, nothing changed', async () => {
    const file = join(tmp.path, 'evil.json');
    await writeFile(file, JSON.stringify({ ...doc(tmp.path), share: { root: `${tmp.path}/share`, apps: victim } }), { mode: 0o600 });
    const before = await everything();
    const r = await spsetup('install', '--settings', file, '--yes');
    expect(r.out).toMatch(REFUSED);
    expect(r.code).toBe(2);
    expect(await everything()).toEqual(before);
  });

  it('refuses it from a settings bundle: exit 2, nothing changed', async () => {
    // The bundle's author is trusted with its values, not with the rim node's system folders.
    const contents = bundleContentsFromSettings(good, { clusterId: 'c1', productVersion: '1.0.0', password: 'Pw-1', platform: 'linux' });
    const bundle = join(tmp.path, 'evil.spbundle');
    await writeFile(bundle, await sealBundle({ ...contents, share: { ...contents.share, apps: victim } }, PASSPHRASE, { expiresInMs: 3_600_000, now: new Date() }), { mode: 0o600 });
    const before = await everything();
    const r = await spsetup(
      'install', '--bundle', bundle, '--passphrase-file', join(tmp.path, 'passphrase'), '--set', 'hostname=rim1.example.com', '--set', 'serviceAccount.user=spref',
      '--set', `installDir=${tmp.path}/rim/opt`, '--set', `dataDir=${tmp.path}/rim/data`, '--set', `stateDir=${tmp.path}/rim/state`, '--silent',
    );
    expect(r.out).toMatch(REFUSED);
    expect(r.code).toBe(2);
    expect(await everything()).toEqual(before);
  });

  it('refuses it from an spc.cfg: exit 2, no settings written', async () => {
    const spc = join(tmp.path, 'spc.cfg');
    await writeFile(spc, settingsToSpc({ ...good, share: { ...good.share, apps: victim } }, 'Pw-1'), { mode: 0o600 });
    const before = await everything();
    const r = await spsetup('spc', 'import', spc, '--base', join(tmp.path, 'base.json'), '--out', join(tmp.path, 'from-spc.json'));
    expect(r.out).toMatch(REFUSED);
    expect(r.code).toBe(2);
    expect(await everything()).toEqual(before);
  });
});

describe.skipIf(!built)('attack 4: existing folders the share step re-owns (needs `npm run build`)', () => {
  let tmp: TempDir;
  let other: TempUser;
  let settingsFile: string;
  const everything = () => takeSnapshot({ roots: [tmp.path] });
  const plan = async () => {
    const r = await spsetup('plan', '--settings', settingsFile, '--json');
    return { ...r, step: (id: string) => (JSON.parse(r.out.slice(r.out.indexOf('{'))) as { plan: { steps: { id: string; action: string; summary: string }[] } }).plan.steps.find((s) => s.id === id) };
  };

  beforeAll(async () => {
    tmp = await createTempDir('spsetup-attack-', true);
    other = await createTempUser('spown-');
    const share = join(tmp.path, 'share');
    // The share root stands for a system folder someone named (root's, 0755, with content); Apps is another account's private folder.
    await mkdir(share, { mode: 0o755 });
    await writeFile(join(share, 'job'), '* * * * * root true\n');
    await mkdir(join(share, 'Apps'), { mode: 0o700 });
    await chown(join(share, 'Apps'), Number((await run('id', ['-u', other.name])).stdout), Number((await run('id', ['-g', other.name])).stdout));
    settingsFile = join(tmp.path, 'settings.json');
    await writeFile(settingsFile, JSON.stringify({
      product: 'reference', cluster: { mode: 'create' }, database: { install: 'existing', host: '127.0.0.1', port: 9, password: 'Pw-1' },
      share: { root: share }, serviceAccount: { user: 'spref' }, hostname: 'central.example.com', plannedNodes: 3,
      installDir: `${tmp.path}/opt`, dataDir: `${tmp.path}/data`, stateDir: `${tmp.path}/state`,
    }), { mode: 0o600 });
  });
  afterAll(async () => {
    await tmp?.cleanup();
    await other?.cleanup();
  });

  it('names every existing folder it re-owns, with its owner and mode now and after', async () => {
    const before = await everything();
    // Exit 3: the preflight fails (no database there, the host name does not resolve); the plan is shown all the same.
    const r = await plan();
    const step = r.step('share-folders');
    const share = join(tmp.path, 'share');
    // Before the fix the summary was "Create …/ArchivedLogs, …/CustomData, …/StaticContent": the two re-owned folders were not shown.
    expect(step?.summary).toContain(`Create ${share}/ArchivedLogs, ${share}/CustomData, ${share}/StaticContent (owner spref, mode 0770)`);
    expect(step?.summary).toContain(`Re-own ${share}: now owner root, group root, mode 0755; becomes owner spref, mode 0770`);
    expect(step?.summary).toContain(`Re-own ${share}/Apps: now owner ${other.name}, group ${other.name}, mode 0700; becomes owner spref, mode 0770`);
    expect(await everything()).toEqual(before);
  });

  it('refuses a sub-folder that is a link (to a system folder): a conflict (exit 3), nothing changed', async () => {
    const share = join(tmp.path, 'share');
    const victim = join(tmp.path, 'cron.d');
    await mkdir(victim, { mode: 0o755 });
    await symlink(victim, join(share, 'CustomData'));
    const before = await everything();
    const r = await plan();
    expect(r.out).toContain(`${share}/CustomData is a link, not a folder`);
    expect(r.out).not.toContain('"plan"');
    expect(r.code).toBe(3);
    expect(await everything()).toEqual(before);
  });
});

describe.skipIf(!built)('attack 9: `spc import` printing the password (needs `npm run build`)', () => {
  it('masks the password on the terminal and writes it only with --out, to a 0600 file', async () => {
    const tmp = await createTempDir('spsetup-attack-');
    try {
      const parsed = parseSettings({
        product: 'reference', cluster: { mode: 'create' }, database: { install: 'existing', host: '10.250.9.1', port: 4432, password: 'Pw-shown-nowhere' },
        share: { root: '/srv/share' }, serviceAccount: { user: 'spref' }, hostname: 'central.example.com', plannedNodes: 3,
      });
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
      const spc = join(tmp.path, 'spc.cfg');
      await writeFile(spc, settingsToSpc(parsed.settings, 'Pw-shown-nowhere'), { mode: 0o600 });
      const shown = await spsetup('spc', 'import', spc);
      expect(shown.code).toBe(0);
      expect(shown.out).not.toContain('Pw-shown-nowhere');
      expect(shown.out).toContain('"password": "***"');
      const out = join(tmp.path, 'imported.json');
      expect((await spsetup('spc', 'import', spc, '--out', out)).code).toBe(0);
      expect(JSON.parse(await readFile(out, 'utf8')).database.password).toBe('Pw-shown-nowhere');
      expect((await stat(out)).mode & 0o777).toBe(0o600);
    } finally {
      await tmp.cleanup();
    }
  });
});
