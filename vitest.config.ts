import { defineConfig } from 'vitest/config';

// Unit tests run in parallel; integration tests use real PostgreSQL, runit and network
// namespaces, so they run one file at a time to stay within the 2-core machines.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], testTimeout: 20_000 } },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
