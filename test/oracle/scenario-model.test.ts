import { describe, expect, it } from 'vitest';
import { allowed, expectedPreflights, scenario } from './scenario-model.ts';

describe('expectedPreflights', () => {
  const fixed = scenario({ id: 'T1', title: 'fixed', expect: allowed, preflights: 1 });
  const changed = scenario({
    id: 'T2',
    title: 'changed',
    expect: allowed,
    preflights: { until: 150, upTo: 0, after: 1 },
  });

  it('gives a fixed count whatever the release', () => {
    expect(expectedPreflights(fixed.expect, '150.0.7871.100')).toBe(1);
    expect(expectedPreflights(fixed.expect, 'unknown')).toBe(1);
  });

  it('gives the count of the release that ran the scenario', () => {
    expect(expectedPreflights(changed.expect, '149.0.1.2')).toBe(0);
    expect(expectedPreflights(changed.expect, '150.0.7871.100')).toBe(0);
    expect(expectedPreflights(changed.expect, '151.0.0.1')).toBe(1);
    expect(expectedPreflights(changed.expect, '156.0.8078.73')).toBe(1);
  });

  it('refuses a version it cannot read instead of guessing', () => {
    expect(() => expectedPreflights(changed.expect, 'unknown')).toThrow(/cannot tell the Chromium release/);
  });
});
