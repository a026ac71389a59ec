#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build`.
import('../dist/electron/cli/main.js').then((m) => m.runFromProcess()).catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    console.error('spsetup is not built yet: run `npm run build` first.');
    process.exit(2);
  }
  throw err;
});
