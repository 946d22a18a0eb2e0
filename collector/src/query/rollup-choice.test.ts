// The choice of rollups, as a pure function of the request: the narrowest table that holds every column
// asked for, whole hours from an hourly table only when the buckets are whole hours, the minutes at the
// range's edges from a per-minute one, and placeholders for exactly the bounds the reads use.
import { describe, expect, it } from 'vitest';
import { NARROW_ROLLUPS, PREFLIGHT_KEY_ROWS, ROLLUPS, TABLES } from '../store/schema-ddl.js';
import {
  NoRollupError,
  chooseRollups,
  planParams,
  planRows,
  tablesOf,
  wholeHours,
  type RollupQuestion,
} from './rollup-choice.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 10, 1);
const ALIGNED = { fromMs: T0, toMs: T0 + 30 * DAY };
const UNALIGNED = { fromMs: T0 + 17 * 60_000, toMs: T0 + 30 * DAY - 3 * 60_000 };
/** T0 is a Sunday; weeks of the epoch start on Thursdays (Nov 5, 12, 19, 26): none whole in this range. */
const NO_WHOLE_WEEK = { fromMs: T0 + 17 * 60_000, toMs: T0 + 4 * DAY - 3 * 60_000 };
const WEEK = 7 * DAY;
const FIRST_WEEK = T0 + 4 * DAY;

function question(overrides: Partial<RollupQuestion>): RollupQuestion {
  return { counts: 'requests', dimensions: [], measures: ['requests'], range: ALIGNED, ...overrides };
}

describe('chooseRollups picks the narrowest table', () => {
  it.each<[string, Partial<RollupQuestion>, readonly string[]]>([
    ['totals of every service', {}, [TABLES.totals1h]],
    [
      'totals of one service by kind and outcome',
      { dimensions: ['service', 'kind', 'outcome'], measures: ['requests', 'needs_preflight_requests'] },
      [TABLES.totals1h],
    ],
    ['requests per route', { dimensions: ['service', 'route', 'outcome'] }, [TABLES.routes1h]],
    [
      'blocked origins with first and last minute',
      { dimensions: ['origin', 'outcome'], measures: ['requests', 'first_minute', 'last_minute'] },
      [TABLES.origins1d],
    ],
    [
      'origins of one route (all services)',
      { dimensions: ['origin', 'route'] },
      [TABLES.routeOriginsAll1w, TABLES.routeOrigins1d],
    ],
    [
      'origins of one route of one service',
      { dimensions: ['service', 'origin', 'route'] },
      [TABLES.routeOrigins1w, TABLES.routeOrigins1d],
    ],
    [
      'blocked origins by service and route (rejected origins’ routes, every service)',
      { dimensions: ['service', 'route', 'origin', 'outcome'] },
      [TABLES.routeOrigins1w, TABLES.routeOrigins1d],
    ],
    ['origins of one route by kind', { dimensions: ['origin', 'route', 'kind'] }, [TABLES.rollup]],
    ['origins by kind', { dimensions: ['origin', 'kind'] }, [TABLES.rollup]],
    ['requests per method', { dimensions: ['method'] }, [TABLES.rollup]],
    [
      'the preflight cache (keys per service)',
      {
        dimensions: ['service', 'route', 'origin', 'key_method'],
        measures: ['needs_preflight_requests', 'allowed_preflights', 'preflight_cache_chromium'],
        onlyRowsWhere: PREFLIGHT_KEY_ROWS,
      },
      [TABLES.preflight1w, TABLES.preflight1d],
    ],
    [
      'the preflight cache of a route of every service',
      {
        dimensions: ['route', 'origin', 'key_method'],
        measures: ['needs_preflight_requests', 'allowed_preflights'],
        onlyRowsWhere: PREFLIGHT_KEY_ROWS,
      },
      [TABLES.preflight1w, TABLES.preflight1d],
    ],
    [
      'the preflight cache by credentials mode',
      {
        dimensions: ['route', 'origin', 'key_method', 'credentials'],
        measures: ['needs_preflight_requests', 'allowed_preflights'],
      },
      [TABLES.rollup],
    ],
    [
      'codes by kind and outcome',
      { counts: 'findings', dimensions: ['finding', 'code', 'kind', 'outcome'] },
      [TABLES.codes1h],
    ],
    ['codes per origin', { counts: 'findings', dimensions: ['code', 'origin'] }, [TABLES.originCodes1d]],
    [
      'codes per origin and route',
      { counts: 'findings', dimensions: ['code', 'origin', 'route'] },
      [TABLES.findings],
    ],
  ])('%s', (_name, overrides, tables) => {
    expect(tablesOf(chooseRollups(question(overrides)))).toEqual(tables);
  });

  it('never answers requests from a table that counts codes, or codes from one that counts requests', () => {
    expect(tablesOf(chooseRollups(question({ dimensions: ['origin'], counts: 'findings' })))).toEqual([
      TABLES.originCodes1d,
    ]);
    expect(tablesOf(chooseRollups(question({ dimensions: ['outcome'] })))).toEqual([TABLES.totals1h]);
  });

  it('refuses a question no rollup holds', () => {
    expect(() => chooseRollups(question({ dimensions: ['code'] }))).toThrow(NoRollupError);
    expect(() => chooseRollups(question({ counts: 'findings', dimensions: ['request_method'] }))).toThrow(
      /no rollup holds request_method/,
    );
  });

  it('finds a per-minute table for every question a coarser table answers', () => {
    for (const spec of ROLLUPS.filter((rollup) => rollup.grain !== 'minute')) {
      const plan = chooseRollups(
        question({
          counts: spec.counts,
          dimensions: spec.dimensions,
          measures: spec.measures,
          range: UNALIGNED,
          onlyRowsWhere: NARROW_ROLLUPS.find((narrow) => narrow.table === spec.table)?.where,
        }),
      );
      expect(plan.reads.at(-1)?.spec.grain, spec.table).toBe('minute');
      expect(tablesOf(plan)).toContain(spec.table);
    }
  });
});

