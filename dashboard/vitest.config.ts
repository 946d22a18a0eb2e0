import { defineProject } from 'vitest/config';

// The dashboard's pure parts (URL state, sorting, formatting); its pages are tested in real Chromium by
// test/dashboard/dashboard.test.ts.
export default defineProject({
  test: { name: 'dashboard', include: ['src/**/*.test.ts'], pool: 'forks' },
});
