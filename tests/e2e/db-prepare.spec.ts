/**
 * Issue 12: the wizard shows the `db prepare` plan of an existing database server before it
 * changes anything there, and applies exactly that plan (fake back end: the screen's behaviour;
 * the plan itself and its apply are tested on real servers in tests/integration/db-prepare-*).
 */
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { createFakeBackend } from '../support/fake-backend.js';
import { HAS_RENDERER, screenshotter, startServer } from './helpers.js';
import type { Started } from './helpers.js';

test.skip(!HAS_RENDERER, 'the renderer is not built (run `npm run build`)');

let server: Started | undefined;
test.afterEach(async () => {
  await server?.close();
  server = undefined;
});

const h1 = (page: Page) => page.locator('main h1');
const nextTo = async (page: Page, title: string | RegExp): Promise<void> => {
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(h1(page)).toHaveText(title);
};

async function toExistingListener(page: Page): Promise<void> {
  await page.getByLabel('I accept the licence agreement').check();
  await nextTo(page, /Create or join/);
  await page.getByLabel(/Create cluster/).check();
  await nextTo(page, 'Database');
  await page.getByLabel(/Use an existing database/).check();
  await page.getByLabel('Database host').fill('db.example.test');
  await page.getByLabel('Database password', { exact: true }).fill('Secret-db-pass1');
  await page.getByLabel('Confirm password', { exact: true }).fill('Secret-db-pass1');
  await nextTo(page, 'Database listener');
}

test('existing database: the db prepare plan is shown before any change, Prepare applies that plan', async ({ page }) => {
  const backend = createFakeBackend();
  server = await startServer(backend);
  await page.goto(server.url);
  const shot = screenshotter(page, 'db-prepare');
  await toExistingListener(page);
  const show = page.getByRole('button', { name: 'Show the preparation plan' });
  const prepare = page.getByRole('button', { name: 'Prepare the database server' });
  // Nothing can be applied before a plan was shown; the superuser password is asked for first.
  await expect(prepare).toBeDisabled();
  await expect(show).toBeDisabled();
  // A wrong superuser password: the server's refusal, no plan, still nothing to apply.
  await page.getByLabel('Superuser password', { exact: true }).fill('wrong-pass');
  await show.click();
  await expect(page.getByText(/refused the password of postgres/)).toBeVisible();
  await expect(prepare).toBeDisabled();
  await page.getByLabel('Superuser password', { exact: true }).fill('Super-pass-1');
  await show.click();
  await expect(page.getByRole('heading', { name: /Prepare the database server for \d+ node/ })).toBeVisible();
  await expect(page.getByText(/pg_hba\.conf: the nodes that may connect/)).toBeVisible();
  await expect(page.getByText(/PostgreSQL 15\.8; config_file/)).toBeVisible();
  await expect(page.locator('.diff').first()).toContainText('scram-sha-256');
  expect(backend.calls.filter((c) => c.startsWith('applyDbPrepare'))).toEqual([]);
  await shot('plan');
  // An edit after the plan: it must be shown again before Prepare.
  const ranges = page.getByLabel(/IP ranges/);
  const before = await ranges.inputValue();
  await ranges.fill('10.9.0.0/24');
  await expect(page.getByText('The settings changed since this plan: show the plan again.')).toBeVisible();
  await expect(prepare).toBeDisabled();
  await ranges.fill(before);
  await expect(prepare).toBeEnabled();
  await prepare.click();
  await expect(page.getByRole('status').filter({ hasText: 'The database server is prepared (3 of 3 steps done)' })).toBeVisible();
  // Exactly the plan shown was applied, once, and only after it was shown.
  const calls = backend.calls.filter((c) => c === 'planDbPrepare' || c.startsWith('applyDbPrepare'));
  expect(calls).toEqual(['planDbPrepare', 'planDbPrepare', 'applyDbPrepare plan-fake-db-prepare-1']);
  await expect(prepare).toBeDisabled();
  await shot('prepared');
  // The install goes on as before.
  await nextTo(page, 'Root folder');
});

test('local database: no database server preparation on the listener screen', async ({ page }) => {
  server = await startServer(createFakeBackend());
  await page.goto(server.url);
  await page.getByLabel('I accept the licence agreement').check();
  await nextTo(page, /Create or join/);
  await page.getByLabel(/Create cluster/).check();
  await nextTo(page, 'Database');
  await page.getByLabel(/Install a local database/).check();
  await page.getByLabel('Database password', { exact: true }).fill('correct-horse-battery');
  await page.getByLabel('Confirm password', { exact: true }).fill('correct-horse-battery');
  await nextTo(page, 'Database listener');
  await expect(page.getByRole('button', { name: 'Show the preparation plan' })).toHaveCount(0);
});
