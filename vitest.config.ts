import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // .test.tsx: the web UI's component tests (test/web; they pick happy-dom with a @vitest-environment comment).
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Build tests start processes and servers; two cores.
    maxWorkers: 2,
    // Default output, plus every skipped test by name (its title says which tool is missing).
    reporters: ['./test/support/skip-reporter.ts'],
  },
});
