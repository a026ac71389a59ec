/**
 * Renderer benchmark: gzipped size of the wizard's JavaScript, and time to the first screen in
 * headless Chromium (browser mode, test double back end) against a blank page baseline served by
 * the same kind of server, median of several runs. The last line is one JSON object.
 * Run: npx tsx bench/renderer/index.ts (after `npm run build`).
 */
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { startBrowserServer } from '../../electron/main/browser-server.js';
import { createFakeBackend } from '../../tests/support/fake-backend.js';
import { measure, printResult, round } from '../lib/index.js';

const root = resolve(import.meta.dirname, '..', '..');
const rendererDir = join(root, 'dist', 'renderer');
const RUNS = 7;
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

async function jsGzipBytes(): Promise<{ raw: number; gzip: number }> {
  const dir = join(rendererDir, 'assets');
  let raw = 0;
  let gzip = 0;
  for (const f of await readdir(dir)) {
    if (!f.endsWith('.js')) continue;
    const bytes = await readFile(join(dir, f));
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  return { raw, gzip };
}

async function main(): Promise<void> {
  const size = await jsGzipBytes();
  const blank = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<!doctype html><title>blank</title><main><h1>Blank</h1></main>');
  });
  await new Promise<void>((r) => blank.listen(0, '127.0.0.1', () => r()));
  const blankUrl = `http://127.0.0.1:${(blank.address() as AddressInfo).port}/`;
  const wizard = await startBrowserServer({ backend: createFakeBackend(), port: 0, host: '127.0.0.1', rendererDir });
  const browser = await chromium.launch({ executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium', args: ARGS, headless: true });
  try {
    // A fresh context per run: a cold cache, as a user opening the wizard.
    const timeTo = (url: string, selector: string) =>
      measure(async () => {
        const context = await browser.newContext();
        const page = await context.newPage();
        await page.goto(url);
        await page.locator(selector).first().waitFor();
        await context.close();
      }, { runs: RUNS });
    await timeTo(blankUrl, 'main h1'); // warm the browser process once
    const baselineMs = await timeTo(blankUrl, 'main h1');
    const firstScreenMs = await timeTo(wizard.url, 'main h1:text("Welcome")');
    printResult({
      bench: 'renderer',
      runs: RUNS,
      jsBytes: size.raw,
      jsGzipBytes: size.gzip,
      blankPageMs: round(baselineMs),
      firstScreenMs: round(firstScreenMs),
      ratio: round(firstScreenMs / baselineMs),
    });
  } finally {
    await browser.close();
    await wizard.close();
    blank.close();
  }
}

await main();
