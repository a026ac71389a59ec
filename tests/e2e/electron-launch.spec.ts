/** Launches the packaged main process with Playwright's _electron where the Electron binary exists. */
import { _electron as electron, expect, test } from '@playwright/test';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ROOT } from './helpers.js';

/** The Electron binary's path, found the way require('electron') does but without its download fallback. */
function electronBinary(): { path?: string; reason?: string } {
  try {
    const pkgDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
    const pathFile = join(pkgDir, 'path.txt');
    if (!existsSync(pathFile)) return { reason: 'the Electron binary was never downloaded (installed with ELECTRON_SKIP_BINARY_DOWNLOAD; GitHub is unreachable here)' };
    const path = join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim());
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
      // Present at run time since Electron 18; missing from some typings.
      const wc = w.webContents as unknown as { getLastWebPreferences(): Record<string, unknown> | null };
      const p = wc.getLastWebPreferences() ?? {};
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
