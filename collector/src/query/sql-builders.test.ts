// The SQL builders, without ClickHouse: request values reach the statement only as bound parameters, every
// placeholder has a value and every value a placeholder, and each question reads the table meant for it
// (the narrowest rollups for counts over any range, raw events only for detail).
import { describe, expect, it } from 'vitest';
import { TABLES } from '../store/schema-ddl.js';
import { allowlistMatchers } from './allowlist-pattern.js';
import {
  simulationOriginRoutesQuery,
  simulationOriginSumsQuery,
  simulationRoutesQuery,
  summarizeSimulation,
} from './allowlist-simulation.js';
import { routesQuery, servicesQuery } from './filter-lists.js';
import { mismatchExamplesQuery, mismatchSeriesQuery } from './mismatches-query.js';
import { originsLostQuery, policyHashesQuery } from './policy-changes.js';
import { hashedKey } from './key-hashes.js';
import { maxAgeSentQuery, preflightCacheQuery } from './preflight-cache.js';
import { GROUP_BYS, METRICS } from './query-params.js';
import {
  DETAIL_PER_ORIGIN,
  rejectedOriginReasonsQuery,
  rejectedOriginRoutesQuery,
  rejectedOriginsQuery,
} from './rejected-origins-query.js';
import type { BuiltQuery } from './sql-conditions.js';
import { summaryQuery } from './summary-query.js';
import { timeseriesQuery } from './timeseries-query.js';

const HOSTILE = {
  service: "svc'); DROP TABLE cors_events; --",
  route: '/a/{b:String}/`c`',
  origin: 'https://x.test"><img src=x onerror=alert(1)>',
  method: 'PUT',
  outcome: 'blocked',
  kind: 'actual',
} as const;
const RANGE = { fromMs: Date.UTC(2026, 10, 25), toMs: Date.UTC(2026, 10, 26) };
const STEP = { name: '1h', seconds: 3600 } as const;
const CHANGE = { service: HOSTILE.service, atMs: RANGE.fromMs + 1000, before: "a'b", after: 'c\\d' };
const MISMATCH = {
  range: RANGE,
  step: STEP,
  filters: HOSTILE,
  finding: 'reason',
  code: 'allow_origin_mismatch',
} as const;
const SIMULATION = {
  range: RANGE,
  matchers: allowlistMatchers(['https://app.example.com', 'https://*.example.com']),
  service: HOSTILE.service,
  limit: 10,
};

const UNALIGNED = { fromMs: RANGE.fromMs + 17 * 60_000, toMs: RANGE.toMs - 3 * 60_000 };
const SERVICE_ONLY = { service: HOSTILE.service };
/** 30 days off the hour: whole weeks, whole days and minutes. */
const MONTH = { fromMs: RANGE.toMs - 30 * 86_400_000 + 17 * 60_000, toMs: UNALIGNED.toMs };

