/**
 * LAYOUT ONLY, against the test double in tests/support/fake-backend.ts: a screenshot of every
 * screen (including the failure view) for people to look at, plus checks that do not depend on
 * the back end (validation as you type, Back keeps what was typed). Real flows: create-flow,
 * join-flow, keyboard, a11y specs.
 */
import { expect, test } from '@playwright/test';
import { createFakeBackend } from '../support/fake-backend.js';
import { axeScan, expectNoSecretsShown, HAS_RENDERER, installToFinished, screenshotter, SECRETS, startServer, walkToReady } from './helpers.js';
import type { Started } from './helpers.js';

test.skip(!HAS_RENDERER, 'the renderer is not built (run `npm run build`)');

let server: Started | undefined;
test.afterEach(async () => {
  await server?.close();
  server = undefined;
});

test('every screen of the create flow (fake back end)', async ({ page }) => {
  server = await startServer(createFakeBackend());
  await page.goto(server.url);
  await expect(page).not.toHaveURL(/token=/);
  const snap = screenshotter(page, 'layout-create');
  // The axe scan here finds layout-level problems early; real-flows.spec.ts scans the real thing.
  const shot = async (name: string): Promise<void> => {
    await axeScan(page);
    await snap(name);
  };
  await walkToReady(page, { mode: 'create', dbInstall: 'local', onScreen: shot });
  await expectNoSecretsShown(page);
  await installToFinished(page, shot);
  await page.getByRole('button', { name: 'Export settings bundle' }).click();
  await expect(page.getByText('correct-horse-battery')).toBeVisible();
  await shot('finished-exported');
  await expectNoSecretsShown(page);
});

test('join flow, import bundle, wrong password, failure view (fake back end)', async ({ page }) => {
  server = await startServer(createFakeBackend({ failStep: 'services' }));
  await page.goto(server.url);
  const shot = screenshotter(page, 'layout-join');
  await page.getByLabel('I accept the licence agreement').check();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel(/Join cluster/).check();
  await page.getByLabel('Bundle file').setInputFiles({ name: 'cluster.spbundle', mimeType: 'application/octet-stream', buffer: Buffer.from('fake bundle') });
  await page.getByLabel('Bundle passphrase').fill('bundle-pass');
  await page.getByRole('button', { name: 'Show bundle contents' }).click();
  await expect(page.getByText('central.example.test')).toBeVisible();
  await page.getByRole('button', { name: 'Use these settings' }).click();
  await shot('cluster-imported');
  await expectNoSecretsShown(page);
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByLabel('Database host')).toHaveValue('central.example.test');
  // Validation as you type: a bad port is flagged on the field.
  await page.getByLabel('Database port').fill('70000');
  await expect(page.getByLabel('Database port')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('a port is 1..65535')).toBeVisible();
  await page.getByLabel('Database port').fill('4432');
  await page.getByLabel('Database password').fill('wrong-one');
  await page.getByLabel('Confirm password').fill('wrong-one');
  await page.getByRole('button', { name: 'Test connection' }).click();
  await expect(page.getByText('refused the password')).toBeVisible();
  await shot('database-wrong-password');
  await page.getByLabel('Database password').fill(SECRETS.db);
  await page.getByLabel('Confirm password').fill(SECRETS.db);
  await page.getByRole('button', { name: 'Test connection' }).click();
  await expect(page.getByText(/Passed: Database connection/)).toBeVisible();
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.locator('main h1')).toHaveText('Root folder');
  // Back keeps what was typed.
  await page.getByRole('button', { name: 'Back' }).click();
  await expect(page.getByLabel('Database password')).toHaveValue(SECRETS.db);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.locator('main h1')).toHaveText('Service credentials');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Host name').fill('node2.example.test');
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByRole('heading', { name: /Planned steps/ })).toBeVisible();
  await page.getByRole('button', { name: 'Install', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Resume' })).toBeVisible();
  await expect(page.getByRole('alert').getByText('did not become ready')).toBeVisible();
  await shot('installing-failed');
  await expectNoSecretsShown(page);
});
