// The pure parts between SQL rows and JSON answers.
import { describe, expect, it } from 'vitest';
import { allowedByList, allowlistMatchers } from './allowlist-pattern.js';
import { policyChangesIn, type PolicyHashRow } from './policy-changes.js';
import { estimatePreflightsSaved, shapePreflightCache, TARGET_MAX_AGE } from './preflight-cache.js';
import { shapeRejectedOrigins } from './rejected-origins-query.js';
import { shapeSeries } from './timeseries-query.js';

const H = 3_600_000;

describe('shapeSeries', () => {
  const buckets = [0, H, 2 * H];

  it('aligns values with buckets, biggest group first, the fold last, apart from the (other) origin', () => {
    const series = shapeSeries(
      [
        { grp: '\u0000fold', t: 0, value: 100 },
        { grp: '(other)', t: 3600, value: 4 },
        { grp: 'b', t: 0, value: 1 },
        { grp: 'b', t: 7200, value: 2 },
        { grp: 'a', t: 3600, value: 5 },
      ],
      buckets,
      true,
    );
    expect(series).toEqual([
      { group: 'a', total: 5, values: [0, 5, 0] },
      { group: '(other)', total: 4, values: [0, 4, 0] },
      { group: 'b', total: 3, values: [1, 0, 2] },
      { group: '(all others)', folded: true, total: 100, values: [100, 0, 0] },
    ]);
  });

  it("drops the zero group WITH FILL invents for an empty result, and keeps an ungrouped 'total'", () => {
    const filled = buckets.map((t) => ({ grp: '', t: t / 1000, value: 0 }));
    expect(shapeSeries(filled, buckets, true)).toEqual([]);
    expect(shapeSeries(filled, buckets, false)).toEqual([{ group: 'total', total: 0, values: [0, 0, 0] }]);
  });
});

describe('policyChangesIn', () => {
  const row = (service: string, hash: string, first: number): PolicyHashRow => ({
    service,
    policy_hash: hash,
    first_seen_ms: first,
    last_seen_ms: first + H,
    requests: 1,
  });

  it('pairs consecutive hashes of one service and keeps changes inside the range', () => {
    const rows = [row('a', 'p1', 0), row('a', 'p2', 5 * H), row('a', 'p3', 20 * H), row('b', 'q1', 6 * H)];
    expect(policyChangesIn(rows, { fromMs: H, toMs: 10 * H })).toEqual([
      { service: 'a', atMs: 5 * H, before: 'p1', after: 'p2' },
    ]);
    expect(policyChangesIn(rows, { fromMs: 0, toMs: 30 * H })).toHaveLength(2);
  });
});

