/// <reference types="vitest/config" />
// Bundles the sandboxed preload to one CommonJS file: a sandboxed preload cannot load ESM or
// require anything but electron. Type checking is `tsc -p build/tsconfig.preload.json`.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  root,
  logLevel: 'warn',
  build: {
    outDir: 'dist/electron/preload',
    emptyOutDir: true,
    minify: false,
    sourcemap: false,
    target: 'node22',
    lib: { entry: 'electron/preload/index.ts', formats: ['cjs'], fileName: () => 'index.cjs' },
    rollupOptions: { external: ['electron'] },
  },
});
