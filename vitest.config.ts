import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['instrumentation', 'collector', 'test', 'dashboard'],
    reporters: ['default', './test/reporters/tally-reporter.ts'],
  },
});
