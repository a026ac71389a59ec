/**
 * Issue 14: the wizard's Site screen in browser mode against the REAL back end and real node
 * agents. A site of three nodes, each in its own network namespace on one hub: central node A
 * (local database) and rim nodes B and C, installed with the CLI (B with the site key in its
 * settings, C from a settings bundle). A's `spsetup ui` and a Chromium run in A's namespace. The
 * Site screen lists all three (central marked, every service, heartbeat, versions, database
 * endpoint); a services restart shows its plan first, then every node's outcome; a changed
 * operation cannot run on the old plan; a folders change reaches every node's configuration;
 * with C's agent stopped, C is reported unreachable within the bound and the others finish.
 * No password is shown; an axe scan and a screenshot of each state.
 */
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SettingsInput } from '../../electron/shared/settings.js';
import { getManifest } from '../../electron/product/index.js';
import {
  attachNode,
  cleanupNode,
  clusterNetnsName,
  clusterSkipReason,
  createHub,
  deleteClusterNetns,
  makeNodeDirs,
  nodeSettings,
  processesUnder,
  randomSubnet,
  removeUser,
  runCli,
  writeSettings,
  type NodeDirs,
} from '../support/cluster.js';
import { execBounded } from '../support/netns.js';
import { axeScan, HAS_RENDERER, screenshotter } from './helpers.js';
import { removeWizardNode, startWizardNode, type WizardNode } from './netns-node.js';

const skipReason = !HAS_RENDERER ? 'the renderer is not built (run `npm run build`)' : clusterSkipReason();
test.skip(skipReason !== undefined, skipReason ?? '');
test.describe.configure({ mode: 'serial', timeout: 240_000 });

const PRODUCT_SERVICES = getManifest('reference').services.map((s) => s.name);
const DB_PASSWORD = `Site-db-${randomBytes(6).toString('hex')}`;
const SUPERUSER_PASSWORD = `Site-su-${randomBytes(6).toString('hex')}`;
const PG_PORT = 20_000 + (randomBytes(2).readUInt16BE() % 10_000);

interface RimNode {
  readonly ip: string;
  readonly ns: string;
  readonly dirs: NodeDirs;
}

let work = '';
let subnet = '';
let user = '';
let central: WizardNode | undefined;
let centralSettings: SettingsInput | undefined;
const rims: RimNode[] = [];
let page: Page | undefined;
let key = '';

const ipA = () => `${subnet}.1`;
const allIps = () => [ipA(), ...rims.map((r) => r.ip)];

/** The Site screen's node rows, as a user reads them: host name (and badge), then each cell. */
async function nodeRows(p: Page): Promise<string[]> {
  // textContent, not innerText: the central badge is shown in capitals by CSS only.
  return p.locator('table.site-nodes tbody tr').evaluateAll((rows) => rows.map((r) => [...r.children].map((cell) => (cell.textContent ?? '').replace(/\s+/g, ' ').trim()).join(' | ')));
}

/** Each node's outcome row: "host state". */
async function outcomeRows(p: Page): Promise<string[]> {
  return p.locator('table.site-outcomes tbody tr').evaluateAll((rows) => rows.map((r) => `${r.querySelector('th')!.textContent!.trim()} ${r.querySelector('td')!.textContent!.trim()}`));
}

/** Presses Refresh until every node row satisfies `ok` (heartbeats arrive every 2 s). */
async function refreshUntil(p: Page, ok: (rows: string[]) => boolean, timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await p.getByRole('button', { name: 'Refresh' }).click();
    await expect(p.getByRole('button', { name: 'Refresh' })).toBeEnabled();
    const rows = await nodeRows(p);
    if (ok(rows) || Date.now() > deadline) return rows;
    await p.waitForTimeout(1_000);
  }
}