const BUILT: readonly (readonly [string, BuiltQuery, readonly string[]])[] = [
  ['summary', summaryQuery(RANGE, HOSTILE), [TABLES.rollup]],
  ['summary of a service', summaryQuery(UNALIGNED, SERVICE_ONLY), [TABLES.totals1h, TABLES.totals1m]],
  [
    'timeseries',
    timeseriesQuery({
      range: RANGE,
      step: STEP,
      metric: 'blocked',
      groupBy: 'origin',
      top: 5,
      filters: HOSTILE,
    }),
    [TABLES.rollup],
  ],
  [
    'timeseries by origin of a service',
    timeseriesQuery({
      range: UNALIGNED,
      step: STEP,
      metric: 'blocked',
      groupBy: 'origin',
      top: 5,
      filters: SERVICE_ONLY,
    }),
    [TABLES.origins1h, TABLES.rollup],
  ],
  [
    'timeseries by reason',
    timeseriesQuery({
      range: RANGE,
      step: STEP,
      metric: 'requests',
      groupBy: 'reason',
      top: 5,
      filters: HOSTILE,
    }),
    [TABLES.findings],
  ],
  [
    'timeseries by warning in 5-minute steps',
    timeseriesQuery({
      range: RANGE,
      step: { name: '5m', seconds: 300 },
      metric: 'requests',
      groupBy: 'warning',
      top: 5,
      filters: SERVICE_ONLY,
    }),
    [TABLES.codes1h, TABLES.findings],
  ],
  ['rejected origins', rejectedOriginsQuery(RANGE, HOSTILE, 10), [TABLES.rollup]],
  ['rejected origins of a service', rejectedOriginsQuery(RANGE, SERVICE_ONLY, 10), [TABLES.origins1d]],
  ['rejected routes', rejectedOriginRoutesQuery(RANGE, HOSTILE, [HOSTILE.origin]), [TABLES.rollup]],
  [
    'rejected routes of every service over whole weeks',
    rejectedOriginRoutesQuery(MONTH, {}, [HOSTILE.origin]),
    [TABLES.routeOrigins1w, TABLES.routeOrigins1d, TABLES.rollup],
  ],
  ['rejected reasons', rejectedOriginReasonsQuery(RANGE, HOSTILE, [HOSTILE.origin]), [TABLES.findings]],
  ['preflight cache', preflightCacheQuery(RANGE, HOSTILE, 10), [TABLES.rollup]],
  [
    'preflight cache of a route and method',
    preflightCacheQuery(RANGE, { service: HOSTILE.service, route: HOSTILE.route, method: 'PUT' }, 10),
    [TABLES.preflight1d],
  ],
  ['preflight cache off the hour', preflightCacheQuery(UNALIGNED, {}, 10), [TABLES.rollup]],
  [
    'max-age sent',
    maxAgeSentQuery(RANGE, [
      { service: HOSTILE.service, route: HOSTILE.route, origin: HOSTILE.origin, key_method: 'PUT' },
    ]),
    [TABLES.events],
  ],
  ['mismatch series', mismatchSeriesQuery(MISMATCH), [TABLES.findings]],
  [
    'mismatch series of a service',
    mismatchSeriesQuery({ ...MISMATCH, range: UNALIGNED, filters: SERVICE_ONLY }),
    [TABLES.codes1h, TABLES.findings],
  ],
  ['mismatch examples', mismatchExamplesQuery(MISMATCH, ['allow_origin_mismatch'], 3), [TABLES.events]],
  ['policy hashes', policyHashesQuery(HOSTILE.service), [TABLES.policyChanges]],
  ['origins lost', originsLostQuery(CHANGE, RANGE, 10), [TABLES.events]],
  ['simulation origin sums', simulationOriginSumsQuery(SIMULATION), [TABLES.origins1d]],
  [
    'simulation routes of refused origins',
    simulationRoutesQuery(SIMULATION, { refused: [HOSTILE.origin] }),
    [TABLES.routeOrigins1d],
  ],
  [
    'simulation routes of all origins but some',
    simulationRoutesQuery(SIMULATION, { allOriginsBut: [HOSTILE.origin] }),
    [TABLES.routeOrigins1d],
  ],
  [
    'simulation origin routes',
    simulationOriginRoutesQuery(SIMULATION, [HOSTILE.origin]),
    [TABLES.routeOrigins1d],
  ],
  [
    'simulation origin routes of every service over whole weeks',
    simulationOriginRoutesQuery({ ...SIMULATION, range: MONTH, service: undefined }, [HOSTILE.origin]),
    [TABLES.routeOrigins1w, TABLES.routeOrigins1d, TABLES.rollup],
  ],
  ['services', servicesQuery(RANGE, 10), [TABLES.totals1h]],
  ['routes', routesQuery(UNALIGNED, HOSTILE.service, 10), [TABLES.routes1h, TABLES.rollup]],
];

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*):([^{}]+)\}/g;
const TABLE_NAMES = Object.values(TABLES);

