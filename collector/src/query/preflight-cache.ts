// GET /preflight-cache: how well browsers' preflight caches work per service, route, origin and method
// (DESIGN.md §6). The server never sees a browser's cache, but it sees both sides of it: A = actual requests
// a browser had to preflight, P = allowed preflights (a blocked preflight is never cached). Every A without
// its own P was served from a cache: hits ≈ max(A − P, 0), hit ratio = hits / A. A browser keys its cache by
// the request URL, so two services that share a route template and a calling origin are two keys: summed
// together, one's preflights would count as cache hits of the other's requests.
//
// Counts come from the rollups; the Max-Age actually sent is only on detail rows (raw events), so it is read
// from them, for the keys of the answer, over the range's last day: a 30-day range would read every raw row
// the TTL keeps (14 days, ~0.3 s of CPU over the query bench's rows) for a value that is configuration, and
// what a server sends now is what the estimate beside it is about.
import { PREFLIGHT_KEY_ROWS } from '../store/schema-ddl.js';
import { hashedKey } from './key-hashes.js';
import type { Dimension } from './rollup-choice.js';
import type { QueryFilters } from './query-params.js';
import {
  SOURCE_TABLE,
  rangeCondition,
  rangeParams,
  rollupRows,
  type BuiltQuery,
  type Condition,
} from './sql-conditions.js';
import type { TimeRange } from './time-range.js';

/**
 * What each engine honours at most (seconds); without Max-Age every engine caches 5 s, as the engine's
 * preflightCacheLifetime says (an unparsable value is where Firefox differs: it does not cache).
 * Chromium: kMaxPreflightCacheTime = 2 h (services/network/public/cpp/cors/preflight_result.cc); Firefox:
 * 24 h (network.cors_preflight.cache_ttl); WebKit: 600 s (CrossOriginPreflightResultCache.cpp).
 */
export const ENGINE_MAX_AGE_CAPS = { chromium: 7200, firefox: 86_400, webkit: 600 } as const;

/** The Max-Age the saving is estimated for: Chromium's cap, the longest lifetime most traffic can get. */
export const TARGET_MAX_AGE = ENGINE_MAX_AGE_CAPS.chromium;

/**
 * The key's method (`key_method`, a rollup dimension): a preflight's is the method it asks for, an actual
 * request's the one it sent. The `method` filter matches it.
 */
const KEY_METHOD_FILTER: Condition = { sql: 'key_method = {method:String}', dimensions: ['key_method'] };

type CacheFilters = Pick<QueryFilters, 'service' | 'route' | 'origin' | 'method'>;

/** A preflight-cache key, grouped by its columns' hashes (key-hashes.ts). */
const CACHE_KEY: readonly Dimension[] = ['service', 'route', 'origin', 'key_method'];

export function preflightCacheQuery(range: TimeRange, filters: CacheFilters, limit: number): BuiltQuery {
  const { method, ...rest } = filters;
  const source = rollupRows({
    counts: 'requests',
    range,
    filters: rest,
    columns: [
      'service',
      'route',
      'origin',
      'key_method',
      'needs_preflight_requests',
      'allowed_preflights',
      'preflight_cache_chromium',
      'preflight_cache_firefox',
      'preflight_cache_webkit',
    ],
    conditions: [
      ...(method === undefined ? [] : [KEY_METHOD_FILTER]),
      { sql: `(${PREFLIGHT_KEY_ROWS})`, dimensions: [] },
    ],
    onlyRowsWhere: PREFLIGHT_KEY_ROWS,
    hashed: CACHE_KEY,
  });
  return {
    query: `SELECT any(service) AS service, any(route) AS route, any(origin) AS origin,
  any(key_method) AS key_method,
  sum(needs_preflight_requests) AS needing_preflight,
  sum(allowed_preflights) AS preflights,
  max(preflight_cache_chromium) AS cache_chromium,
  max(preflight_cache_firefox) AS cache_firefox,
  max(preflight_cache_webkit) AS cache_webkit
FROM ${source.rows}
GROUP BY ${hashedKey(CACHE_KEY)}
ORDER BY preflights DESC, needing_preflight DESC, service, route, origin, key_method
LIMIT {limit:UInt32}`,
    params: { ...source.params, ...(method === undefined ? {} : { method }), limit },
    tables: source.tables,
  };
}

/** Detail rows are read over the range's last day at most (see the top of this file). */
export const MAX_AGE_LOOKBACK_MS = 86_400_000;

export function maxAgeRange(range: TimeRange): TimeRange {
  return { fromMs: Math.max(range.fromMs, range.toMs - MAX_AGE_LOOKBACK_MS), toMs: range.toMs };
}

/**
 * The most common Access-Control-Max-Age on the detail rows of allowed preflights per key, over the range's
 * last day (maxAgeRange). A header that was not sent counts as the value `null`, so "not sent" and "no detail
 * rows" stay apart. Each service sends its own, so the keys' services are the service filter.
 */