test.beforeAll(async () => {
  test.setTimeout(240_000);
  work = await mkdtemp(join(tmpdir(), 'spsetup-e2e-site-'));
  await chmod(work, 0o755);
  subnet = randomSubnet();
  user = `spe2s${randomBytes(3).toString('hex')}`;
  const hub = clusterNetnsName('e2sh');
  await createHub(hub);
  const nsA = clusterNetnsName('e2sa');
  await attachNode(hub, nsA, `${ipA()}/24`);
  const share = join(work, 'share');
  central = await startWizardNode({ netns: nsA, address: ipA(), root: join(work, 'a'), shareRoot: share, serviceUser: user, ipRanges: [`${subnet}.0/24`] });
  for (const [i, tag] of ['b', 'c'].entries()) {
    const ns = clusterNetnsName(`e2s${tag}`);
    const ip = `${subnet}.${i + 2}`;
    await attachNode(hub, ns, `${ip}/24`);
    rims.push({ ip, ns, dirs: await makeNodeDirs(`e2esite${tag}`) });
  }

  // A creates the cluster with a local database the rim nodes reach on A's address.
  centralSettings = nodeSettings({
    dirs: central.dirs,
    mode: 'create',
    dbInstall: 'local',
    dbHost: ipA(),
    dbPort: PG_PORT,
    password: DB_PASSWORD,
    superuserPassword: SUPERUSER_PASSWORD,
    listener: { listenAddresses: ['*'], ipRanges: [`${subnet}.0/24`], maxConnections: 300 },
    shareRoot: share,
    hostname: ipA(),
    user,
  }) as unknown as SettingsInput;
  const a = await central.cli(['install', '--settings', await writeSettings(central.dirs.settingsFile, centralSettings), '--yes'], 200_000);
  expect(a.code, `${a.stdout}\n${a.stderr}`).toBe(0);
  key = (await readFile(join(central.dirs.stateDir, 'site.key'), 'utf8')).trim();

  // B: the site key in its settings. C: from a settings bundle exported on A.
  const join_ = (r: RimNode, extra: Record<string, unknown>) => nodeSettings({ dirs: r.dirs, mode: 'join', dbInstall: 'existing', dbHost: ipA(), dbPort: PG_PORT, password: DB_PASSWORD, shareRoot: share, hostname: r.ip, user, extra });
  const b = rims[0]!;
  const rb = await runCli(['install', '--settings', await writeSettings(b.dirs.settingsFile, { ...join_(b, {}), cluster: { mode: 'join', siteKey: { file: join(central.dirs.stateDir, 'site.key') } } }), '--yes'], { netns: b.ns, timeoutMs: 200_000 });
  expect(rb.code, `${rb.stdout}\n${rb.stderr}`).toBe(0);
  const c = rims[1]!;
  const bundle = join(work, 'cluster.spbundle');
  const passFile = join(work, 'passphrase');
  const ex = await central.cli(['bundle', 'export', '--settings', central.dirs.settingsFile, '--out', bundle, '--generate-passphrase', passFile]);
  expect(ex.code, `${ex.stdout}\n${ex.stderr}`).toBe(0);
  const set = (k: string, v: string) => ['--set', `${k}=${v}`];
  const rc = await runCli(
    [
      'install', '--bundle', bundle, '--passphrase-file', passFile, '--silent', '--yes',
      ...set('hostname', c.ip), ...set('serviceAccount.user', user), ...set('installDir', c.dirs.installDir), ...set('dataDir', c.dirs.dataDir),
      ...set('stateDir', c.dirs.stateDir), ...set('services.manager', 'runit'), ...set('services.runitDir', c.dirs.runitDir),
    ],
    { netns: c.ns, timeoutMs: 200_000 },
  );
  expect(rc.code, `${rc.stdout}\n${rc.stderr}`).toBe(0);
  await writeSettings(c.dirs.settingsFile, join_(c, {}));
});

test.afterAll(async () => {
  test.setTimeout(150_000);
  const problems: string[] = [];
  await page?.context().close().catch(() => undefined);
  for (const r of [...rims].reverse()) {
    const u = await runCli(['uninstall', '--settings', r.dirs.settingsFile, '--remove-data'], { netns: r.ns, timeoutMs: 120_000 });
    if (u.code !== 0) problems.push(`uninstall on ${r.ip} exited ${u.code}: ${u.stderr.trim() || u.stdout.trim()}`);
    await cleanupNode(r.dirs);
  }
  if (central) problems.push(...(await removeWizardNode(central, centralSettings)));
  await deleteClusterNetns();
  if (user) await removeUser(user);
  if (work) {
    const left = await processesUnder(work);
    if (left.length) problems.push(`processes still running under ${work}: ${left.join(', ')}`);
    await rm(work, { recursive: true, force: true });
  }
  expect(problems, 'cleanup').toEqual([]);
});

