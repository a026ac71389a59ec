/** Launches the packaged main process with Playwright's _electron where the Electron binary exists. */
import { _electron as electron, expect, test } from '@playwright/test';
import { accessSync, constants, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

function electronBinary(): { path?: string; reason?: string } {
  try {
    const path = createRequire(import.meta.url)('electron') as unknown as string;
    if (typeof path !== 'string' || !existsSync(path)) return { reason: 'the Electron binary is not installed (ELECTRON_SKIP_BINARY_DOWNLOAD, no network to GitHub)' };
    accessSync(path, constants.X_OK);
    return { path };
  } catch (err) {
    return { reason: `the Electron binary cannot be had here: ${(err as Error).message.split('\n')[0]}` };
  }
}

const bin = electronBinary();
test.skip(bin.path === undefined, bin.reason ?? 'no Electron binary');
test.skip(!existsSync(join(ROOT, 'dist', 'electron', 'main', 'index.js')), 'the app is not built (run `npm run build`)');

test('(g) the Electron app opens the locked-down wizard window', async () => {
  const app = await electron.launch({ executablePath: bin.path, args: [join(ROOT, 'dist', 'electron', 'main', 'index.js'), '--no-sandbox'], cwd: ROOT });
  try {
    const page = await app.firstWindow();
    await expect(page.locator('main h1')).toBeVisible();
    const prefs = await app.evaluate(({ BrowserWindow }) => {
      const w = BrowserWindow.getAllWindows()[0]!;
      const p = w.webContents.getLastWebPreferences() ?? {};
      return { sandbox: p.sandbox, contextIsolation: p.contextIsolation, nodeIntegration: p.nodeIntegration };
    });
    expect(prefs).toEqual({ sandbox: true, contextIsolation: true, nodeIntegration: false });
    expect(await page.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe('undefined');
    expect(await page.evaluate(() => Object.keys((window as unknown as { spsetup: object }).spsetup).sort())).toContain('onEvent');
    await page.screenshot({ path: join(ROOT, 'tests', 'e2e', 'artifacts', 'electron-first-screen.png') });
  } finally {
    await app.close();
  }
});
