/**
 * Issue 6 in the wizard, against the REAL back end: a synchronized-persistence site of the
 * reference product (tests/support/sync-site.ts) in its own network namespace, with `spsetup ui`
 * and a Chromium inside that namespace. Welcome -> Migrate an existing site (keyboard) ->
 * detection (a wrong folder refused first, nothing changed) -> Database and service -> Root
 * folder -> Ready to migrate (the detected scenario, the number of files to copy) -> Migrating ->
 * Finished; then the content is on the share with the same SHA-256, the node runs shared
 * persistence and `spsetup status` shows it registered as central. An axe scan and a screenshot
 * of every screen; no password in pages, logs or the ui output. afterAll leaves nothing behind.
 */
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { clusterSkipReason, processesUnder } from '../support/cluster.js';
import { buildSyncSite, readMigratedState, type SyncSite } from '../support/sync-site.js';
import { axeScan, HAS_RENDERER, heading, screenshotter } from './helpers.js';
import { tabTo } from './keyboard.js';
import { startWizardNode } from './netns-node.js';
import type { WizardNode } from './netns-node.js';

const skipReason = !HAS_RENDERER ? 'the renderer is not built (run `npm run build`)' : clusterSkipReason();
test.skip(skipReason !== undefined, skipReason ?? '');
test.describe.configure({ mode: 'serial', timeout: 150_000 });

let site: SyncSite | undefined;
let node: WizardNode | undefined;

test.beforeAll(async () => {
  test.setTimeout(90_000);
  site = await buildSyncSite({ kind: 'sync-current', smallFiles: 120, largeFiles: 1, largeSize: 2 * 1024 * 1024 });
  node = await startWizardNode({
    netns: site.netns,
    address: '127.0.0.1',
    root: site.dirs.root,
    shareRoot: site.shareRoot,
    serviceUser: site.account,
    ipRanges: ['127.0.0.1/32', '10.250.0.0/16'],
  });
});

test.afterAll(async () => {
  test.setTimeout(60_000);
  await node?.stop();
  if (!site) return;
  const { root } = site.dirs;
  const netns = site.netns;
  const account = site.account;
  await site.cleanup();
  expect(await processesUnder(root), 'processes left under the site').toEqual([]);
  expect(existsSync(root), 'the site folder is removed').toBe(false);
  expect(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout, 'the namespace is removed').not.toContain(netns);
  expect((await readFile('/etc/passwd', 'utf8')).includes(`\n${account}:`), 'the service account is removed').toBe(false);
});

async function next(page: Page, expected: string | RegExp, timeout = 30_000): Promise<void> {
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.locator('main h1')).toHaveText(expected, { timeout });
}