const parts = (plan: ReturnType<typeof chooseRollups>) =>
  plan.reads.map((read) => [read.spec.table, read.within, read.except]);

describe('chooseRollups splits a range into whole days, whole hours and minutes', () => {
  it('reads an aligned range from the hourly table alone', () => {
    const plan = chooseRollups(question({}));
    expect(parts(plan)).toEqual([[TABLES.totals1h, 'hours', undefined]]);
    expect(planParams(plan)).toEqual({ hours_from: T0 / 1000, hours_to: (T0 + 30 * DAY) / 1000 });
  });

  it('reads the minutes before the first and after the last whole hour per minute', () => {
    const plan = chooseRollups(question({ range: UNALIGNED }));
    expect(parts(plan)).toEqual([
      [TABLES.totals1h, 'hours', undefined],
      [TABLES.totals1m, 'range', 'hours'],
    ]);
    expect(plan.hours).toEqual({ fromMs: T0 + HOUR, toMs: T0 + 30 * DAY - HOUR });
    expect(planParams(plan)).toEqual({
      from: UNALIGNED.fromMs / 1000,
      to: UNALIGNED.toMs / 1000,
      hours_from: (T0 + HOUR) / 1000,
      hours_to: (T0 + 30 * DAY - HOUR) / 1000,
    });
  });

  it('reads a rollup that keeps only some rows (the preflight-cache keys) only for a question about them', () => {
    const pairs = question({ dimensions: ['route', 'origin'], measures: [], range: UNALIGNED });
    expect(tablesOf(chooseRollups(pairs))).toEqual([
      TABLES.routeOriginsAll1w,
      TABLES.routeOrigins1d,
      TABLES.rollup,
    ]);
    const keys = question({
      dimensions: ['route', 'origin', 'key_method'],
      measures: ['allowed_preflights'],
      range: UNALIGNED,
    });
    expect(() => chooseRollups(keys)).not.toThrow();
    expect(tablesOf(chooseRollups(keys))).toEqual([TABLES.rollup]);
    expect(tablesOf(chooseRollups({ ...keys, onlyRowsWhere: PREFLIGHT_KEY_ROWS }))).toEqual([
      TABLES.preflight1w,
      TABLES.preflight1d,
      TABLES.rollup,
    ]);
  });

  it('reads whole days from a daily table and the rest per minute when no hourly table answers', () => {
    const plan = chooseRollups(question({ dimensions: ['route', 'origin'], range: NO_WHOLE_WEEK }));
    expect(parts(plan)).toEqual([
      [TABLES.routeOrigins1d, 'days', undefined],
      [TABLES.rollup, 'range', 'days'],
    ]);
    expect(plan.days).toEqual({ fromMs: T0 + DAY, toMs: T0 + 3 * DAY });
    expect(plan.hours).toBeUndefined();
    expect(plan.weeks).toBeUndefined();
    expect(planParams(plan)).toEqual({
      from: NO_WHOLE_WEEK.fromMs / 1000,
      to: NO_WHOLE_WEEK.toMs / 1000,
      days_from: (T0 + DAY) / 1000,
      days_to: (T0 + 3 * DAY) / 1000,
    });
  });

  it('reads whole weeks weekly, the other whole days daily and the minutes left per minute', () => {
    const plan = chooseRollups(question({ dimensions: ['route', 'origin'], range: UNALIGNED }));
    expect(parts(plan)).toEqual([
      [TABLES.routeOriginsAll1w, 'weeks', undefined],
      [TABLES.routeOrigins1d, 'days', 'weeks'],
      [TABLES.rollup, 'range', 'days'],
    ]);
    expect(plan.weeks).toEqual({ fromMs: FIRST_WEEK, toMs: FIRST_WEEK + 3 * WEEK });
    expect(planParams(plan)).toEqual({
      from: UNALIGNED.fromMs / 1000,
      to: UNALIGNED.toMs / 1000,
      days_from: (T0 + DAY) / 1000,
      days_to: (T0 + 29 * DAY) / 1000,
      weeks_from: FIRST_WEEK / 1000,
      weeks_to: (FIRST_WEEK + 3 * WEEK) / 1000,
    });
    const sql = planRows(plan, ['route', 'requests'], '');
    expect(sql).toContain(
      `SELECT week AS minute, route, requests\n  FROM ${TABLES.routeOriginsAll1w} WHERE week >= {weeks_from:DateTime('UTC')} AND week < {weeks_to:DateTime('UTC')}`,
    );
    expect(sql).toContain(
      `FROM ${TABLES.routeOrigins1d} WHERE ((day >= {days_from:DateTime('UTC')} AND day < {weeks_from:DateTime('UTC')}) OR (day >= {weeks_to:DateTime('UTC')} AND day < {days_to:DateTime('UTC')}))`,
    );
  });

  it('never reads a table of all services for a question about one service', () => {
    const plan = chooseRollups(question({ dimensions: ['service', 'route', 'origin'], range: UNALIGNED }));
    expect(tablesOf(plan)).toEqual([TABLES.routeOrigins1w, TABLES.routeOrigins1d, TABLES.rollup]);
  });

  it('reads whole days daily, the other whole hours hourly and the minutes left per minute', () => {
    const range = { fromMs: T0 + 5 * HOUR + 17 * 60_000, toMs: T0 + 3 * DAY + 2 * HOUR + 43 * 60_000 };
    const plan = chooseRollups(question({ dimensions: ['origin', 'outcome'], range }));
    expect(parts(plan)).toEqual([
      [TABLES.origins1d, 'days', undefined],
      [TABLES.origins1h, 'hours', 'days'],
      [TABLES.rollup, 'range', 'hours'],
    ]);
    expect(planParams(plan)).toEqual({
      from: range.fromMs / 1000,
      to: range.toMs / 1000,
      hours_from: (T0 + 6 * HOUR) / 1000,
      hours_to: (T0 + 3 * DAY + 2 * HOUR) / 1000,
      days_from: (T0 + DAY) / 1000,
      days_to: (T0 + 3 * DAY) / 1000,
    });
    const sql = planRows(plan, ['origin', 'requests'], '');
    expect(sql).toContain(
      `FROM ${TABLES.origins1h} WHERE ((hour >= {hours_from:DateTime('UTC')} AND hour < {days_from:DateTime('UTC')}) OR (hour >= {days_to:DateTime('UTC')} AND hour < {hours_to:DateTime('UTC')}))`,
    );
  });

  it('reads a range of whole days from the daily table alone', () => {
    const plan = chooseRollups(question({ dimensions: ['origin', 'outcome'] }));
    expect(parts(plan)).toEqual([[TABLES.origins1d, 'days', undefined]]);
    expect(planParams(plan)).toEqual({ days_from: T0 / 1000, days_to: (T0 + 30 * DAY) / 1000 });
  });

  it('reads the unit holding the end of an open-ended range whole, and its start edge per minute', () => {
    const range = { ...UNALIGNED, openEnded: true };
    const plan = chooseRollups(question({ dimensions: ['route', 'origin'], range }));
    expect(parts(plan)).toEqual([
      [TABLES.routeOriginsAll1w, 'weeks', undefined],
      [TABLES.routeOrigins1d, 'days', 'weeks'],
      [TABLES.rollup, 'range', 'days'],
    ]);
    // The last week ends past the range: nothing is stored there, so its rows count only the range.
    expect(planParams(plan)).toMatchObject({
      days_from: (T0 + DAY) / 1000,
      days_to: (T0 + 30 * DAY) / 1000,
      weeks_from: FIRST_WEEK / 1000,
      weeks_to: (FIRST_WEEK + 4 * WEEK) / 1000,
    });
    const hourly = chooseRollups(question({ range }));
    expect(hourly.hours).toEqual({ fromMs: T0 + HOUR, toMs: T0 + 30 * DAY });
    // A range whose start is whole reads no minute at all.
    const whole = chooseRollups(question({ range: { fromMs: T0, toMs: T0 + 20 * 60_000, openEnded: true } }));
    expect(parts(whole)).toEqual([[TABLES.totals1h, 'hours', undefined]]);
  });

  it('reads a range without a whole hour per minute', () => {
    const plan = chooseRollups(question({ range: { fromMs: T0 + 60_000, toMs: T0 + HOUR + 60_000 } }));
    expect(plan.hours).toBeUndefined();
    expect(parts(plan)).toEqual([[TABLES.totals1m, 'range', undefined]]);
  });

  it.each([
    [60, [TABLES.totals1m]],
    [300, [TABLES.totals1m]],
    [1800, [TABLES.totals1m]],
    [3600, [TABLES.totals1h, TABLES.totals1m]],
    [7200, [TABLES.totals1h, TABLES.totals1m]],
    [86_400, [TABLES.totals1h, TABLES.totals1m]],
  ])('reads hourly rows for %s-second buckets only when they are whole hours', (stepSeconds, tables) => {
    expect(tablesOf(chooseRollups(question({ range: UNALIGNED, stepSeconds })))).toEqual(tables);
  });

  it.each([
    [7200, [TABLES.rollup]],
    [86_400, [TABLES.routeOrigins1d, TABLES.rollup]],
    [7 * 86_400, [TABLES.routeOriginsAll1w, TABLES.routeOrigins1d, TABLES.rollup]],
  ])(
    'reads daily (weekly) rows for %s-second buckets only when they are whole days (weeks)',
    (stepSeconds, tables) => {
      expect(
        tablesOf(chooseRollups(question({ dimensions: ['route', 'origin'], range: UNALIGNED, stepSeconds }))),
      ).toEqual(tables);
    },
  );

  it.each([
    [
      { fromMs: T0, toMs: T0 + HOUR },
      { fromMs: T0, toMs: T0 + HOUR },
    ],
    [
      { fromMs: T0 + 1, toMs: T0 + 2 * HOUR },
      { fromMs: T0 + HOUR, toMs: T0 + 2 * HOUR },
    ],
    [{ fromMs: T0 + 60_000, toMs: T0 + 2 * HOUR - 60_000 }, undefined],
  ])('wholeHours(%j) = %j', (range, hours) => {
    expect(wholeHours(range)).toEqual(hours);
  });
});

describe('planRows', () => {
  it('gives every read the same columns, the hour as `minute` and a minute row as its own first minute', () => {
    const plan = chooseRollups(
      question({
        dimensions: ['origin', 'outcome'],
        measures: ['requests', 'first_minute'],
        range: { fromMs: T0 + 17 * 60_000, toMs: T0 + 5 * HOUR - 3 * 60_000 },
      }),
    );
    const sql = planRows(plan, ['origin', 'requests', 'first_minute'], ' AND service = {service:String}');
    expect(sql).toContain(
      `SELECT hour AS minute, origin, requests, first_minute\n  FROM ${TABLES.origins1h} WHERE hour >= {hours_from:DateTime('UTC')} AND hour < {hours_to:DateTime('UTC')} AND service = {service:String}`,
    );
    expect(sql).toContain(
      `SELECT minute, origin, requests, minute AS first_minute\n  FROM ${TABLES.rollup} WHERE ((minute >= {from:DateTime('UTC')} AND minute < {hours_from:DateTime('UTC')}) OR (minute >= {hours_to:DateTime('UTC')} AND minute < {to:DateTime('UTC')})) AND service = {service:String}`,
    );
    expect(sql).toContain('UNION ALL');
  });
});
