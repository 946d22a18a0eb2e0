import { defineProject, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../vitest.shared.ts';

export default mergeConfig(
  sharedConfig,
  defineProject({
    test: { name: 'cross-package', include: ['**/*.test.ts'], testTimeout: 60_000, hookTimeout: 120_000 },
  }),
);