/** Every file below a folder (recursively). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

test('migrate a synchronized site through the wizard: detection, plan, run, result', async () => {
  const s = site!;
  const page = await node!.newPage();
  const snap = screenshotter(page, 'migrate');
  const shot = async (name: string): Promise<void> => {
    await axeScan(page);
    await snap(name);
  };
  await page.goto(node!.url);
  await expect(page.locator('main h1')).toHaveText(/Welcome/);

  // Welcome by keyboard only: the task is a radio group (arrows), the licence a checkbox (Space).
  await tabTo(page, /Install a node/);
  await page.keyboard.press('ArrowDown');
  await expect(page.getByLabel('Migrate an existing site')).toBeChecked();
  await tabTo(page, /I accept the licence agreement/);
  await page.keyboard.press('Space');
  await shot('welcome');
  await expect(page.getByRole('navigation', { name: 'Migration steps' })).toContainText('Ready to migrate');
  await tabTo(page, /^Next$/);
  await page.keyboard.press('Enter');
  await expect(page.locator('main h1')).toHaveText('Migrate an existing site');

  // Validation as the user types: an empty backup folder is flagged at once, and Next is refused.
  const backup = page.getByLabel('Backup folder', { exact: true });
  await backup.fill('');
  await expect(page.locator('#f-migration-backupDir-error')).toHaveText('a backup folder is required');
  await backup.fill(join(s.dirs.dataDir, 'backup'));
  await expect(page.locator('#f-migration-backupDir-error')).toHaveText('the backup must be outside the data folder and the share');
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.locator('main h1')).toHaveText('Migrate an existing site');
  await expect(backup).toBeFocused();
  await backup.fill(s.backupDir);
  await expect(page.locator('#f-migration-backupDir-error')).toHaveCount(0);

  // A folder that is no site is refused with the reason, and nothing on the node changes.
  const configBefore = await readFile(s.configPath, 'utf8');
  const install = page.getByLabel('Installation folder', { exact: true });
  await install.fill(join(s.dirs.root, 'nothing-here'));
  await page.getByRole('button', { name: 'Detect the site' }).click();
  await expect(page.locator('.error-box')).toContainText('is not a Reference product node that can be migrated: the installation folder does not exist');
  await expect(page.locator('.error-box')).toContainText('What to do:');
  await shot('site-refused');
  expect(await readFile(s.configPath, 'utf8')).toBe(configBefore);
  expect(existsSync(s.backupDir)).toBe(false);

  await install.fill(s.dirs.installDir);
  await page.getByRole('button', { name: 'Detect the site' }).click();
  await expect(page.locator('.detected')).toContainText('Detected: synchronized persistence, current release.');
  await expect(page.locator('.detected')).toContainText(`on 127.0.0.1:${s.dbPort}`);
  await expect(page.locator('.detected')).toContainText(`${s.hostname} (central)`);
  await shot('site-detected');

  await next(page, 'Database and service');
  // Detection filled the database from the node's configuration.
  await expect(page.getByLabel('Database port', { exact: true })).toHaveValue(String(s.dbPort));
  await expect(page.getByLabel('Planned nodes in the cluster')).toHaveValue('3');
  await page.getByLabel('Superuser password', { exact: true }).fill(s.superuserPassword);
  await page.getByLabel('IP ranges allowed to connect', { exact: true }).fill('127.0.0.1/32, 10.250.0.0/16');
  await shot('database-service');

  await next(page, 'Root folder');
  await expect(page.getByLabel('Root folder', { exact: true })).toHaveValue(s.shareRoot);
  await shot('share');

  await next(page, 'Ready to migrate');
  await expect(page.getByRole('heading', { name: /Planned steps/ })).toBeVisible({ timeout: 60_000 });
  await expect(page.locator('.detected')).toContainText('Detected: synchronized persistence, current release.');
  await expect(page.locator('main')).toContainText(`Copy to the share: ${s.tree.files.length} file(s)`);
  await expect(page.locator('main')).toContainText('TRUNCATE 7 synchronization tables');
  await expect(page.locator('.check.failed')).toHaveCount(0);
  await shot('ready');
  // Planning changed nothing.
  expect(await readFile(s.configPath, 'utf8')).toBe(configBefore);

  await page.getByRole('button', { name: 'Migrate' }).click();
  await expect(page.locator('main h1')).toHaveText(/Migrating|Finished/);
  await snap('migrating');
  await expect(page.locator('main h1')).toHaveText('Finished', { timeout: 120_000 });
  await expect(page.locator('main')).toContainText('This node now runs shared persistence');
  await shot('finished');
  expect(await heading(page)).toBe('Finished');

  // What a user checks: the content on the share, the node in shared persistence, registered as central.
  const state = await readMigratedState(s);
  expect(state.wrongFiles).toEqual([]);
  expect(state.sharedPersistence).toBe(true);
  expect(state.productShareRoot).toBe(s.shareRoot);
  expect(state.nodes).toContain(`${s.hostname} central`);
  const doc = s.migrationDoc().settings as Record<string, unknown>;
  const statusFile = await node!.settingsFile({ ...doc, database: { ...(doc['database'] as object), password: s.password } } as never, 'status-settings');
  const status = await node!.cli(['status', '--settings', statusFile, '--json'], 60_000);
  expect(status.code, status.stderr).toBe(0);
  const nodes = (JSON.parse(status.stdout) as { nodes: { hostname: string; isCentral: boolean }[] }).nodes;
  expect(nodes).toContainEqual(expect.objectContaining({ hostname: s.hostname, isCentral: true }));

  // No password of the site in the page, the wizard's logs or its output.
  const secrets = [s.password, s.superuserPassword];
  const pageText = await page.evaluate(() => document.body.innerText + document.documentElement.outerHTML);
  for (const file of await filesUnder(join(s.dirs.stateDir, 'logs'))) {
    const text = await readFile(file, 'utf8');
    for (const secret of secrets) expect(text.includes(secret), `a password is in ${file}`).toBe(false);
  }
  for (const secret of secrets) {
    expect(pageText.includes(secret), 'a password is in the page').toBe(false);
    expect(node!.output().includes(secret), 'a password is in the ui output').toBe(false);
  }
});
