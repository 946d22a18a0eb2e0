import { ORIGIN_INVALID, ORIGIN_OTHER } from '@corsight/instrumentation';
import { describe, expect, it } from 'vitest';
import { OriginBudget } from './origin-budget.js';

describe('OriginBudget', () => {
  const limits = { originsPerRoute: 2, keysPerWindow: 3, windowMs: 1000 };

  it('keeps the first origins of a service and route apart and counts the rest under (other)', () => {
    const budget = new OriginBudget(limits);
    expect(budget.admit('api', '/a', 'https://one.example', 0)).toBe('https://one.example');
    expect(budget.admit('api', '/a', 'https://two.example', 0)).toBe('https://two.example');
    expect(budget.admit('api', '/a', 'https://three.example', 0)).toBe(ORIGIN_OTHER);
    // Origins already kept stay themselves; other routes and services have budgets of their own.
    expect(budget.admit('api', '/a', 'https://one.example', 0)).toBe('https://one.example');
    expect(budget.admit('other-api', '/a', 'https://three.example', 0)).toBe('https://three.example');
    // `invalid` and `(other)` take no place.
    expect(budget.admit('api', '/a', ORIGIN_INVALID, 0)).toBe(ORIGIN_INVALID);
  });

  it('bounds the keys it keeps across routes, and starts over each window', () => {
    let now = 0;
    const budget = new OriginBudget(limits);
    budget.admit('api', '/a', 'https://one.example', now);
    budget.admit('api', '/b', 'https://one.example', now);
    budget.admit('api', '/b', 'https://two.example', now);
    // Three keys kept: a new one is (other) on any route, a kept one stays itself.
    expect(budget.admit('api', '/c', 'https://one.example', now)).toBe(ORIGIN_OTHER);
    expect(budget.admit('api', '/a', 'https://two.example', now)).toBe(ORIGIN_OTHER);
    expect(budget.admit('api', '/b', 'https://two.example', now)).toBe('https://two.example');
    now = 1000;
    expect(budget.admit('api', '/c', 'https://one.example', now)).toBe('https://one.example');
    expect(budget.admit('api', '/c', 'https://two.example', now)).toBe('https://two.example');
  });
});
