import { describe, expect, it } from 'vitest';
import { exitStatus, knownOutcome } from './check-result.js';

describe('knownOutcome', () => {
  it.each(['allowed', 'blocked'] as const)('keeps %s', (outcome) => {
    expect(knownOutcome(outcome)).toBe(outcome);
  });

  it('refuses blocked_if_credentialed, which a check with a known credentials mode cannot produce', () => {
    expect(() => knownOutcome('blocked_if_credentialed')).toThrow(/credentials mode was given/);
  });
});

describe('exitStatus', () => {
  it.each([
    ['allowed', 0],
    ['blocked', 1],
  ] as const)('%s exits %i', (outcome, status) => {
    expect(exitStatus(outcome)).toBe(status);
  });
});