test('the Site screen lists every node with its services, heartbeat, versions and database endpoint, central marked', async () => {
  page = await central!.newPage();
  const shot = screenshotter(page, 'site');
  await page.goto(central!.url);
  await expect(page.locator('main h1')).toHaveText(/Welcome/);
  await page.getByLabel('Operate the site').check();
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.locator('main h1')).toHaveText('Site database');
  await page.getByLabel('Database host').fill(ipA());
  await page.getByLabel('Database port').fill(String(PG_PORT));
  await page.getByLabel('Database password').fill(DB_PASSWORD);
  await axeScan(page);
  await shot('database');
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.locator('main h1')).toHaveText('Site');
  const rows = await refreshUntil(page, (r) => r.length === 3 && r.every((x) => !x.includes('unreachable') && !x.includes('stopped')));
  expect(rows.map((r) => r.split(' ')[0])).toEqual(allIps());
  expect(rows[0]!.startsWith(`${ipA()} central | `)).toBe(true);
  for (const r of rows.slice(1)) expect(r).not.toContain('central');
  for (const r of rows) {
    expect(r).toMatch(/\d+ s ago/);
    expect(r).toMatch(/spsetup \d+\.\d+\.\d+/);
    expect(r).toContain(`reference ${getManifest('reference').version}`);
    expect(r).toContain(`${ipA()}:${PG_PORT}`);
    for (const s of [...PRODUCT_SERVICES, 'spsetup-node-agent']) expect(r).toContain(`${s} running`);
  }
  const text = await page.evaluate(() => document.body.innerText + document.documentElement.outerHTML);
  for (const secret of [DB_PASSWORD, SUPERUSER_PASSWORD, key]) expect(text.includes(secret), 'a secret is in the page').toBe(false);
  await axeScan(page);
  await shot('status');
});

test('services restart: the plan is shown before anything is sent, then every node reports done', async () => {
  const p = page!;
  const shot = screenshotter(p, 'site-restart');
  await p.getByLabel('Services', { exact: true }).selectOption('restart');
  await expect(p.getByRole('button', { name: 'Run on the nodes' })).toBeDisabled();
  const before = await Promise.all(rims.map((r) => readFile(join(r.dirs.dataDir, 'log', 'repository.log'), 'utf8')));
  await p.getByRole('button', { name: 'Show plan' }).click();
  await expect(p.getByRole('heading', { name: 'Plan: Restart the services' })).toBeVisible();
  const planned = await p.locator('ol.site-plan > li').evaluateAll((items) => items.map((li) => [li.getAttribute('data-node'), [...li.querySelectorAll('ol li')].map((x) => x.textContent!.trim())]));
  const steps = [...[...PRODUCT_SERVICES].reverse().map((s) => `stop ${s}`), ...PRODUCT_SERVICES.map((s) => `start ${s} and wait until it is ready`)];
  expect(planned).toEqual(allIps().map((ip) => [ip, steps]));
  // Nothing was sent by showing the plan.
  expect(await Promise.all(rims.map((r) => readFile(join(r.dirs.dataDir, 'log', 'repository.log'), 'utf8')))).toEqual(before);
  await axeScan(p);
  await shot('plan');
  // A changed operation cannot run on the plan shown for another one.
  await p.getByLabel('Services', { exact: true }).selectOption('stop');
  await expect(p.getByText('The operation changed since this plan')).toBeVisible();
  await expect(p.getByRole('button', { name: 'Run on the nodes' })).toBeDisabled();
  await p.getByLabel('Services', { exact: true }).selectOption('restart');
  await expect(p.getByRole('button', { name: 'Run on the nodes' })).toBeEnabled();
  await p.getByRole('button', { name: 'Run on the nodes' }).click();
  await expect(p.getByRole('status').filter({ hasText: 'Every node finished the operation.' })).toBeVisible({ timeout: 90_000 });
  expect(await outcomeRows(p)).toEqual(allIps().map((ip) => `${ip} done`));
  // A plan runs once: sending it again takes a new plan.
  await expect(p.getByRole('button', { name: 'Run on the nodes' })).toBeDisabled();
  // Each rim node's repository service really started again.
  for (const [i, r] of rims.entries()) {
    const log = await readFile(join(r.dirs.dataDir, 'log', 'repository.log'), 'utf8');
    expect(log.split('\n').filter((l) => l.includes('Repository service started')).length, r.ip).toBeGreaterThan(before[i]!.split('\n').filter((l) => l.includes('Repository service started')).length);
  }
  await axeScan(p);
  await shot('outcome');
});