describe.each(BUILT)('%s', (_name, built, tables) => {
  it('binds every request value as a parameter, never in the SQL text', () => {
    for (const value of [HOSTILE.service, HOSTILE.route, HOSTILE.origin, CHANGE.before, CHANGE.after]) {
      expect(built.query).not.toContain(value);
    }
    const placeholders = new Set([...built.query.matchAll(PLACEHOLDER)].map((match) => match[1]));
    expect(placeholders).toEqual(new Set(Object.keys(built.params)));
  });

  it(`reads ${tables.join(' and ')}, and says so`, () => {
    const read = TABLE_NAMES.filter((name) => new RegExp(`\\bFROM ${name}\\b`).test(built.query));
    expect(new Set(read)).toEqual(new Set(tables));
    expect(built.tables).toEqual(tables);
  });
});

describe('request choices only pick among fixed SQL', () => {
  it.each(METRICS.flatMap((metric) => GROUP_BYS.map((groupBy) => [metric, groupBy] as const)))(
    '%s by %s',
    (metric, groupBy) => {
      const built = timeseriesQuery({ range: RANGE, step: STEP, metric, groupBy, top: 3, filters: {} });
      expect(built.query).not.toContain('undefined');
      expect(built.params).toMatchObject({ step: 3600 });
      const placeholders = new Set([...built.query.matchAll(PLACEHOLDER)].map((match) => match[1]));
      expect(placeholders).toEqual(new Set(Object.keys(built.params)));
      expect(built.params.top === undefined).toBe(['outcome', 'kind'].includes(groupBy));
    },
  );

  it('adds a filter condition only for a filter that is set', () => {
    expect(summaryQuery(RANGE, {}).query).not.toContain('{service:String}');
    expect(summaryQuery(RANGE, { service: 'a' }).params).toMatchObject({ service: 'a' });
  });

  it('reads the Max-Age sent over the range’s last day at most', () => {
    const keys = [{ service: 's', route: '/r', origin: 'https://o', key_method: 'PUT' }];
    const month = { fromMs: RANGE.toMs - 30 * 86_400_000, toMs: RANGE.toMs };
    expect(maxAgeSentQuery(month, keys).params).toMatchObject({
      from: (RANGE.toMs - 86_400_000) / 1000,
      to: RANGE.toMs / 1000,
    });
    expect(maxAgeSentQuery(UNALIGNED, keys).params).toMatchObject({
      from: UNALIGNED.fromMs / 1000,
      to: UNALIGNED.toMs / 1000,
    });
  });

  it('groups the simulator’s routes by hashes and takes their names from the rows', () => {
    const { query } = simulationRoutesQuery(SIMULATION, { refused: [HOSTILE.origin] });
    expect(query).toContain('sipHash64(service) AS service_hash');
    expect(query).toContain('GROUP BY service_hash + 0x9E3779B97F4A7C15 * route_hash\n');
    expect(query).toContain('any(route) AS route');
  });

  it('reads the simulator’s routes for the refused origins, or for all but the others', () => {
    expect(simulationRoutesQuery(SIMULATION, { refused: ['a'] }).query).toContain(
      'origin IN {origins:Array(String)}',
    );
    expect(simulationRoutesQuery(SIMULATION, { allOriginsBut: ['a'] })).toMatchObject({
      query: expect.stringContaining('origin NOT IN {origins:Array(String)}') as unknown,
      params: { origins: ['a'] },
    });
  });

  it('sums the simulation per origin and ranks refused origins as SQL would', () => {
    const row = (origin: string, newly: number, volume: number, refused: 0 | 1) => ({
      origin,
      volume,
      newly_blocked: newly,
      already_blocked: volume - newly,
      refused,
    });
    const summary = summarizeSimulation([
      row('https://b.test', 2, 5, 1),
      row('https://\u00e9.test', 2, 5, 1),
      row('https://a.test', 2, 5, 1),
      row('https://big.test', 0, 9, 1),
      row('https://kept.test', 7, 7, 0),
    ]);
    expect(summary.totals).toEqual({
      requests: 31,
      refused: 24,
      newlyBlocked: 6,
      refusedOrigins: 4,
      newlyBlockedOrigins: 3,
    });
    // Ties by name in byte order (UTF-8), as ClickHouse compares strings.
    expect(summary.refused.map((entry) => entry.origin)).toEqual([
      'https://a.test',
      'https://b.test',
      'https://\u00e9.test',
      'https://big.test',
    ]);
    expect(summary.refusedSet).toEqual({ allOriginsBut: ['https://kept.test'] });
    expect(
      summarizeSimulation([row('https://a.test', 1, 1, 1), row('https://k.test', 1, 1, 0)]).refusedSet,
    ).toEqual({ refused: ['https://a.test'] });
  });

  it('lists a rejected origin’s routes per service and route, biggest first, at most 20', () => {
    const { query } = rejectedOriginRoutesQuery(MONTH, {}, [HOSTILE.origin]);
    expect(query).toContain('GROUP BY origin, service, route\n');
    expect(query).toContain('ORDER BY origin, blocked DESC, service, route\n');
    expect(query).toContain(`LIMIT ${DETAIL_PER_ORIGIN} BY origin`);
  });

  it('groups the simulator’s origin routes by the hashes of origin, service and route, biggest first', () => {
    const { query } = simulationOriginRoutesQuery(SIMULATION, [HOSTILE.origin]);
    expect(query).toContain(
      'GROUP BY origin_hash + 0x9E3779B97F4A7C15 * service_hash + 0xC2B2AE3D27D4EB4F * route_hash\n',
    );
    expect(query).toContain('any(service) AS service');
    expect(query).toContain('ORDER BY origin, newly_blocked DESC, service, route\n');
    expect(query).toContain('LIMIT 20 BY origin');
  });

  it('matches the preflight cache method filter against the method a preflight asks for', () => {
    const { query } = preflightCacheQuery(UNALIGNED, { method: 'PUT' }, 10);
    expect(query).toContain('key_method = {method:String}');
    expect(query).toContain(`if(kind = 'preflight', request_method, method) AS key_method`);
  });

  it('groups the preflight cache keys by one 64-bit sum of their columns’ hashes, service first', () => {
    const { query } = preflightCacheQuery(UNALIGNED, {}, 10);
    expect(query).toContain(`sipHash64(if(kind = 'preflight', request_method, method)) AS key_method_hash`);
    expect(query).toContain(
      'GROUP BY service_hash + 0x9E3779B97F4A7C15 * route_hash + 0xC2B2AE3D27D4EB4F * origin_hash + ' +
        '0x165667B19E3779F9 * key_method_hash\n',
    );
    expect(query).toContain('any(service) AS service');
    expect(query).toContain('any(key_method) AS key_method');
  });

  it('reads the Max-Age sent per service, route, origin and method of the keys', () => {
    const keys = [
      { service: 'x', route: '/graphql', origin: 'https://o', key_method: 'POST' },
      { service: 'y', route: '/graphql', origin: 'https://o', key_method: 'POST' },
    ];
    const { query, params } = maxAgeSentQuery(RANGE, keys);
    expect(query).toContain('GROUP BY service, route, origin, key_method');
    expect(params).toMatchObject({ services: ['x', 'y'], routes: ['/graphql'] });
  });

  it('refuses more hashed columns than it has weights for', () => {
    expect(hashedKey(['service', 'route', 'origin', 'method'])).toContain('0x165667B19E3779F9 * method_hash');
    expect(() => hashedKey(['service', 'route', 'origin', 'method', 'outcome'])).toThrow(RangeError);
  });
});
