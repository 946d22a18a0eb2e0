import { describe, expect, it } from 'vitest';
import { compileGlob, globToSqlLike } from './glob.js';

describe('compileGlob', () => {
  it.each([
    ['checkout', 'checkout', true],
    ['checkout', 'checkout-api', false],
    ['checkout-*', 'checkout-api', true],
    ['checkout-*', 'checkout-', true],
    ['checkout-*', 'billing-api', false],
    ['/orders/*', '/orders/:id/items', true],
    ['https://*.example.com', 'https://app.example.com', true],
    ['https://*.example.com', 'https://a.b.example.com', true],
    ['https://*.example.com', 'https://example.com', false],
    ['https://*.example.com', 'https://evil.com/.example.com', true],
    ['*', '', true],
    ['?', '', false],
    ['v?', 'v1', true],
    ['v?', 'v12', false],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXcYYb', false],
    ['*.*', 'a.b', true],
    ['\\*', '*', true],
    ['\\*', 'x', false],
    ['a\\?', 'a?', true],
    ['a\\?', 'ab', false],
    ['(.*)+$', '(.*)+$', true],
    ['(.*)+$', 'anything', false],
    ['[a-z]', 'a', false],
    ['ünï*', 'ünïcode', true],
  ])('%j matches %j: %s', (pattern, text, expected) => {
    expect(compileGlob(pattern).matches(text)).toBe(expected);
  });

  it('says whether a pattern is exact', () => {
    expect(compileGlob('checkout').exact).toBe(true);
    expect(compileGlob('check\\*out').exact).toBe(true);
    expect(compileGlob('check*').exact).toBe(false);
  });

  it('stays fast on a pattern that makes backtracking regexes explode', () => {
    const started = performance.now();
    const glob = compileGlob(`${'*a'.repeat(40)}b`);
    expect(glob.matches('a'.repeat(1000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('globToSqlLike', () => {
  it.each([
    ['checkout-*', 'checkout-%'],
    ['v?', 'v_'],
    ['100%_done', '100\\%\\_done'],
    ['a\\*b', 'a*b'],
    ['back\\\\slash', 'back\\\\slash'],
  ])('%j → %j', (pattern, like) => {
    expect(globToSqlLike(pattern)).toBe(like);
  });
});
