/**
 * Issue 19 items 14 and 15 (fake back end): the Installing screen (which step runs, elapsed time,
 * the running step kept in view, one bar for the running step only, a timed log, what to do on
 * failure) and the Finished screen (what was done, warnings from the run, service status, local
 * "last seen", the log, next steps, Close, the bundle saved where asked; no "created" after a run
 * that changed nothing).
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

test('Installing shows the running step, elapsed time and a timed log; Finished says what was done and what next', async ({ page }) => {
  const backend = createFakeBackend({ stepDelayMs: 700 });
  server = await startServer(backend);
  await page.goto(server.url);
  const shot = screenshotter(page, 'ux-run');
  await walkToReady(page, { mode: 'create', dbInstall: 'local' });
  await page.getByRole('button', { name: 'Install', exact: true }).click();
  await expect(page.locator('main h1')).toHaveText('Installing');
  const status = page.getByRole('status').filter({ hasText: /^Step \d of 8: / });
  await expect(status).toBeVisible();
  await expect(status.locator('.spinner')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Cancel' })).toBeEnabled();
  // One bar for the whole run and one for the running step, not one per step.
  const list = page.getByRole('list', { name: 'Steps' });
  await expect(list.locator('li[aria-current="step"]')).toHaveCount(1);
  await expect(list.locator('progress')).toHaveCount(1);
  await expect(page.locator('.elapsed')).toHaveText(/^0:0[1-9]$/, { timeout: 5000 });
  // The running step is inside the visible part of the list.
  await expect(list.locator('li[aria-current="step"]')).toBeInViewport();
  await expect(page.getByRole('log').locator('.at').first()).toHaveText(/^\d+:\d\d$/);
  await shot('running');

  await expect(page.locator('main h1')).toHaveText('Finished', { timeout: 30_000 });
  await expect(page.getByRole('status').first()).toHaveText(/^The cluster was created: 7 of 8 steps made changes in \d+:\d\d\.$/);
  await expect(page.getByText('/var/lib/spsetup/logs/run-1.log')).toBeVisible();
  // The run's warning is on Finished, not only in the log.
  await expect(page.getByRole('heading', { name: 'Warnings (1)' })).toBeVisible();
  await expect(page.locator('.run-warnings')).toContainText('will not come back after a reboot');
  await page.getByText(/^What was done \(7 steps\)$/).click();
  await expect(page.locator('.what-done li')).toHaveCount(7);
  await expect(page.locator('.what-done')).not.toContainText('Service account');
  // Service status, and last seen in local time with its age, not raw UTC.
  await expect(page.locator('table.services-status')).toContainText('repository');
  await expect(page.locator('table.services-status')).toContainText('running');
  const lastSeen = page.locator('table').last().locator('tbody td').nth(2);
  await expect(lastSeen).toContainText('ago)');
  await expect(lastSeen).not.toContainText('T00:00:00Z');
  await expect(page.getByRole('heading', { name: 'Next steps' })).toBeVisible();
  // The bundle goes where the administrator asks; a relative path is refused before any export.
  const panel = page.getByRole('region', { name: 'Export settings bundle' });
  await panel.getByLabel('Save to (optional)').fill('cluster.spbundle');
  await expect(panel.getByText(/must be an absolute path/)).toBeVisible();
  await panel.getByRole('button', { name: 'Export settings bundle' }).click();
  expect(backend.calls).not.toContain('exportBundle');
  await panel.getByLabel('Save to (optional)').fill('/media/usb/site.spbundle');
  await panel.getByRole('button', { name: 'Export settings bundle' }).click();
  await expect(panel.getByRole('status')).toContainText('Saved to /media/usb/site.spbundle');
  await shot('finished');
  // Close: a browser tab the script did not open stays, and says it may be closed.
  await page.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByText('Setup is done: close this browser tab.')).toBeVisible();
});

test('a failed run says what to do next; a run that changed nothing does not claim the cluster was created', async ({ page }) => {
  server = await startServer(createFakeBackend({ failStep: 'services' }));
  await page.goto(server.url);
  await walkToReady(page, { mode: 'create', dbInstall: 'local' });
  await page.getByRole('button', { name: 'Install', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Resume' })).toBeVisible();
  await expect(page.getByText(/^What to do now: fix the cause above, then Resume/)).toBeVisible();
  await expect(page.getByRole('list', { name: 'Steps' }).locator('li.failed')).toContainText('Register and start the services');
  await server.close();

  server = await startServer(createFakeBackend({ allInPlace: true }));
  await page.goto(server.url);
  await walkToReady(page, { mode: 'create', dbInstall: 'local' });
  await expect(page.getByText(/^0 of 8 steps change something/)).toBeVisible();
  await page.getByRole('button', { name: 'Install', exact: true }).click();
  await expect(page.locator('main h1')).toHaveText('Finished', { timeout: 30_000 });
  await expect(page.getByRole('status').first()).toHaveText('Nothing needed changing: this node already matched these settings (8 steps checked, all already in place).');
  await expect(page.getByText('The cluster was created')).toHaveCount(0);
});