test('folders set reaches the product configuration on every node', async () => {
  const p = page!;
  const apps = join(work, 'share', 'Apps2');
  await p.getByLabel(/Service cluster folders/).check();
  await p.getByLabel('Apps', { exact: true }).fill(apps);
  await p.getByRole('button', { name: 'Show plan' }).click();
  await expect(p.getByRole('heading', { name: /Plan: Set the service cluster folders \(apps\)/ })).toBeVisible();
  await expect(p.locator('ol.site-plan > li').first()).toContainText(`set apps to ${apps} in the product configuration`);
  await p.getByRole('button', { name: 'Run on the nodes' }).click();
  await expect(p.getByRole('status').filter({ hasText: 'Every node finished the operation.' })).toBeVisible({ timeout: 60_000 });
  for (const dataDir of [central!.dirs.dataDir, ...rims.map((r) => r.dirs.dataDir)]) {
    const config = JSON.parse(await readFile(join(dataDir, 'reference.json'), 'utf8')) as { share: { apps: string } };
    expect(config.share.apps, dataDir).toBe(apps);
  }
  // Each node's agent reports the folders it now holds, and its connection string with the password masked.
  await p.getByRole('button', { name: 'Show connection strings and folders' }).click();
  await expect(p.locator('table.site-settings tbody tr')).toHaveCount(3, { timeout: 30_000 });
  const shown = await p.locator('table.site-settings tbody tr').evaluateAll((rows) => rows.map((r) => (r.textContent ?? '').replace(/\s+/g, ' ')));
  for (const [i, row] of shown.entries()) {
    expect(row, allIps()[i]).toContain(`Host=${ipA()}; Port=${PG_PORT}; Database=QSR;`);
    expect(row).toContain('Password=********');
    expect(row).toContain(`Apps ${apps}`);
  }
  expect(await p.evaluate(() => document.documentElement.outerHTML)).not.toContain(DB_PASSWORD);
  await axeScan(p);
  await screenshotter(p, 'site-folders')('outcome');
});

