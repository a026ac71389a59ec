/** Shared steps of the end-to-end specs: start browser mode, walk the wizard, screenshots, secrets. */
import { expect } from '@playwright/test';
import type { Page } from '@playwright/test';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { InstallerBackend } from '../../electron/shared/ipc.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const ARTIFACTS = join(ROOT, 'tests', 'e2e', 'artifacts');
export const RENDERER_DIR = join(ROOT, 'dist', 'renderer');
export const HAS_RENDERER = existsSync(join(RENDERER_DIR, 'index.html'));

/** Secrets typed into the wizard; none may show up anywhere but their own password inputs. */
export const SECRETS = { db: 'Secret-db-pass1', superuser: 'Super-pass-42x', service: 'Svc-pass-77y' } as const;

export interface Started {
  readonly url: string;
  close(): Promise<void>;
}

/** Browser mode with the given back end, serving the built renderer. */
export async function startServer(backend: InstallerBackend): Promise<Started> {
  const mod = (await import(join(ROOT, 'dist', 'electron', 'main', 'browser-server.js'))) as typeof import('../../electron/main/browser-server.js');
  return mod.startBrowserServer({ backend, port: 0, host: '127.0.0.1', rendererDir: RENDERER_DIR });
}

export function screenshotter(page: Page, prefix: string): (name: string) => Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  let n = 0;
  return async (name) => {
    n += 1;
    // The wizard is a fixed-size window whose <main> scrolls: grow the viewport for the shot so
    // the artifact shows the whole screen (every planned step, the whole log), then restore it.
    const size = page.viewportSize();
    const hidden = await page.evaluate(() => {
      const main = document.querySelector('main');
      return main ? main.scrollHeight - main.clientHeight : 0;
    });
    if (size && hidden > 0) await page.setViewportSize({ width: size.width, height: Math.min(size.height + hidden, 12_000) });
    try {
      await page.screenshot({ path: join(ARTIFACTS, `${prefix}-${String(n).padStart(2, '0')}-${name}.png`), fullPage: true });
    } finally {
      if (size && hidden > 0) await page.setViewportSize(size);
    }
  };
}

export async function heading(page: Page): Promise<string> {
  return (await page.locator('main h1').first().textContent())?.trim() ?? '';
}

/** Asserts no secret is in the page's text, its HTML, or any input other than password inputs. */
export async function expectNoSecretsShown(page: Page): Promise<void> {
  const text = await page.evaluate(() => document.body.innerText + '\n' + document.documentElement.outerHTML);
  const leakedInputs = await page.evaluate(
    (secrets) =>
      [...document.querySelectorAll('input, textarea')]
        .filter((el) => (el as HTMLInputElement).type !== 'password')
        .map((el) => (el as HTMLInputElement).value)
        .filter((v) => secrets.some((s) => v.includes(s))),
    Object.values(SECRETS),
  );
  for (const secret of Object.values(SECRETS)) expect(text, 'a secret is visible in the page').not.toContain(secret);
  expect(leakedInputs).toEqual([]);
}

export async function axeScan(page: Page): Promise<void> {
  const require = createRequire(import.meta.url);
  const axe = require('axe-core') as { source: string };
  // addScriptTag would be an inline script, which our CSP rightly blocks; evaluate runs over the
  // DevTools protocol instead, leaving the page's CSP in force.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axe.source);
  const result = await page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe.run(document, {});
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  });
  expect(result, `axe violations on "${await heading(page)}"`).toEqual([]);
}

export interface FlowOptions {
  readonly mode: 'create' | 'join';
  readonly dbInstall: 'local' | 'existing';
  /** Overrides of machine paths, so a real install stays inside temp dirs. */
  readonly paths?: { readonly shareRoot?: string; readonly installDir?: string; readonly dataDir?: string };
  readonly dbHost?: string;
  readonly dbPort?: string;
  readonly hostname?: string;
  /** The listener's allowed ranges (create only). */
  readonly ipRanges?: string;
  readonly onScreen?: (name: string) => Promise<void>;
  /** Runs on the Database screen once it is filled (e.g. Test connection). */
  readonly onDatabase?: () => Promise<void>;
}

async function next(page: Page, expected: string | RegExp): Promise<void> {
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.locator('main h1')).toHaveText(expected);
}

async function fill(page: Page, label: string | RegExp, value: string): Promise<void> {
  const input = page.getByLabel(label, { exact: typeof label === 'string' });
  await input.fill(value);
}

/** Walks Welcome .. Ready with the mouse, filling every screen; ends on Ready to install. */
export async function walkToReady(page: Page, o: FlowOptions): Promise<void> {
  const shot = o.onScreen ?? (async () => undefined);
  await expect(page.locator('main h1')).toHaveText(/Welcome/);
  await shot('welcome');
  await page.getByLabel('I accept the licence agreement').check();
  await next(page, /Create or join/);
  await page.getByLabel(o.mode === 'create' ? /Create cluster/ : /Join cluster/).check();
  await shot('cluster');
  await next(page, 'Database');
  if (o.mode === 'create') await page.getByLabel(o.dbInstall === 'local' ? /Install a local database/ : /Use an existing database/).check();
  if (o.dbInstall === 'existing') await fill(page, 'Database host', o.dbHost ?? '127.0.0.1');
  if (o.dbPort) await fill(page, 'Database port', o.dbPort);
  await fill(page, 'Database password', SECRETS.db);
  await fill(page, 'Confirm password', SECRETS.db);
  await o.onDatabase?.();
  await shot('database');
  if (o.mode === 'create') {
    await next(page, 'Database listener');
    await page.getByLabel('Planned nodes in the cluster').selectOption('2');
    await fill(page, 'IP ranges allowed to connect', o.ipRanges ?? '127.0.0.1/32, 10.250.0.0/24');
    await shot('listener');
  }
  await next(page, 'Root folder');
  if (o.paths?.shareRoot) await fill(page, 'Root folder', o.paths.shareRoot);
  await shot('share');
  await next(page, 'Installation location');
  if (o.paths?.installDir) await fill(page, 'Installation folder', o.paths.installDir);
  if (o.paths?.dataDir) await fill(page, 'Data folder', o.paths.dataDir);
  await shot('location');
  if (o.dbInstall === 'local') {
    await next(page, 'Database credentials');
    await fill(page, 'Superuser password', SECRETS.superuser);
    await fill(page, 'Confirm password', SECRETS.superuser);
    await shot('superuser');
  }
  await next(page, 'Service credentials');
  await fill(page, 'Password', SECRETS.service);
  await fill(page, 'Confirm password', SECRETS.service);
  await shot('service');
  await next(page, 'Host name');
  if (o.hostname) await fill(page, 'Host name', o.hostname);
  await page.getByRole('button', { name: 'Check host name' }).click();
  await expect(page.locator('.check, .error-box').first()).toBeVisible({ timeout: 30_000 });
  await shot('hostname');
  await next(page, 'Ready to install');
  await expect(page.getByRole('heading', { name: /Planned steps/ })).toBeVisible({ timeout: 60_000 });
  await shot('ready');
}

/** Presses Install and waits for Finished (or a failure). */
export async function installToFinished(page: Page, shot: (name: string) => Promise<void> = async () => undefined): Promise<void> {
  await page.getByRole('button', { name: 'Install', exact: true }).click();
  await expect(page.locator('main h1')).toHaveText(/Installing|Finished/);
  await shot('installing');
  await expect(page.locator('main h1')).toHaveText('Finished', { timeout: 180_000 });
  await expect(page.getByRole('heading', { name: 'Next steps' })).toBeVisible();
  await shot('finished');
}
