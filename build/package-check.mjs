// npm run package:check: builds the unpacked Linux app against a stand-in Electron dist (the real
// binary cannot be downloaded here) and checks the asar holds main, preload, renderer and the
// product files, and nothing from tests. Exits non-zero otherwise. Assumes `npm run build` ran.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import asar from '@electron/asar';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const work = mkdtempSync(join(tmpdir(), 'spsetup-pkg-'));
const electronDist = join(work, 'electron-dist');
const outDir = join(work, 'out');
let failed = false;
const fail = (msg) => {
  console.error(`package:check: ${msg}`);
  failed = true;
};

try {
  for (const f of ['dist/electron/main/index.js', 'dist/electron/preload/index.cjs', 'dist/renderer/index.html']) {
    if (!existsSync(join(root, f))) throw new Error(`${f} is missing: run \`npm run build\` first`);
  }
  execFileSync('mkdir', ['-p', electronDist]);
  writeFileSync(join(electronDist, 'electron'), '#!/bin/sh\necho stand-in electron\n');
  chmodSync(join(electronDist, 'electron'), 0o755);
  writeFileSync(join(electronDist, 'version'), '45.5.0');
  writeFileSync(join(electronDist, 'LICENSE'), 'stand-in\n');
  // The stand-in binary has no fuse sentinel, so the build runs without electronFuses; their
  // settings are checked by tests/unit/main/hardening.test.ts, and a real binary gets them.
  const config = join(work, 'electron-builder.yml');
  writeFileSync(config, readFileSync(join(root, 'build/electron-builder.yml'), 'utf8').replace(/^electronFuses:\n(?:[ \t]+.*\n)*/m, ''));
  const builder = join(root, 'node_modules', '.bin', 'electron-builder');
  execFileSync(
    builder,
    ['--linux', '--dir', '--projectDir', root, '-c', config, `-c.electronDist=${electronDist}`, `-c.directories.output=${outDir}`, '--publish', 'never'],
    { cwd: root, stdio: 'inherit', env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', CSC_IDENTITY_AUTO_DISCOVERY: 'false' }, timeout: 120_000 },
  );
  const asarPath = join(outDir, 'linux-unpacked', 'resources', 'app.asar');
  if (!existsSync(asarPath)) throw new Error(`no app.asar at ${asarPath}`);
  const files = asar.listPackage(asarPath, { isPack: false }).map((f) => f.replace(/\\/g, '/'));
  const has = (p) => files.some((f) => f === p || f.startsWith(`${p}/`));
  const required = {
    'main process': '/dist/electron/main/index.js',
    'IPC contract': '/dist/electron/shared/ipc.js',
    preload: '/dist/electron/preload/index.cjs',
    renderer: '/dist/renderer/index.html',
    'renderer assets': '/dist/renderer/assets',
    'browser mode server': '/dist/electron/main/browser-server.js',
    'CLI launcher': '/bin/spsetup.js',
    'product files (dist/media)': '/dist/media',
    'package.json': '/package.json',
  };
  for (const [what, p] of Object.entries(required)) if (!has(p)) fail(`the asar lacks the ${what} (${p})`);
  // Our own tests only: third-party packages inside node_modules ship their own test files.
  const ours = files.filter((f) => !f.includes('/node_modules/'));
  const fromTests = ours.filter((f) => /^\/(dist\/)?tests(\/|$)/.test(f) || /\.(test|spec)\.[cm]?js$/.test(f) || f.includes('fake-backend'));
  if (fromTests.length > 0) fail(`the asar holds test files: ${fromTests.slice(0, 5).join(', ')}`);
  const maps = ours.filter((f) => f.endsWith('.map'));
  if (maps.length > 0) fail(`the asar holds source maps: ${maps.slice(0, 3).join(', ')}`);
  if (!failed) console.log(`package:check: ok (${files.length} entries in app.asar: main, preload, renderer, media; nothing from tests)`);
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
