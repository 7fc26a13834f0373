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
  },
});