test('backup and restore from the Site screen: the plan first, the backup verifies, a deleted share file comes back (issue 17)', async () => {
  const p = page!;
  const shot = screenshotter(p, 'site-backup');
  const out = join(work, 'wizard-backup');
  const pass = 'Wizard-Backup-Pass-93kq';
  const file = join(work, 'share', 'CustomData', 'wizard.csv');
  await mkdir(join(work, 'share', 'CustomData'), { recursive: true });
  await writeFile(file, 'a,b\n1,2\n');
  await p.getByLabel('Back up the site into a folder').check();
  await p.getByRole('textbox', { name: 'Backup folder' }).fill(out);
  // A weak passphrase: a clear error, nothing made.
  await p.getByLabel('Backup passphrase').fill('short');
  await p.getByRole('button', { name: 'Show backup plan' }).click();
  await expect(p.getByText('The backup was not made')).toBeVisible();
  await expect(stat(out)).rejects.toThrow();
  await p.getByLabel('Backup passphrase').fill(pass);
  await expect(p.getByRole('button', { name: 'Back up now' })).toBeDisabled();
  await p.getByRole('button', { name: 'Show backup plan' }).click();
  // This site's database is the installer's PostgreSQL 17 (embedded, no pg_dump): without
  // postgresql-client-17 on the node the plan is refused with what to install, and nothing is made.
  if (!existsSync('/usr/lib/postgresql/17/bin/pg_dump')) {
    await expect(p.getByRole('alert')).toContainText("PostgreSQL 17's client programs (pg_dump, pg_restore, psql) are not installed here.");
    await expect(p.getByRole('alert')).toContainText('Install postgresql-client-17');
    await expect(p.getByRole('button', { name: 'Back up now' })).toBeDisabled();
    await expect(stat(out)).rejects.toThrow();
    await shot('no-client');
    test.info().annotations.push({ type: 'partial', description: 'postgresql-client-17 is not installed: the backup and restore run were not exercised' });
    return;
  }
  await expect(p.locator('pre.site-backup-plan')).toContainText('Expected downtime: about');
  await expect(p.locator('pre.site-backup-plan')).toContainText(`stop the product services on ${allIps().join(', ').replace(ipA(), `${ipA()} (central)`)}`);
  await expect(stat(out)).rejects.toThrow();
  await shot('plan');
  await p.getByRole('button', { name: 'Back up now' }).click();
  await expect(p.locator('pre.site-backup-result')).toContainText(`Backup complete in ${out}`, { timeout: 180_000 });
  await shot('done');
  const passFile = join(work, 'backup-pass');
  await writeFile(passFile, `${pass}\n`, { mode: 0o600 });
  const v = await central!.cli(['site', 'verify', out, '--passphrase-file', passFile]);
  expect(v.code, `${v.stdout}\n${v.stderr}`).toBe(0);

  await rm(file);
  await p.getByLabel('Restore the site from a backup folder (verified first)').check();
  await p.getByRole('button', { name: 'Show restore plan' }).click();
  await expect(p.locator('pre.site-backup-plan')).toContainText('CustomData/wizard.csv');
  await expect(stat(file)).rejects.toThrow();
  await p.getByRole('button', { name: 'Restore now' }).click();
  await expect(p.locator('pre.site-backup-result')).toContainText('Restore complete', { timeout: 180_000 });
  expect(await readFile(file, 'utf8')).toBe('a,b\n1,2\n');
  const text = await p.evaluate(() => document.body.innerText);
  expect(text.includes(DB_PASSWORD)).toBe(false);
  await axeScan(p);
  await shot('restored');
  await refreshUntil(p, (r) => r.length === 3 && r.every((x) => !x.includes('stopped')));
});

test('a rim node whose agent is stopped: shown unreachable, warned about in the plan, reported unreachable within the bound; the others finish', async () => {
  const p = page!;
  const c = rims[1]!;
  const started = async () => (await readFile(join(c.dirs.dataDir, 'log', 'repository.log'), 'utf8')).split('\n').filter((l) => l.includes('Repository service started')).length;
  const startedBefore = await started();
  const down = await execBounded('sv', ['-w', '30', 'down', join(c.dirs.runitDir, 'spsetup-node-agent')]);
  expect(down.code, down.stderr).toBe(0);
  try {
    const rows = await refreshUntil(p, (r) => r.find((x) => x.startsWith(`${c.ip} `))?.includes('unreachable') === true, 30_000);
    expect(rows.find((x) => x.startsWith(`${c.ip} `))).toMatch(/unreachable \(last/);
    await p.getByLabel(/Services: stop, start or restart/).check();
    await p.getByLabel('Services', { exact: true }).selectOption('restart');
    await p.getByLabel('Each node answers within (seconds)').fill('30');
    await p.getByRole('button', { name: 'Show plan' }).click();
    await expect(p.locator('.warning').filter({ hasText: `${c.ip} has sent no heartbeat` })).toBeVisible();
    const t0 = Date.now();
    await p.getByRole('button', { name: 'Run on the nodes' }).click();
    await expect(p.getByRole('status').filter({ hasText: /nodes? did not finish it/ })).toBeVisible({ timeout: 90_000 });
    expect(Date.now() - t0).toBeLessThan(30_000 + 15_000);
    expect(await outcomeRows(p)).toEqual([`${ipA()} done`, `${rims[0]!.ip} done`, `${c.ip} unreachable`]);
    await axeScan(p);
    await screenshotter(p, 'site-unreachable')('outcome');
  } finally {
    await execBounded('sv', ['-w', '30', 'up', join(c.dirs.runitDir, 'spsetup-node-agent')]);
  }
  // Back again, C reports the stale operation and does not run it: its services were not restarted.
  const rows = await refreshUntil(p, (r) => r.every((x) => !x.includes('unreachable')), 30_000);
  expect(rows.every((x) => !x.includes('unreachable'))).toBe(true);
  await p.waitForTimeout(3_000);
  expect(await started()).toBe(startedBefore);
});