export function maxAgeSentQuery(range: TimeRange, keys: readonly PreflightCacheKey[]): BuiltQuery {
  // A superset of the keys (every service × route × origin × method among them) filters cheaply as four IN
  // sets, the services' through the raw table's sort key; shapePreflightCache keeps the exact keys.
  return {
    query: `SELECT service, route, origin, request_method AS key_method,
  topK(1)(if(max_age IS NULL, 'null', concat('=', assumeNotNull(max_age))))[1] AS max_age_sent,
  toUInt32(count()) AS samples
FROM ${SOURCE_TABLE.events}
WHERE ${rangeCondition('events')}
  AND span_role = 'detail' AND kind = 'preflight' AND outcome != 'blocked'
  AND service IN {services:Array(String)}
  AND route IN {routes:Array(String)} AND origin IN {origins:Array(String)}
  AND request_method IN {methods:Array(String)}
GROUP BY service, route, origin, key_method`,
    params: {
      ...rangeParams(maxAgeRange(range)),
      services: [...new Set(keys.map((key) => key.service))],
      routes: [...new Set(keys.map((key) => key.route))],
      origins: [...new Set(keys.map((key) => key.origin))],
      methods: [...new Set(keys.map((key) => key.key_method))],
    },
    tables: [SOURCE_TABLE.events],
  };
}

export interface PreflightCacheKey {
  readonly service: string;
  readonly route: string;
  readonly origin: string;
  readonly key_method: string;
}

export interface PreflightCacheRow {
  readonly service: string;
  readonly route: string;
  readonly origin: string;
  readonly key_method: string;
  readonly needing_preflight: number;
  /** Sum of `allowed_preflights` (an alias may not shadow the column it sums). */
  readonly preflights: number;
  readonly cache_chromium: number;
  readonly cache_firefox: number;
  readonly cache_webkit: number;
}

export interface MaxAgeRow {
  readonly service: string;
  readonly route: string;
  readonly origin: string;
  readonly key_method: string;
  readonly max_age_sent: string;
  readonly samples: number;
}

export interface PreflightCacheEntry {
  /** The service that answered: a browser caches a preflight per URL, so each service's keys are its own. */
  readonly service: string;
  readonly route: string;
  readonly origin: string;
  /** The method of the actual request (what a preflight asks for). */
  readonly method: string;
  /** A: actual requests a browser had to preflight. */
  readonly needingPreflight: number;
  /** P: allowed preflights. */
  readonly allowedPreflights: number;
  /** max(A − P, 0). */
  readonly estimatedHits: number;
  /** estimatedHits / A; null without A. */
  readonly hitRatio: number | null;
  /**
   * The most common Access-Control-Max-Age on detail rows of the range's last day (as sent, a string);
   * null = not sent; undefined (absent from JSON) when no detail row of an allowed preflight was kept for
   * this key in that day.
   */
  readonly maxAgeSent?: string | null;
  /** Detail rows the Max-Age was read from (the range's last day). */
  readonly maxAgeSamples: number;
  /**
   * The longest effective cache lifetime each engine got in the range (after its cap), seconds, over the
   * key's allowed preflights (a blocked preflight is not cached).
   */
  readonly effectiveCacheSeconds: {
    readonly chromium: number;
    readonly firefox: number;
    readonly webkit: number;
  };
  readonly engineCaps: typeof ENGINE_MAX_AGE_CAPS;
  /**
   * Preflights a Max-Age of TARGET_MAX_AGE would have saved, an upper bound: a browser that keeps calling
   * re-sends a preflight once per cache lifetime L, so a lifetime T > L cuts its preflights by the factor
   * L / T: saved ≈ P × (1 − L / T), with L Chromium's effective lifetime. Callers whose calls are further
   * apart than T miss the cache either way, and each caller's first preflight stays, so fewer are saved in
   * practice. 0 when L ≥ T.
   */
  readonly preflightsSavedEstimate: number;
}

export function estimatePreflightsSaved(allowedPreflights: number, lifetimeSeconds: number): number {
  if (allowedPreflights <= 0 || lifetimeSeconds >= TARGET_MAX_AGE) return 0;
  return allowedPreflights * (1 - Math.max(lifetimeSeconds, 0) / TARGET_MAX_AGE);
}

function keyOf(row: PreflightCacheKey): string {
  return JSON.stringify([row.service, row.route, row.origin, row.key_method]);
}

export function shapePreflightCache(
  rows: readonly PreflightCacheRow[],
  maxAges: readonly MaxAgeRow[],
): PreflightCacheEntry[] {
  const maxAgeByKey = new Map(maxAges.map((row) => [keyOf(row), row]));
  return rows.map((row) => {
    const hits = Math.max(row.needing_preflight - row.preflights, 0);
    const sent = maxAgeByKey.get(keyOf(row));
    return {
      service: row.service,
      route: row.route,
      origin: row.origin,
      method: row.key_method,
      needingPreflight: row.needing_preflight,
      allowedPreflights: row.preflights,
      estimatedHits: hits,
      hitRatio: row.needing_preflight > 0 ? hits / row.needing_preflight : null,
      ...(sent === undefined
        ? {}
        : { maxAgeSent: sent.max_age_sent === 'null' ? null : sent.max_age_sent.slice(1) }),
      maxAgeSamples: sent?.samples ?? 0,
      effectiveCacheSeconds: {
        chromium: row.cache_chromium,
        firefox: row.cache_firefox,
        webkit: row.cache_webkit,
      },
      engineCaps: ENGINE_MAX_AGE_CAPS,
      preflightsSavedEstimate: estimatePreflightsSaved(row.preflights, row.cache_chromium),
    };
  });
}
