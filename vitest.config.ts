import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Build tests start processes and servers; two cores.
    maxWorkers: 2,
    // Default output, plus every skipped test by name (its title says which tool is missing).
    reporters: ['./test/support/skip-reporter.ts'],
  },
});
