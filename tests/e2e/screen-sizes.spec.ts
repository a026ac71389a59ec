/**
 * Issue 19 item 16 (fake back end): every screen of the create flow, the failure view and the first
 * screens of Migrate and Operate, at 1024×700, 1280×800 and 1920×1080: a screenshot of what the
 * window shows (tests/e2e/artifacts/size-*), and checks that nothing overflows or is clipped:
 * no horizontal scrolling of the page or of any box, nothing sticking out of the window, the
 * buttons of the bottom bar entirely inside it, and no secret on the screen.
 */
import { expect, test } from '@playwright/test';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { createFakeBackend } from '../support/fake-backend.js';
import { ARTIFACTS, expectNoSecretsShown, HAS_RENDERER, startServer, walkToReady } from './helpers.js';
import { layoutProblems } from './layout-check.js';
import type { Started } from './helpers.js';

test.skip(!HAS_RENDERER, 'the renderer is not built (run `npm run build`)');

const SIZES = [
  { width: 1024, height: 700 },
  { width: 1280, height: 800 },
  { width: 1920, height: 1080 },
] as const;

let server: Started | undefined;
test.afterEach(async () => {
  await server?.close();
  server = undefined;
});

for (const size of SIZES) {
  test(`every screen fits at ${size.width}×${size.height}: nothing overflows or is clipped, no secret shown`, async ({ page }) => {
    await page.setViewportSize(size);
    server = await startServer(createFakeBackend({ stepDelayMs: 250 }));
    await page.goto(server.url);
    mkdirSync(ARTIFACTS, { recursive: true });
    let n = 0;
    const look = async (screen: string): Promise<void> => {
      n += 1;
      await page.screenshot({ path: join(ARTIFACTS, `size-${size.width}x${size.height}-${String(n).padStart(2, '0')}-${screen}.png`) });
      expect(await layoutProblems(page), `${screen} at ${size.width}×${size.height}`).toEqual([]);
      await expectNoSecretsShown(page);
    };
    await walkToReady(page, { mode: 'create', dbInstall: 'local', onScreen: look });
    // Ready with every diff open (the widest content).
    await page.getByRole('button', { name: 'Show all diffs' }).click();
    await look('ready-diffs');
    await page.getByLabel('Show changes only').uncheck();
    await page.locator('main').evaluate((m) => m.scrollTo(0, m.scrollHeight));
    await look('ready-all-steps-bottom');
    await page.getByRole('button', { name: 'Install', exact: true }).click();
    await expect(page.locator('main h1')).toHaveText('Installing');
    await look('installing');
    await expect(page.locator('main h1')).toHaveText('Finished', { timeout: 30_000 });
    await look('finished');
    await page.getByRole('button', { name: 'Export settings bundle' }).click();
    await expect(page.getByText('Saved to')).toBeVisible();
    await look('finished-exported');
    await server.close();

    // The failure view, and the first screens of the other tasks.
    server = await startServer(createFakeBackend({ failStep: 'services' }));
    await page.goto(server.url);
    await walkToReady(page, { mode: 'create', dbInstall: 'local' });
    await page.getByRole('button', { name: 'Install', exact: true }).click();
    await expect(page.getByRole('button', { name: 'Resume' })).toBeVisible();
    await look('installing-failed');
    await page.goto(server.url);
    await page.getByLabel('Migrate an existing site').check();
    await look('welcome-migrate');
    await page.getByLabel('I accept the licence agreement').check();
    await page.getByRole('button', { name: 'Next' }).click();
    await look('migrate-site');
    await page.goto(server.url);
    await page.getByLabel('Operate the site').check();
    await page.getByRole('button', { name: 'Next' }).click();
    await look('site-access');
  });
}
