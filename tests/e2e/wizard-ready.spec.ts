/**
 * Issue 19, the Ready screen (fake back end): a summary of what changes by area, "changes only"
 * on by default (a step already in place is not listed as a change), collapsible steps with
 * their diffs, long diff lines wrapped rather than cut.
 */
import { expect, test } from '@playwright/test';
import { createFakeBackend } from '../support/fake-backend.js';
import { HAS_RENDERER, screenshotter, startServer, walkToReady } from './helpers.js';
import type { Started } from './helpers.js';

test.skip(!HAS_RENDERER, 'the renderer is not built (run `npm run build`)');

let server: Started | undefined;
test.afterEach(async () => {
  await server?.close();
  server = undefined;
});

test('Ready: summary by area, changes only by default, collapsible diffs that wrap', async ({ page }) => {
  server = await startServer(createFakeBackend());
  await page.goto(server.url);
  const shot = screenshotter(page, 'ux-ready');
  await walkToReady(page, { mode: 'create', dbInstall: 'local' });
  // The summary comes first: one row per area, the service account (already there) is no change.
  await expect(page.getByRole('heading', { name: 'What will change' })).toBeVisible();
  await expect(page.getByText('7 of 8 steps change something; 1 already in place.')).toBeVisible();
  const areas = page.locator('table.plan-areas tbody tr');
  await expect(areas.filter({ hasText: 'Accounts' })).toContainText('no change');
  await expect(areas.filter({ hasText: 'Repository database' })).toContainText('2 to create, 2 to update');
  // Changes only: the unchanged step is not in the list.
  const changesOnly = page.getByLabel('Show changes only');
  await expect(changesOnly).toBeChecked();
  const steps = page.locator('ol.plan > li');
  await expect(steps).toHaveCount(7);
  await expect(steps.filter({ hasText: 'Service account' })).toHaveCount(0);
  await expect(page.getByText('1 step is already in place and hidden.')).toBeVisible();
  await expect(page.locator('ol.plan .action', { hasText: 'no change' })).toHaveCount(0);
  // Diffs are collapsed; a step opens on its own and its long lines wrap inside the window.
  const conf = steps.filter({ hasText: 'Configure postgresql.conf' });
  const diff = conf.locator('pre.diff');
  await expect(diff).toBeHidden();
  await expect(conf).toContainText('+2');
  await conf.locator('summary').click();
  await expect(diff).toBeVisible();
  await expect(diff).toContainText('max_connections = 200');
  const fits = await diff.evaluate((el) => el.scrollWidth <= el.clientWidth && el.getBoundingClientRect().right <= document.documentElement.clientWidth);
  expect(fits, 'the diff is cut off at the right').toBe(true);
  await expect(diff).toContainText('rather than cut off at the edge of the window');
  await shot('changes-only');
  await page.getByRole('button', { name: 'Hide all diffs' }).click();
  await expect(diff).toBeHidden();
  await page.getByRole('button', { name: 'Show all diffs' }).click();
  await expect(page.locator('ol.plan pre.diff')).toHaveCount(2);
  await expect(page.locator('ol.plan pre.diff').nth(1)).toBeVisible();
  // Everything, unchanged steps included and marked as such.
  await changesOnly.uncheck();
  await expect(steps).toHaveCount(8);
  await expect(steps.filter({ hasText: 'Service account' }).locator('.action')).toHaveText('no change');
  await shot('all-steps');
  // The start-services choice says why it is on for this central node.
  await expect(page.locator('#start-hint')).toContainText('The guide leaves them stopped on the central node');
});
