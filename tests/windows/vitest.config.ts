import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The Windows real-system tests sit outside the unit and integration projects: they only mean
// something on a Windows runner (.github/workflows/windows.yml) and report themselves skipped elsewhere.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['tests/windows/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
