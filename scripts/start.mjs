// `npm start`: launch the Electron app; when the Electron binary cannot be had, say so and fall
// back to browser mode (`node bin/spsetup.js ui`), which prints the URL to open.
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The Electron binary, found as require('electron') would, without its download fallback. */
function electronBinary() {
  try {
    const pkgDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
    const pathFile = join(pkgDir, 'path.txt');
    if (!existsSync(pathFile)) return { reason: 'the Electron binary was never downloaded' };
    const bin = join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim());
    accessSync(bin, constants.X_OK);
    return { bin };
  } catch (err) {
    return { reason: err instanceof Error ? err.message.split('\n')[0] : String(err) };
  }
}

function run(file, args) {
  const child = spawn(file, args, { cwd: root, stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
}

if (!existsSync(join(root, 'dist', 'electron', 'main', 'index.js'))) {
  console.error('spsetup is not built yet: run `npm run build` first.');
  process.exit(2);
}
const { bin, reason } = electronBinary();
if (bin) {
  run(bin, [root]);
} else {
  console.log(`Electron cannot run here (${reason}); starting browser mode instead. Open the URL below in a browser on this machine.`);
  run(process.execPath, [join(root, 'bin', 'spsetup.js'), 'ui', ...process.argv.slice(2)]);
}
