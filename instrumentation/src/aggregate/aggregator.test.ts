import { describe, expect, it } from 'vitest';
import { ORIGIN_OTHER } from '../schema.js';
import { CorsAggregator } from './aggregator.js';
import type { SummaryKey } from './summary-key.js';

function key(overrides: Partial<SummaryKey> = {}): SummaryKey {
  return {
    kind: 'actual',
    route: '/orders/:id',
    origin: 'https://app.example.com',
    method: 'GET',
    requestMethod: undefined,
    outcome: 'allowed',
    reasons: [],
    warnings: [],
    needsPreflight: false,
    credentials: 'unknown',
    preflightCacheSeconds: undefined,
    policyHash: undefined,
    ...overrides,
  };
}

const limits = { originsPerRoute: 2, keysPerInterval: 4, exemplarsPerKey: 1, exemplarsPerBlockedKey: 3 };

describe('CorsAggregator', () => {
  it('counts requests per key exactly and drains them with the interval bounds', () => {
    const aggregator = new CorsAggregator(1000, limits);
    for (let i = 0; i < 5; i++) aggregator.record(key());
    aggregator.record(key({ outcome: 'blocked', reasons: ['missing_allow_origin'] }));
    const interval = aggregator.drain(6000);
    expect(interval.start).toBe(1000);
    expect(interval.end).toBe(6000);
    expect(interval.records.map((r) => [r.key.outcome, r.count])).toEqual([
      ['allowed', 5],
      ['blocked', 1],
    ]);
    expect(aggregator.drain(7000)).toEqual({ start: 6000, end: 7000, records: [] });
  });

  it('picks the first requests of each key as exemplars, more for blocked ones, again each interval', () => {
    const aggregator = new CorsAggregator(0, limits);
    const allowed = [1, 2, 3].map(() => aggregator.record(key()).exemplar);
    const blocked = [1, 2, 3, 4].map(() => aggregator.record(key({ outcome: 'blocked' })).exemplar);
    expect(allowed).toEqual([true, false, false]);
    expect(blocked).toEqual([true, true, true, false]);
    aggregator.drain(1);
    expect(aggregator.record(key()).exemplar).toBe(true);
  });

  it('keeps a bounded number of origins per route apart and counts the rest under (other)', () => {
    const aggregator = new CorsAggregator(0, limits);
    for (const origin of [
      'https://a.example',
      'https://b.example',
      'https://c.example',
      'https://d.example',
    ]) {
      aggregator.record(key({ origin }));
    }
    aggregator.record(key({ origin: 'https://a.example', route: '/other' }));
    const counts = aggregator.drain(1).records.map((r) => [r.key.route, r.key.origin, r.count]);
    expect(counts).toEqual([
      ['/orders/:id', 'https://a.example', 1],
      ['/orders/:id', 'https://b.example', 1],
      ['/orders/:id', ORIGIN_OTHER, 2],
      ['/other', 'https://a.example', 1],
    ]);
  });

  it('folds new keys into (other) past the key limit without losing a count', () => {
    const aggregator = new CorsAggregator(0, { ...limits, originsPerRoute: 100 });
    for (let i = 0; i < 10; i++) aggregator.record(key({ origin: `https://o${i}.example` }));
    const records = aggregator.drain(1).records;
    expect(records).toHaveLength(5);
    expect(records.reduce((n, r) => n + r.count, 0)).toBe(10);
    expect(records.at(-1)?.key.origin).toBe(ORIGIN_OTHER);
  });

  it.each<[string, Partial<SummaryKey>]>([
    ['kind and method', { kind: 'preflight', method: 'OPTIONS', requestMethod: 'PUT' }],
    ['requested method', { requestMethod: 'DELETE' }],
    ['outcome', { outcome: 'blocked_if_credentialed' }],
    ['reasons', { reasons: ['missing_allow_origin'] }],
    ['warnings', { warnings: ['missing_vary_origin'] }],
    ['needs-preflight', { needsPreflight: true }],
    ['credentials', { credentials: 'include' }],
    ['preflight cache', { preflightCacheSeconds: { chromium: 600, firefox: 600, webkit: 600 } }],
    ['policy', { policyHash: 'abc123' }],
  ])('counts keys that differ only in %s apart', (_field, difference) => {
    const aggregator = new CorsAggregator(0, limits);
    aggregator.record(key());
    aggregator.record(key(difference));
    aggregator.record(key({ ...difference }));
    expect(aggregator.drain(1).records.map((record) => record.count)).toEqual([1, 2]);
  });

  it('counts equal keys together whatever objects hold their codes and cache lifetimes', () => {
    const aggregator = new CorsAggregator(0, limits);
    const cache = () => ({ chromium: 7200, firefox: 86400, webkit: 600 });
    aggregator.record(
      key({
        reasons: ['missing_allow_origin', 'allow_credentials_not_true'],
        preflightCacheSeconds: cache(),
      }),
    );
    aggregator.record(
      key({
        reasons: ['missing_allow_origin', 'allow_credentials_not_true'],
        preflightCacheSeconds: cache(),
      }),
    );
    aggregator.record(
      key({
        reasons: ['allow_credentials_not_true', 'missing_allow_origin'],
        preflightCacheSeconds: cache(),
      }),
    );
    expect(aggregator.drain(1).records.map((record) => record.count)).toEqual([2, 1]);
  });

  it('counts again under an earlier answer, folded or not, and afresh once its interval is drained', () => {
    const aggregator = new CorsAggregator(0, limits);
    const kept = aggregator.record(key({ origin: 'https://a.example' }));
    aggregator.record(key({ origin: 'https://b.example' }));
    const folded = aggregator.record(key({ origin: 'https://c.example' }));
    expect(folded.key.origin).toBe(ORIGIN_OTHER);
    expect(aggregator.recordAgain(kept)).toBe(kept);
    expect(aggregator.recordAgain(folded).exemplar).toBe(false);
    expect(aggregator.drain(1).records.map((r) => [r.key.origin, r.count])).toEqual([
      ['https://a.example', 2],
      ['https://b.example', 1],
      [ORIGIN_OTHER, 2],
    ]);
    const again = aggregator.recordAgain(kept);
    expect(again).not.toBe(kept);
    expect(again.exemplar).toBe(true);
    expect(aggregator.drain(2).records.map((r) => [r.key.origin, r.count])).toEqual([
      ['https://a.example', 1],
    ]);
  });

  it('stays bounded under a stream of distinct hostile origins', () => {
    const aggregator = new CorsAggregator(0, { ...limits, keysPerInterval: 10_000 });
    for (let i = 0; i < 50_000; i++) aggregator.record(key({ origin: `https://r${i}.example` }));
    expect(aggregator.size).toBe(3);
  });
});
