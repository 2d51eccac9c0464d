import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/support/global-setup.ts', 'tests/support/chromium-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each test file gets its own database cloned from a migrated template, so files run in
    // parallel without seeing each other's rows.
    fileParallelism: true,
  },
});
