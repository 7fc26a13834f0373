import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    // Integration tests start real worker processes that train; give them room.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: run files in at most two forks so training tests do not starve each other.
    pool: 'forks',
    maxWorkers: 2,
    // Collected by `npm test` (--coverage). Code that runs only in worker and API child processes
    // is not seen here, so the thresholds are what this process measures, not all that is tested.
    coverage: {
      provider: 'v8',
      include: ['src/**'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
      // The figures are worth seeing when a test failed too (the run fails either way).
      reportOnFailure: true,
      // Measured in-process: 88% lines, 86.84% statements, 87.33% functions, 77.82% branches.
      thresholds: { lines: 87, statements: 86, functions: 86, branches: 77 },
    },
  },
});
