/**
 * Issue 19, the wizard as an administrator meets it (fake back end: these are screen behaviours):
 * password strength and the show toggle, sidebar navigation.
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

async function toLocalDatabase(page: Page): Promise<void> {
  await page.getByLabel('I accept the licence agreement').check();
  await nextTo(page, /Create or join/);
  await page.getByLabel(/Create cluster/).check();
  await nextTo(page, 'Database');
  await page.getByLabel(/Install a local database/).check();
}

test('a weak password for a database the installer creates is refused with the reason; meter and show toggle', async ({ page }) => {
  server = await startServer(createFakeBackend());
  await page.goto(server.url);
  const shot = screenshotter(page, 'ux-password');
  await toLocalDatabase(page);
  const pw = page.getByLabel('Database password', { exact: true });
  await pw.fill('abc');
  await page.getByLabel('Confirm password', { exact: true }).fill('abc');
  await expect(page.getByText('Strength: very weak')).toBeVisible();
  await expect(pw).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText(/too weak \(very weak\)/)).toBeVisible();
  await shot('weak');
  // Next refuses: the screen stays, focus on the weak field.
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(h1(page)).toHaveText('Database');
  await expect(pw).toBeFocused();
  // Show reveals what was typed (same value), Hide masks it again.
  await expect(pw).toHaveAttribute('type', 'password');
  const show = page.getByRole('button', { name: 'Show' }).first();
  await show.click();
  await expect(page.getByLabel('Database password', { exact: true })).toHaveAttribute('type', 'text');
  await expect(page.getByLabel('Database password', { exact: true })).toHaveValue('abc');
  await expect(page.getByRole('button', { name: 'Hide' })).toHaveAttribute('aria-pressed', 'true');
  await page.getByRole('button', { name: 'Hide' }).click();
  await expect(page.getByLabel('Database password', { exact: true })).toHaveAttribute('type', 'password');
  // A strong one passes.
  await pw.fill('correct-horse-battery');
  await page.getByLabel('Confirm password', { exact: true }).fill('correct-horse-battery');
  await expect(page.getByText(/Strength: (strong|very strong)/)).toBeVisible();
  await expect(page.getByText(/too weak/)).toHaveCount(0);
  await shot('strong');
  await nextTo(page, 'Database listener');
});

test('an existing database\'s password is not measured (only required)', async ({ page }) => {
  server = await startServer(createFakeBackend());
  await page.goto(server.url);
  await toLocalDatabase(page);
  await page.getByLabel(/Use an existing database/).check();
  await page.getByLabel('Database host').fill('db.example.test');
  await page.getByLabel('Database password', { exact: true }).fill('abc');
  await page.getByLabel('Confirm password', { exact: true }).fill('abc');
  await expect(page.getByText(/Strength:/)).toHaveCount(0);
  await nextTo(page, 'Database listener');
});

test('visited screens are reachable from the sidebar; a forward jump stops at a screen with errors', async ({ page }) => {
  server = await startServer(createFakeBackend());
  await page.goto(server.url);
  const shot = screenshotter(page, 'ux-sidebar');
  const nav = page.getByRole('navigation', { name: 'Installation steps' });
  // Not yet visited: not a button.
  await expect(nav.getByRole('button', { name: /Database/ })).toHaveCount(0);
  await toLocalDatabase(page);
  await page.getByLabel('Database password', { exact: true }).fill('correct-horse-battery');
  await page.getByLabel('Confirm password', { exact: true }).fill('correct-horse-battery');
  await nextTo(page, 'Database listener');
  await nextTo(page, 'Root folder');
  await nextTo(page, 'Installation location');
  await shot('location');
  await nav.getByRole('button', { name: /^2\s*Cluster|Cluster/ }).click();
  await expect(h1(page)).toHaveText(/Create or join/);
  // Forward again in one click, over screens that are still valid.
  await nav.getByRole('button', { name: /Installation location/ }).click();
  await expect(h1(page)).toHaveText('Installation location');
  // Break the Database screen, then jump forward past it: it stops there and says why.
  await nav.getByRole('button', { name: /^\d*\s*Database$/ }).click();
  await expect(h1(page)).toHaveText('Database');
  await page.getByLabel('Database port').fill('70000');
  await nav.getByRole('button', { name: /Installation location/ }).click();
  await expect(h1(page)).toHaveText('Database');
  await expect(page.getByText('a port is 1..65535')).toBeVisible();
  await shot('blocked');
});

test('planning shows a spinner and the time it has taken, within a stated bound', async ({ page }) => {
  server = await startServer(createFakeBackend({ planDelayMs: 3500 }));
  await page.goto(server.url);
  const shot = screenshotter(page, 'ux-planning');
  await toLocalDatabase(page);
  await page.getByLabel('Database password', { exact: true }).fill('correct-horse-battery');
  await page.getByLabel('Confirm password', { exact: true }).fill('correct-horse-battery');
  await nextTo(page, 'Database listener');
  const nav = page.getByRole('navigation', { name: 'Installation steps' });
  await nextTo(page, 'Root folder');
  await nextTo(page, 'Installation location');
  await nextTo(page, 'Database credentials');
  await page.getByLabel('Superuser password', { exact: true }).fill('Super-pass-42x');
  await page.getByLabel('Confirm password', { exact: true }).fill('Super-pass-42x');
  await nextTo(page, 'Service credentials');
  await nextTo(page, 'Host name');
  await nextTo(page, 'Ready to install');
  const status = page.getByRole('status').filter({ hasText: 'Planning' });
  await expect(status.locator('.spinner')).toBeVisible();
  await expect(status).toContainText('(at most 90 s)');
  await expect(status.locator('.elapsed')).toHaveText(/^[1-9]\d* s$/, { timeout: 3000 });
  await shot('planning');
  await expect(page.getByRole('heading', { name: /Planned steps/ })).toBeVisible({ timeout: 10_000 });
  await expect(nav).toBeVisible();
});

test('looking at Migrate and going back to Install keeps the local database and the superuser step', async ({ page }) => {
  server = await startServer(createFakeBackend());
  await page.goto(server.url);
  await page.getByLabel('Migrate an existing site').check();
  await expect(page.getByRole('navigation', { name: 'Migration steps' })).toBeVisible();
  await page.getByLabel('Install a node').check();
  const nav = page.getByRole('navigation', { name: 'Installation steps' });
  await expect(nav).toContainText('Database credentials');
  await page.getByLabel('I accept the licence agreement').check();
  await nextTo(page, /Create or join/);
  await nextTo(page, 'Database');
  await expect(page.getByLabel(/Install a local database/)).toBeChecked();
  await expect(page.getByLabel('Database host')).toHaveCount(0);
});
