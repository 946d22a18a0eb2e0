import { describe, expect, it } from 'vitest';
import { preflightCacheLifetime, withoutChromiumReuse } from './preflight-cache.js';

describe('preflightCacheLifetime', () => {
  // ../shared/CORS-REFERENCE.md §2.2 and the verified cases C01–C16.
  it.each([
    [undefined, { chromium: 5, firefox: 5, webkit: 5 }, 'max_age_missing'],
    ['600', { chromium: 600, firefox: 600, webkit: 600 }, undefined],
    ['7200', { chromium: 7200, firefox: 7200, webkit: 600 }, undefined],
    ['100000', { chromium: 7200, firefox: 86400, webkit: 600 }, 'max_age_capped'],
    ['0', { chromium: 0, firefox: 0, webkit: 0 }, 'max_age_zero'],
    ['-1', { chromium: 0, firefox: 0, webkit: 0 }, 'max_age_invalid'],
    ['abc', { chromium: 5, firefox: 0, webkit: 5 }, 'max_age_invalid'],
    ['600, 600', { chromium: 5, firefox: 0, webkit: 5 }, 'max_age_invalid'],
    ['', { chromium: 5, firefox: 0, webkit: 5 }, 'max_age_invalid'],
    ['1e3', { chromium: 5, firefox: 0, webkit: 5 }, 'max_age_invalid'],
    ['99999999999999999999999', { chromium: 5, firefox: 0, webkit: 5 }, 'max_age_invalid'],
    ['-99999999999999999999', { chromium: 5, firefox: 0, webkit: 5 }, 'max_age_invalid'],
    ['9223372036854775807', { chromium: 7200, firefox: 86400, webkit: 600 }, 'max_age_capped'],
    ['-9223372036854775808', { chromium: 0, firefox: 0, webkit: 0 }, 'max_age_invalid'],
    ['+0', { chromium: 0, firefox: 0, webkit: 0 }, 'max_age_zero'],
    ['-0', { chromium: 0, firefox: 0, webkit: 0 }, 'max_age_zero'],
  ])('%j → %j (%s)', (maxAge, seconds, warning) => {
    expect(preflightCacheLifetime(maxAge)).toEqual({ seconds, warning });
  });
});

describe('withoutChromiumReuse', () => {
  it('takes Chromium out and keeps the other engines', () => {
    const seconds = preflightCacheLifetime('600').seconds;
    expect(withoutChromiumReuse(seconds)).toEqual({ chromium: 0, firefox: 600, webkit: 600 });
    expect(seconds.chromium).toBe(600);
  });
});
