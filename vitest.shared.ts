import { defineConfig } from 'vitest/config';

// Every package's tests run on the TypeScript sources of the others (the "@corsight/source" export
// condition), so nothing has to be built first. Forks, not threads: chDB segfaults inside worker threads
// (../shared/STACK.md), and browsers and servers are easier to clean up per process.
export const sharedConfig = defineConfig({
  resolve: { conditions: ['@corsight/source'] },
  ssr: { resolve: { conditions: ['@corsight/source'] } },
  test: { pool: 'forks' },
});