describe('preflight cache estimate', () => {
  it.each([
    [100, 5, 100 * (1 - 5 / 7200)],
    [100, 0, 100],
    [100, 600, 100 * (1 - 600 / 7200)],
    [100, TARGET_MAX_AGE, 0],
    [100, 86_400, 0],
    [0, 5, 0],
  ])('P = %d with a %d s lifetime saves %d preflights at most', (preflights, lifetime, saved) => {
    expect(estimatePreflightsSaved(preflights, lifetime)).toBeCloseTo(saved, 9);
  });

  it('reports hits as max(A − P, 0) and no ratio without A', () => {
    const base = {
      service: 'svc',
      route: '/r',
      origin: 'https://o',
      key_method: 'PUT',
      cache_chromium: 5,
      cache_firefox: 0,
      cache_webkit: 5,
    };
    const [more, fewer, none] = shapePreflightCache(
      [
        { ...base, needing_preflight: 10, preflights: 4 },
        { ...base, origin: 'https://p', needing_preflight: 3, preflights: 4 },
        { ...base, origin: 'https://q', needing_preflight: 0, preflights: 2 },
      ],
      [
        {
          service: 'svc',
          route: '/r',
          origin: 'https://o',
          key_method: 'PUT',
          max_age_sent: '=600',
          samples: 3,
        },
        {
          service: 'svc',
          route: '/r',
          origin: 'https://p',
          key_method: 'PUT',
          max_age_sent: 'null',
          samples: 1,
        },
      ],
    );
    expect(more).toMatchObject({ estimatedHits: 6, hitRatio: 0.6, maxAgeSent: '600', maxAgeSamples: 3 });
    expect(fewer).toMatchObject({ estimatedHits: 0, hitRatio: 0, maxAgeSent: null, maxAgeSamples: 1 });
    expect(none).toMatchObject({ estimatedHits: 0, hitRatio: null, maxAgeSamples: 0 });
    expect(none).not.toHaveProperty('maxAgeSent');
  });

  it('keeps two services with the same route, origin and method apart, each with its own Max-Age', () => {
    const key = { route: '/graphql', origin: 'https://app', key_method: 'POST' };
    const caches = { cache_chromium: 600, cache_firefox: 600, cache_webkit: 600 };
    const [x, y] = shapePreflightCache(
      [
        { ...key, ...caches, service: 'x', needing_preflight: 100, preflights: 0 },
        { ...key, ...caches, service: 'y', needing_preflight: 0, preflights: 100 },
      ],
      [{ ...key, service: 'y', max_age_sent: '=600', samples: 2 }],
    );
    expect(x).toMatchObject({ service: 'x', estimatedHits: 100, hitRatio: 1, maxAgeSamples: 0 });
    expect(x).not.toHaveProperty('maxAgeSent');
    expect(y).toMatchObject({ service: 'y', estimatedHits: 0, hitRatio: null, maxAgeSent: '600' });
  });
});

describe('shapeRejectedOrigins', () => {
  it('keeps each origin’s routes per service, in the order the rows come, and its trend', () => {
    const origin = 'https://partner.example.net';
    const [entry, other] = shapeRejectedOrigins(
      [
        { origin, blocked: 75, volume: 100, first_blocked: 0, last_blocked: 3600 },
        { origin: 'https://new.test', blocked: 2, volume: 2, first_blocked: 60, last_blocked: 60 },
      ],
      [
        { origin, service: 'gateway-a', route: '/graphql', blocked: 40 },
        { origin, service: 'gateway-a', route: '/v1/users/:id', blocked: 20 },
        { origin, service: 'gateway-b', route: '/graphql', blocked: 15 },
      ],
      [{ origin, code: 'missing_allow_origin', blocked: 75 }],
      [{ origin, blocked: 25 }],
    );
    expect(entry).toEqual({
      origin,
      blocked: 75,
      requests: 100,
      share: 0.75,
      firstBlocked: '1970-01-01T00:00:00.000Z',
      lastBlocked: '1970-01-01T01:00:00.000Z',
      trend: { previousBlocked: 25, change: 50, ratio: 3 },
      routes: [
        { service: 'gateway-a', route: '/graphql', blocked: 40 },
        { service: 'gateway-a', route: '/v1/users/:id', blocked: 20 },
        { service: 'gateway-b', route: '/graphql', blocked: 15 },
      ],
      reasons: [{ code: 'missing_allow_origin', blocked: 75 }],
    });
    expect(other).toMatchObject({ routes: [], reasons: [], trend: { previousBlocked: 0, ratio: null } });
  });
});

describe('allowlist matchers', () => {
  it.each([
    ['https://app.example.com', 'https://app.example.com', true],
    ['https://app.example.com', 'https://app.example.com:8443', false],
    ['https://*.example.com', 'https://a.example.com', true],
    ['https://*.example.com', 'https://a.b.example.com', true],
    ['https://*.example.com', 'https://example.com', false],
    ['https://*.example.com', 'https://a.example.com:8443', false],
    ['https://*.example.com:8443', 'https://a.example.com:8443', true],
    ['https://*.example.com', 'https://a.exampleXcom', false],
    ['https://*.example.com', 'http://a.example.com', false],
    ['null', 'null', true],
  ])('%s %s → %s', (entry, origin, allowed) => {
    expect(allowedByList(origin, allowlistMatchers([entry]))).toBe(allowed);
  });
});
