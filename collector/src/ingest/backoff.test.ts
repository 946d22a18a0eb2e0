import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff.js';

const POLICY = { initialDelayMs: 100, maxDelayMs: 5000, factor: 2 };

describe('backoffDelayMs', () => {
  it.each([
    ['first failure, lowest draw: half the initial delay', 1, 0, 50],
    ['first failure, highest draw: the initial delay', 1, 0.999_999, 100],
    ['third failure doubles twice', 3, 0.5, 300],
    ['the cap holds, jitter included', 20, 0.999_999, 5000],
    ['capped delays still jitter downwards', 20, 0, 2500],
    ['attempt 0 is treated as the first failure', 0, 0, 50],
  ])('%s', (_name, failures, random, delay) => {
    expect(backoffDelayMs(failures, POLICY, random)).toBe(delay);
  });
});
