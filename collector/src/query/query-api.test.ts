// The query API against real chDB seeded with generated rows: every endpoint's numbers equal the truth the
// test computes from the same rows (sums of weights, exemplars excluded), bad parameters get a 400 naming
// the parameter, a missing read token a 401, and hostile values come back verbatim as JSON strings.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REASONS, WARNINGS } from '@corsight/instrumentation';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEventRows, type CorsEventRow } from '../ingest/cors-event-row.js';
import { detailEventRow, eventRow } from '../ingest/cors-event-row.fixture.js';
import { createEventStore, type ClickHouseEventStore } from '../store/create-event-store.js';
import { TABLES } from '../store/schema-ddl.js';
import { allowedByList, allowlistMatchers } from './allowlist-pattern.js';
import { estimatePreflightsSaved } from './preflight-cache.js';
import { TABLES_HEADER, queryApi } from './query-api.js';
import { DAY, HOSTILE_ORIGIN, HOUR, ORIGINS, POLICY_CHANGE, T0, seedRows } from './query-seed.fixture.js';

const NOW = T0 + 3 * DAY;
const TOKEN = 'read-token-0123456789abcdef';

/** One route template and calling origin that two services share (gateway-a and gateway-b). */
const SHARED = { route: '/graphql', origin: 'https://app.example.com' } as const;

/**
 * Two services with the same route and calling origin, which a browser caches as two keys (it keys a
 * preflight by the request URL): gateway-a's POSTs needed a preflight and none was allowed (A = 100, P = 0),
 * gateway-b allowed preflights for POSTs it never got (A = 0, P = 100). Counted in the whole week of the
 * epoch from Nov 5 (the weekly rollups); gateway-b's exemplars with the Max-Age it sends lie in the last day
 * of PAST_END and weigh nothing. No reason, warning or policy fingerprint: no other endpoint's answer
 * changes.
 */
function sharedRouteRows(): CorsEventRow[] {
  const common = {
    ...SHARED,
    outcome: 'allowed',
    reasons: [],
    warnings: [],
    hints: [],
    policyHash: '',
  } as const;
  const cache = { preflightCacheChromium: 600, preflightCacheFirefox: 600, preflightCacheWebkit: 600 };
  const spanId = (n: number) => (0x6a0000 + n).toString(16).padStart(16, '0');
  const at = (i: number) => T0 - 14 * DAY + i * 3 * HOUR;
  return [
    ...Array.from({ length: 25 }, (_, i) =>
      eventRow({
        ...common,
        service: 'gateway-a',
        timestamp: at(i),
        method: 'POST',
        needsPreflight: true,
        sampleWeight: 4,
        spanId: spanId(i),
      }),
    ),
    ...Array.from({ length: 25 }, (_, i) =>
      eventRow({
        ...common,
        ...cache,
        service: 'gateway-b',
        timestamp: at(i) + 60_000,
        kind: 'preflight',
        method: 'OPTIONS',
        requestMethod: 'POST',
        needsPreflight: null,
        sampleWeight: 4,
        spanId: spanId(100 + i),
      }),
    ),
    ...[1, 2].map((n) =>
      detailEventRow({
        ...common,
        ...cache,
        service: 'gateway-b',
        timestamp: T0 + 2 * DAY + 12 * HOUR + n * 60_000,
        requestMethod: 'POST',
        maxAge: '600',
        spanId: spanId(200 + n),
      }),
    ),
  ];
}

/** A partner's origin that two gateways reject on a route template they share, and on one more each. */
const PARTNER = 'https://partner.example.net';
/** The three weeks of the epoch from Thursday, Oct 1 (T0 − 50 days), before every other seeded row. */
const PARTNER_START = T0 - 50 * DAY;

/**
 * PARTNER's requests to gateway-a and gateway-b, once a day from Oct 1 to 20, 03:00 (a minute apart per
 * key): gateway-a blocks it on /graphql (weight 2) and /v1/users/:id (1), gateway-b on /v1/users/:id (1) and
 * /graphql (0.75), and allows it on /graphql too (1). Over the 20 days: a /graphql 40, a and b
 * /v1/users/:id 20 each (a tie, listed by service), b /graphql 15. Nothing else is seeded that early.
 */
function partnerRows(): CorsEventRow[] {
  const keys = [
    { service: 'gateway-a', route: '/graphql', outcome: 'blocked', sampleWeight: 2 },
    { service: 'gateway-a', route: '/v1/users/:id', outcome: 'blocked', sampleWeight: 1 },
    { service: 'gateway-b', route: '/v1/users/:id', outcome: 'blocked', sampleWeight: 1 },
    { service: 'gateway-b', route: '/graphql', outcome: 'blocked', sampleWeight: 0.75 },
    { service: 'gateway-b', route: '/graphql', outcome: 'allowed', sampleWeight: 1 },
  ] as const;
  return keys.flatMap((key, k) =>
    Array.from({ length: 20 }, (_, day) =>
      eventRow({
        ...key,
        origin: PARTNER,
        timestamp: PARTNER_START + day * DAY + 3 * HOUR + k * 60_000,
        reasons: key.outcome === 'blocked' ? ['missing_allow_origin'] : [],
        warnings: [],
        policyHash: '',
        spanId: (0x7a0000 + k * 100 + day).toString(16).padStart(16, '0'),
      }),
    ),
  );
}

let dir: string;
let store: ClickHouseEventStore | undefined;
let app: FastifyInstance;
let guarded: FastifyInstance;
// The three days from T0 that most tests read, and the 18 days before them for ranges with whole weeks.
const rows: CorsEventRow[] = [
  ...seedRows(),
  ...seedRows(1500, T0 - 18 * DAY, 18, 0x7eed5678),
  ...sharedRouteRows(),
  ...partnerRows(),
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'corsight-query-'));
  store = await createEventStore({ clickhouse: { kind: 'chdb', dataDir: join(dir, 'data') } });
  const segment = join(dir, 'seed.jsonl');
  writeFileSync(segment, encodeEventRows(rows));
  await store.insertSegment(segment, 'query-seed-1');
  app = Fastify();
  await app.register(queryApi, { prefix: '/api/v1', client: store.client, readTokens: [], now: () => NOW });
  guarded = Fastify();
  await guarded.register(queryApi, {
    prefix: '/api/v1',
    client: store.client,
    readTokens: [TOKEN],
    now: () => NOW,
  });
});

afterAll(async () => {
  await app.close();
  await guarded.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

// --- truth, from the generated rows ------------------------------------------------------------------

interface Range {
  readonly from: number;
  readonly to: number;
}

const counted = rows.filter((row) => row.sampleWeight > 0);
const within = (range: Range) => (row: CorsEventRow) =>
  row.timestamp >= range.from && row.timestamp < range.to;
const weight = (list: readonly CorsEventRow[]) => list.reduce((sum, row) => sum + row.sampleWeight, 0);
const minuteOf = (ms: number) => Math.floor(ms / 60_000) * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

function countedIn(range: Range, where: (row: CorsEventRow) => boolean = () => true): CorsEventRow[] {
  return counted.filter(within(range)).filter(where);
}

const ALL: Range = { from: T0, to: T0 + 3 * DAY };
const DAY2: Range = { from: T0 + DAY, to: T0 + 2 * DAY };
/** Off the hour at both ends: whole hours come from hourly rollups, the edge minutes from per-minute ones. */
const OFF_HOUR: Range = { from: T0 + DAY + 17 * 60_000, to: T0 + 2 * DAY + 2 * HOUR + 43 * 60_000 };
/** A whole day (daily rollups) between edges off the hour (per-minute rollups). */
const DAY_AND_EDGES: Range = { from: T0 + 5 * HOUR + 17 * 60_000, to: T0 + 3 * DAY - 43 * 60_000 };
/**
 * Whole weeks (weekly rollups: weeks of the epoch start on Thursdays, Nov 5 and 12 here), the whole days
 * after them (daily ones) and minutes off the hour at both ends (per-minute ones).
 */
const WEEKS_AND_EDGES: Range = {
  from: T0 - 16 * DAY + 5 * HOUR + 17 * 60_000,
  to: T0 + 2 * DAY + 2 * HOUR + 43 * 60_000,
};
/**
 * Off the hour at both ends, ending after every stored row: the unit holding its end is read whole from the
 * coarsest rollup (open-end.ts), only its start edge per minute.
 */
const PAST_END: Range = {
  from: T0 - 16 * DAY + 5 * HOUR + 17 * 60_000,
  to: T0 + 3 * DAY + 2 * HOUR + 43 * 60_000,
};
const rangeQuery = (range: Range) => ({ from: iso(range.from), to: String(range.to) });

async function get(path: string, query: Record<string, string> = {}, on = app) {
  const response = await on.inject({ method: 'GET', url: `/api/v1${path}`, query });
  return {
    status: response.statusCode,
    body: response.json<Record<string, unknown>>(),
    tables: String(response.headers[TABLES_HEADER] ?? '').split(', '),
  };
}

// --- endpoints ---------------------------------------------------------------------------------------

describe('GET /summary', () => {
  it.each([
    ['the whole seed', ALL, {}, [TABLES.totals1h]],
    ['one day of one service', DAY2, { service: 'orders-api' }, [TABLES.totals1h]],
    ['a range off the hour', OFF_HOUR, {}, [TABLES.totals1h, TABLES.totals1m]],
    ['one route off the hour', OFF_HOUR, { route: '/orders' }, [TABLES.routes1h, TABLES.rollup]],
    ['one origin', ALL, { origin: 'https://evil.test' }, [TABLES.rollup]],
    ['a range ending after the stored rows', PAST_END, {}, [TABLES.totals1h, TABLES.totals1m]],
  ])('sums weights over %s', async (_name, range, filters: Record<string, string>, tables) => {
    const where = (row: CorsEventRow) =>
      Object.entries(filters).every(([key, value]) => row[key as 'service' | 'route' | 'origin'] === value);
    const truth = countedIn(range, where);
    const { status, body, tables: read } = await get('/summary', { ...rangeQuery(range), ...filters });
    expect(status).toBe(200);
    expect(read).toEqual(tables);
    expect(body).toEqual({
      range: { from: iso(range.from), to: iso(range.to) },
      requests: weight(truth),
      preflights: weight(truth.filter((row) => row.kind === 'preflight')),
      actual: weight(truth.filter((row) => row.kind === 'actual')),
      allowed: weight(truth.filter((row) => row.outcome === 'allowed')),
      blocked: weight(truth.filter((row) => row.outcome === 'blocked')),
      blocked_if_credentialed: weight(truth.filter((row) => row.outcome === 'blocked_if_credentialed')),
      needs_preflight: weight(truth.filter((row) => row.needsPreflight === true)),
    });
  });

  it('defaults to the last 24 hours before now', async () => {
    const { body } = await get('/summary');
    expect(body.range).toEqual({ from: iso(NOW - DAY), to: iso(NOW) });
    expect(body.requests).toBe(weight(countedIn({ from: NOW - DAY, to: NOW })));
  });

  it('widens a range to whole minutes', async () => {
    const { body } = await get('/summary', { from: String(T0 + 90_500), to: String(T0 + HOUR + 1) });
    expect(body.range).toEqual({ from: iso(T0 + 60_000), to: iso(T0 + HOUR + 60_000) });
    expect(body.requests).toBe(weight(countedIn({ from: T0 + 60_000, to: T0 + HOUR + 60_000 })));
  });
});

interface SeriesJson {
  group: string;
  total: number;
  values: number[];
}

describe('GET /timeseries', () => {
  it('zero-fills hourly buckets per outcome, equal to the truth', async () => {
    const { status, body } = await get('/timeseries', {
      ...rangeQuery(DAY2),
      step: '1h',
      groupBy: 'outcome',
    });
    expect(status).toBe(200);
    expect(body.step).toEqual({ name: '1h', seconds: 3600 });
    const buckets = body.buckets as string[];
    expect(buckets).toHaveLength(24);
    const series = body.series as SeriesJson[];
    for (const outcome of ['allowed', 'blocked', 'blocked_if_credentialed']) {
      const found = series.find((entry) => entry.group === outcome);
      const expected = buckets.map((start) =>
        weight(
          countedIn(
            { from: Date.parse(start), to: Date.parse(start) + HOUR },
            (row) => row.outcome === outcome,
          ),
        ),
      );
      expect(found?.values).toEqual(expected);
    }
  });

  it('keeps the top origins apart and sums the rest as (other)', async () => {
    const { body } = await get('/timeseries', {
      ...rangeQuery(ALL),
      step: '1d',
      groupBy: 'origin',
      top: '2',
      metric: 'blocked',
    });
    const truth = new Map<string, number>();
    for (const row of countedIn(ALL, (r) => r.outcome === 'blocked')) {
      truth.set(row.origin, (truth.get(row.origin) ?? 0) + row.sampleWeight);
    }
    const ranked = [...truth].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const series = body.series as SeriesJson[];
    expect(series.map((entry) => entry.group)).toEqual([ranked[0]?.[0], ranked[1]?.[0], '(all others)']);
    expect(series.map((entry) => entry.total)).toEqual([
      ranked[0]?.[1],
      ranked[1]?.[1],
      ranked.slice(2).reduce((sum, [, value]) => sum + value, 0),
    ]);
    expect(series[0]?.values).toHaveLength(3);
  });

  it.each([
    ['1h', [TABLES.origins1h, TABLES.rollup]],
    // 30-minute buckets read minutes; ranking the origins over the range still reads whole hours.
    ['30m', [TABLES.origins1h, TABLES.rollup]],
  ])('sums blocked weight per origin in %s buckets off the hour', async (step, tables) => {
    const { body, tables: read } = await get('/timeseries', {
      ...rangeQuery(OFF_HOUR),
      step,
      groupBy: 'origin',
      metric: 'blocked',
      service: 'orders-api',
    });
    expect(read).toEqual(tables);
    const buckets = (body.buckets as string[]).map((start) => Date.parse(start));
    const stepMs = step === '1h' ? HOUR : 30 * 60_000;
    const series = body.series as SeriesJson[];
    expect(series.length).toBeGreaterThan(1);
    for (const entry of series) {
      const expected = buckets.map((start) =>
        weight(
          countedIn(
            { from: Math.max(start, OFF_HOUR.from), to: Math.min(start + stepMs, OFF_HOUR.to) },
            (row) => row.service === 'orders-api' && row.outcome === 'blocked' && row.origin === entry.group,
          ),
        ),
      );
      expect(entry.values, entry.group).toEqual(expected);
    }
  });

  it('counts each reason code of a request (findings rollup)', async () => {
    const { body } = await get('/timeseries', { ...rangeQuery(ALL), step: '1d', groupBy: 'reason' });
    const series = body.series as SeriesJson[];
    for (const entry of series) {
      expect(entry.total).toBe(weight(countedIn(ALL, (row) => row.reasons.includes(entry.group))));
    }
    expect(series.map((entry) => entry.group).sort()).toEqual(
      [...new Set(countedIn(ALL).flatMap((row) => row.reasons))].sort(),
    );
  });

  it('answers an all-zero total series for an empty range', async () => {
    const { body } = await get('/timeseries', { from: '2026-01-01T00:00:00Z', to: '2026-01-01T01:00:00Z' });
    expect(body.step).toEqual({ name: '1m', seconds: 60 });
    const series = body.series as SeriesJson[];
    expect(series).toEqual([{ group: 'total', total: 0, values: Array.from({ length: 60 }, () => 0) }]);
  });

  it('picks a step that keeps a 30-day chart under 500 points', async () => {
    const { body } = await get('/timeseries', { from: String(NOW - 30 * DAY), to: String(NOW) });
    expect(body.step).toEqual({ name: '2h', seconds: 7200 });
    expect(body.buckets as string[]).toHaveLength(360);
  });
});

interface RejectedJson {
  origin: string;
  blocked: number;
  requests: number;
  share: number;
  firstBlocked: string;
  lastBlocked: string;
  trend: { previousBlocked: number; change: number; ratio: number | null };
  routes: { service: string; route: string; blocked: number }[];
  reasons: { code: string; blocked: number }[];
}

/** Blocked weight per service and route, ordered as the API lists them: blocked desc, service, route. */
function blockedRoutes(blocked: readonly CorsEventRow[]): RejectedJson['routes'] {
  const routes = new Map<string, RejectedJson['routes'][number]>();
  for (const row of blocked) {
    const key = JSON.stringify([row.service, row.route]);
    const entry = routes.get(key) ?? { service: row.service, route: row.route, blocked: 0 };
    routes.set(key, { ...entry, blocked: entry.blocked + row.sampleWeight });
  }
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...routes.values()].sort(
    (a, b) => b.blocked - a.blocked || byName(a.service, b.service) || byName(a.route, b.route),
  );
}

describe('GET /origins/rejected', () => {
  it.each([
    ['whole hours', { from: T0 + 36 * HOUR, to: T0 + 60 * HOUR }, [TABLES.origins1h]],
    [
      'a range off the hour',
      { from: T0 + 36 * HOUR + 17 * 60_000, to: T0 + 60 * HOUR + 43 * 60_000 },
      [TABLES.origins1h, TABLES.rollup],
    ],
    ['a day between edges off the hour', DAY_AND_EDGES, [TABLES.origins1d, TABLES.origins1h, TABLES.rollup]],
    [
      'whole weeks, days and edges off the hour',
      WEEKS_AND_EDGES,
      [TABLES.origins1d, TABLES.origins1h, TABLES.rollup, TABLES.routeOrigins1w, TABLES.routeOrigins1d],
    ],
    [
      'a range ending after the stored rows',
      PAST_END,
      [TABLES.origins1d, TABLES.origins1h, TABLES.rollup, TABLES.routeOrigins1w, TABLES.originCodes1d],
    ],
  ])(
    'reports blocked weight, share, first and last blocked minute, trend, routes and reasons over %s',
    async (_name, range: Range, tables: readonly string[]) => {
      const previous: Range = { from: 2 * range.from - range.to, to: range.from };
      const { body, tables: read } = await get('/origins/rejected', {
        ...rangeQuery(range),
        service: 'orders-api',
      });
      // The origin sums from the narrowest rollups; reasons per origin need the per-minute findings.
      expect(read.slice(0, tables.length)).toEqual(tables);
      expect(read).toContain(TABLES.findings);
      const origins = body.origins as RejectedJson[];
      const service = (row: CorsEventRow) => row.service === 'orders-api';
      const blockedOrigins = new Set(
        countedIn(range, (r) => service(r) && r.outcome === 'blocked').map((r) => r.origin),
      );
      expect(new Set(origins.map((entry) => entry.origin))).toEqual(blockedOrigins);
      // admin.example.com is blocked only since the policy change: new in this range.
      expect(blockedOrigins).toContain('https://admin.example.com');
      for (const entry of origins) {
        const mine = (row: CorsEventRow) => service(row) && row.origin === entry.origin;
        const blocked = countedIn(range, (r) => mine(r) && r.outcome === 'blocked');
        const all = countedIn(range, mine);
        const before = weight(countedIn(previous, (r) => mine(r) && r.outcome === 'blocked'));
        const minutes = blocked.map((row) => minuteOf(row.timestamp));
        const reasons = new Map<string, number>();
        for (const row of blocked) {
          for (const code of row.reasons) reasons.set(code, (reasons.get(code) ?? 0) + row.sampleWeight);
        }
        expect(entry).toEqual({
          origin: entry.origin,
          blocked: weight(blocked),
          requests: weight(all),
          share: weight(blocked) / weight(all),
          firstBlocked: iso(Math.min(...minutes)),
          lastBlocked: iso(Math.max(...minutes)),
          trend: {
            previousBlocked: before,
            change: weight(blocked) - before,
            ratio: before > 0 ? weight(blocked) / before : null,
          },
          routes: blockedRoutes(blocked),
          reasons: [...reasons]
            .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
            .map(([code, value]) => ({ code, blocked: value })),
        });
      }
      const admin = origins.find((entry) => entry.origin === 'https://admin.example.com');
      expect(admin?.trend.ratio).toBeNull();
      const ranked = origins.map((entry) => entry.blocked);
      expect(ranked).toEqual([...ranked].sort((a, b) => b - a));
    },
  );

  it('lists the routes of two services that share a route template apart, each with its own blocked weight', async () => {
    const range: Range = { from: PARTNER_START, to: PARTNER_START + 21 * DAY };
    const { body, tables: read } = await get('/origins/rejected', rangeQuery(range));
    const partner = (body.origins as RejectedJson[]).find((entry) => entry.origin === PARTNER);
    expect(partner).toMatchObject({ blocked: 95, requests: 115 });
    expect(partner?.routes).toEqual([
      { service: 'gateway-a', route: '/graphql', blocked: 40 },
      { service: 'gateway-a', route: '/v1/users/:id', blocked: 20 },
      { service: 'gateway-b', route: '/v1/users/:id', blocked: 20 },
      { service: 'gateway-b', route: '/graphql', blocked: 15 },
    ]);
    // Whole weeks from the weekly route × origin rollup that keeps the service, not the one of all services.
    expect(read).toContain(TABLES.routeOrigins1w);
    expect(read).not.toContain(TABLES.routeOriginsAll1w);

    const narrowed = await get('/origins/rejected', { ...rangeQuery(range), service: 'gateway-b' });
    expect((narrowed.body.origins as RejectedJson[]).map((entry) => [entry.origin, entry.routes])).toEqual([
      [
        PARTNER,
        [
          { service: 'gateway-b', route: '/v1/users/:id', blocked: 20 },
          { service: 'gateway-b', route: '/graphql', blocked: 15 },
        ],
      ],
    ]);
  });

  it.each([
    [
      'whole weeks, days and edges off the hour',
      { from: PARTNER_START + 5 * HOUR + 17 * 60_000, to: PARTNER_START + 19 * DAY + 2 * HOUR + 43 * 60_000 },
      [TABLES.routeOrigins1w, TABLES.routeOrigins1d, TABLES.rollup],
    ],
    [
      'a few hours off the hour',
      {
        from: PARTNER_START + 9 * DAY + HOUR + 17 * 60_000,
        to: PARTNER_START + 9 * DAY + 5 * HOUR + 43 * 60_000,
      },
      [TABLES.rollup],
    ],
  ])('counts each service’s route of a shared template over %s', async (_name, range: Range, tables) => {
    const { body, tables: read } = await get('/origins/rejected', rangeQuery(range));
    const partner = (body.origins as RejectedJson[]).find((entry) => entry.origin === PARTNER);
    const blocked = countedIn(range, (row) => row.origin === PARTNER && row.outcome === 'blocked');
    expect(new Set(blocked.map((row) => row.service))).toEqual(new Set(['gateway-a', 'gateway-b']));
    expect(partner?.routes).toEqual(blockedRoutes(blocked));
    // The routes query: rows of the origins listed, after the origin sums (cors_origins_*).
    for (const table of tables) expect(read).toContain(table);
    expect(read).not.toContain(TABLES.routeOriginsAll1w);
  });
});

interface CacheJson {
  service: string;
  route: string;
  origin: string;
  method: string;
  needingPreflight: number;
  allowedPreflights: number;
  estimatedHits: number;
  hitRatio: number | null;
  maxAgeSent?: string | null;
  maxAgeSamples: number;
  effectiveCacheSeconds: { chromium: number; firefox: number; webkit: number };
  preflightsSavedEstimate: number;
}

describe('GET /preflight-cache', () => {
  it.each([
    ['three whole days', ALL, [TABLES.preflight1d, TABLES.events]],
    ['a day between edges off the hour', DAY_AND_EDGES, [TABLES.preflight1d, TABLES.rollup, TABLES.events]],
    [
      'whole weeks, days and edges off the hour',
      WEEKS_AND_EDGES,
      [TABLES.preflight1w, TABLES.preflight1d, TABLES.rollup, TABLES.events],
    ],
    ['a range ending after the stored rows', PAST_END, [TABLES.preflight1w, TABLES.rollup, TABLES.events]],
  ])(
    'estimates hits per service, route, origin and method beside the Max-Age sent and each engine over %s',
    async (_name, range, tables) => {
      const { body, tables: read } = await get('/preflight-cache', { ...rangeQuery(range), limit: '1000' });
      expect(read).toEqual(tables);
      const entries = body.entries as CacheJson[];
      const keyOf = (row: CorsEventRow) =>
        JSON.stringify([
          row.service,
          row.route,
          row.origin,
          row.kind === 'preflight' ? row.requestMethod : row.method,
        ]);
      const byKey = new Map<string, CorsEventRow[]>();
      for (const row of rows.filter(within(range)))
        byKey.set(keyOf(row), [...(byKey.get(keyOf(row)) ?? []), row]);
      const allowedPreflight = (row: CorsEventRow) => row.kind === 'preflight' && row.outcome !== 'blocked';
      const keys = [...byKey].filter(([, list]) =>
        list.some((row) => row.sampleWeight > 0 && (row.needsPreflight === true || allowedPreflight(row))),
      );
      expect(entries).toHaveLength(keys.length);
      let mostCommonChecked = 0;
      for (const entry of entries) {
        const mine =
          byKey.get(JSON.stringify([entry.service, entry.route, entry.origin, entry.method])) ?? [];
        const weighted = mine.filter((row) => row.sampleWeight > 0);
        const needing = weight(weighted.filter((row) => row.needsPreflight === true));
        const preflights = weight(weighted.filter(allowedPreflight));
        const longest = (engine: (row: CorsEventRow) => number | null) =>
          Math.max(0, ...weighted.map((row) => engine(row) ?? 0));
        const chromium = longest((row) => row.preflightCacheChromium);
        const hits = Math.max(needing - preflights, 0);
        expect(entry).toMatchObject({
          needingPreflight: needing,
          allowedPreflights: preflights,
          estimatedHits: hits,
          hitRatio: needing > 0 ? hits / needing : null,
          effectiveCacheSeconds: {
            chromium,
            firefox: longest((row) => row.preflightCacheFirefox),
            webkit: longest((row) => row.preflightCacheWebkit),
          },
          preflightsSavedEstimate: estimatePreflightsSaved(preflights, chromium),
        });
        // Max-Age: the most common value on exemplars and per-request rows of allowed preflights, over the
        // range's last day.
        const lastDay = within({ from: Math.max(range.from, range.to - DAY), to: range.to });
        const samples = mine.filter(
          (row) => row.spanRole === 'detail' && allowedPreflight(row) && lastDay(row),
        );
        expect(entry.maxAgeSamples).toBe(samples.length);
        if (samples.length === 0) {
          expect(entry).not.toHaveProperty('maxAgeSent');
          continue;
        }
        const tally = new Map<string | null, number>();
        for (const row of samples) tally.set(row.maxAge, (tally.get(row.maxAge) ?? 0) + 1);
        const ranked = [...tally].sort((a, b) => b[1] - a[1]);
        if (ranked.length > 1 && ranked[0]?.[1] === ranked[1]?.[1]) continue; // a tie has no single answer
        if (ranked.length > 1) mostCommonChecked += 1;
        expect(entry.maxAgeSent).toBe(ranked[0]?.[0]);
      }
      // The seed's two exemplars with another Max-Age (on its last day) decide one key's most common value.
      if (range === ALL) expect(mostCommonChecked).toBe(1);
      // /orders sends no Max-Age: Chromium's 5 s default, most of its preflights would be saved at 7200 s.
      const orders = entries.find((entry) => entry.route === '/orders' && entry.allowedPreflights > 0);
      expect(orders?.maxAgeSent ?? null).toBeNull();
      expect(orders?.effectiveCacheSeconds.chromium).toBe(5);
    },
  );

  it('keeps two services with the same route, origin and method apart, each with its own Max-Age', async () => {
    const { body, tables } = await get('/preflight-cache', { ...rangeQuery(PAST_END), route: SHARED.route });
    expect(tables).toEqual([TABLES.preflight1w, TABLES.rollup, TABLES.events]);
    const key = { ...SHARED, method: 'POST' };
    const [b, a] = body.entries as CacheJson[];
    expect(body.entries).toHaveLength(2);
    // Summed as one key, A = 100 and P = 100 would estimate no hit for either.
    expect(b).toMatchObject({
      ...key,
      service: 'gateway-b',
      needingPreflight: 0,
      allowedPreflights: 100,
      estimatedHits: 0,
      hitRatio: null,
      maxAgeSent: '600',
      maxAgeSamples: 2,
      effectiveCacheSeconds: { chromium: 600, firefox: 600, webkit: 600 },
      preflightsSavedEstimate: estimatePreflightsSaved(100, 600),
    });
    expect(a).toMatchObject({
      ...key,
      service: 'gateway-a',
      needingPreflight: 100,
      allowedPreflights: 0,
      estimatedHits: 100,
      hitRatio: 1,
      maxAgeSamples: 0,
      effectiveCacheSeconds: { chromium: 0, firefox: 0, webkit: 0 },
      preflightsSavedEstimate: 0,
    });
    // gateway-b's Max-Age is not gateway-a's, though route, origin and method are the same.
    expect(a).not.toHaveProperty('maxAgeSent');
    const one = await get('/preflight-cache', { ...rangeQuery(PAST_END), service: 'gateway-a' });
    expect(one.body.entries).toEqual([a]);
  });

  // A short list is the head of the full ranking: most allowed preflights, then most actual requests
  // needing one, ties broken by name.
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  it.each([3, 8, 40])('lists the top %i keys of the full ranking', async (limit) => {
    const full = (await get('/preflight-cache', { ...rangeQuery(DAY_AND_EDGES), limit: '1000' })).body
      .entries as CacheJson[];
    const ranked = [...full].sort(
      (a, b) =>
        b.allowedPreflights - a.allowedPreflights ||
        b.needingPreflight - a.needingPreflight ||
        byName(a.service, b.service) ||
        byName(a.route, b.route) ||
        byName(a.origin, b.origin) ||
        byName(a.method, b.method),
    );
    const { body } = await get('/preflight-cache', { ...rangeQuery(DAY_AND_EDGES), limit: String(limit) });
    expect(body.entries).toEqual(ranked.slice(0, limit));
  });
});

interface MismatchJson {
  finding: string;
  code: string;
  total: number;
  values: number[];
  summary: string | null;
  fix: string | null;
  examples: {
    traceId: string;
    spanId: string;
    origin: string;
    route: string;
    status: number;
    requestHeaders: string[];
    responseHeaders: Record<string, string | null>;
  }[];
}

describe('GET /mismatches', () => {
  it.each([
    ['one day in 6 h steps', DAY2, '6h', 4, 2],
    // preflight_unmatched_route only occurs on the first half day: its examples come from the whole range.
    ['three days in 1 d steps', ALL, '1d', 3, 5],
    ['26 hours off the hour in 1 h steps', OFF_HOUR, '1h', 27, 2],
  ])(
    'counts every code over %s with its texts and newest examples',
    async (_name, range, step, buckets, examples) => {
      const { body } = await get('/mismatches', { ...rangeQuery(range), step, examples: String(examples) });
      const codes = body.codes as MismatchJson[];
      const truth = new Map<string, number>();
      for (const row of countedIn(range)) {
        for (const code of row.reasons)
          truth.set(`reason:${code}`, (truth.get(`reason:${code}`) ?? 0) + row.sampleWeight);
        for (const code of row.warnings)
          truth.set(`warning:${code}`, (truth.get(`warning:${code}`) ?? 0) + row.sampleWeight);
      }
      expect(new Map(codes.map((entry) => [`${entry.finding}:${entry.code}`, entry.total]))).toEqual(truth);
      for (const entry of codes) {
        expect(entry.values).toHaveLength(buckets);
        expect(entry.values.reduce((sum, value) => sum + value, 0)).toBe(entry.total);
        const table: Record<string, { summary: string; fix: string }> =
          entry.finding === 'reason' ? REASONS : WARNINGS;
        expect(entry.summary).toBe(table[entry.code]?.summary);
        expect(entry.fix).toBe(table[entry.code]?.fix);
        const detail = rows
          .filter(within(range))
          .filter((row) => row.spanRole === 'detail')
          .filter((row) => (entry.finding === 'reason' ? row.reasons : row.warnings).includes(entry.code))
          .sort((a, b) => b.timestamp - a.timestamp);
        expect(entry.examples.map((example) => example.spanId)).toEqual(
          detail.slice(0, examples).map((row) => row.spanId),
        );
        for (const example of entry.examples) {
          const row = detail.find((candidate) => candidate.spanId === example.spanId);
          expect(example).toMatchObject({
            traceId: row?.traceId,
            origin: row?.origin,
            route: row?.route,
            status: row?.responseStatus,
            requestHeaders: row?.requestHeaders,
            responseHeaders: {
              'access-control-allow-origin': row?.allowOrigin,
              'access-control-max-age': row?.maxAge,
              vary: row?.vary,
            },
          });
        }
      }
    },
  );
});

describe('GET /policy-changes', () => {
  it('dates the change at the first request under the new policy and lists origins it blocked', async () => {
    const { body } = await get('/policy-changes', rangeQuery(ALL));
    const first = rows
      .filter((row) => row.policyHash === 'p2')
      .reduce((min, row) => Math.min(min, row.timestamp), Infinity);
    expect(first).toBeGreaterThanOrEqual(POLICY_CHANGE);
    // Before and after are read over the range's length before the change (whole seconds) and the rest.
    const window = { from: Math.floor((first - (ALL.to - ALL.from)) / 1000) * 1000, to: ALL.to };
    const lost = (origin: string) => ({
      origin,
      allowedBefore: weight(
        countedIn(window, (r) => r.origin === origin && r.policyHash === 'p1' && r.outcome !== 'blocked'),
      ),
      blockedAfter: weight(
        countedIn(window, (r) => r.origin === origin && r.policyHash === 'p2' && r.outcome === 'blocked'),
      ),
    });
    expect(body.changes).toEqual([
      {
        service: 'orders-api',
        at: iso(first),
        before: 'p1',
        after: 'p2',
        originsBlockedAfter: [lost('https://admin.example.com')],
      },
    ]);
  });

  it('lists no change for a range before it', async () => {
    const { body } = await get('/policy-changes', rangeQuery({ from: T0, to: T0 + DAY }));
    expect(body.changes).toEqual([]);
  });
});

interface SimulationJson {
  totals: {
    requests: number;
    refused: number;
    newlyBlocked: number;
    refusedOrigins: number;
    newlyBlockedOrigins: number;
  };
  origins: {
    origin: string;
    requests: number;
    newlyBlocked: number;
    alreadyBlocked: number;
    routes: { service: string; route: string; newlyBlocked: number }[];
  }[];
  routes: { service: string; route: string; newlyBlocked: number }[];
}

/**
 * An origin's volume allowed today per service and route, ordered as the API lists them: newly blocked desc,
 * service, route (byte order, as ClickHouse sorts), at most 20.
 */
function newlyBlockedRoutes(mine: readonly CorsEventRow[]): SimulationJson['routes'] {
  const routes = new Map<string, SimulationJson['routes'][number]>();
  for (const row of mine) {
    const key = JSON.stringify([row.service, row.route]);
    const entry = routes.get(key) ?? { service: row.service, route: row.route, newlyBlocked: 0 };
    const newly = row.outcome === 'blocked' ? 0 : row.sampleWeight;
    routes.set(key, { ...entry, newlyBlocked: entry.newlyBlocked + newly });
  }
  const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  return [...routes.values()]
    .sort(
      (a, b) => b.newlyBlocked - a.newlyBlocked || byBytes(a.service, b.service) || byBytes(a.route, b.route),
    )
    .slice(0, 20);
}

describe('POST /simulate', () => {
  it.each([
    [['https://app.example.com']],
    [['https://*.example.com', 'http://localhost:3000']],
    [['https://*.test']],
  ])('reports what %j would block', async (allowlist) => {
    for (const range of [DAY2, OFF_HOUR, DAY_AND_EDGES, WEEKS_AND_EDGES]) {
      await expectSimulation(allowlist, range);
    }
  });

  async function expectSimulation(allowlist: readonly string[], range: Range): Promise<void> {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/simulate',
      payload: { allowlist, from: range.from, to: iso(range.to) },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers[TABLES_HEADER]).toMatch(/\bcors_origins_1[dh]\b/);
    if (range === WEEKS_AND_EDGES) {
      // Routes, and each origin's routes, per service: from the weekly route × origin rollup that keeps the
      // service, never the one of all services.
      expect(response.headers[TABLES_HEADER]).toMatch(/\bcors_route_origins_1w\b/);
      expect(response.headers[TABLES_HEADER]).not.toMatch(/\bcors_route_origins_all_1w\b/);
    }
    const body = response.json<SimulationJson>();
    const matchers = allowlistMatchers(allowlist);
    const refused = countedIn(range, (row) => !allowedByList(row.origin, matchers));
    const newly = refused.filter((row) => row.outcome !== 'blocked');
    expect(body.totals).toEqual({
      requests: weight(countedIn(range)),
      refused: weight(refused),
      newlyBlocked: weight(newly),
      refusedOrigins: new Set(refused.map((row) => row.origin)).size,
      newlyBlockedOrigins: new Set(newly.map((row) => row.origin)).size,
    });
    for (const entry of body.origins) {
      const mine = refused.filter((row) => row.origin === entry.origin);
      expect(entry).toMatchObject({
        requests: weight(mine),
        newlyBlocked: weight(mine.filter((row) => row.outcome !== 'blocked')),
        alreadyBlocked: weight(mine.filter((row) => row.outcome === 'blocked')),
        routes: newlyBlockedRoutes(mine),
      });
    }
    expect(body.origins.map((entry) => entry.origin).sort()).toEqual(
      [...new Set(refused.map((r) => r.origin))].sort(),
    );
    expect(body.routes.reduce((sum, route) => sum + route.newlyBlocked, 0)).toBe(weight(newly));
  }

  it('lists the routes of two services that share a route template apart, each with its newly blocked volume', async () => {
    const range: Range = { from: PARTNER_START, to: PARTNER_START + 21 * DAY };
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/simulate',
      payload: { allowlist: ['https://app.example.com'], from: range.from, to: iso(range.to) },
    });
    expect(response.statusCode).toBe(200);
    const partner = response.json<SimulationJson>().origins.find((entry) => entry.origin === PARTNER);
    expect(partner).toMatchObject({ requests: 115, newlyBlocked: 20, alreadyBlocked: 95 });
    // Only gateway-b's /graphql allows PARTNER today: the list would break that route, not gateway-a's.
    expect(partner?.routes).toEqual([
      { service: 'gateway-b', route: '/graphql', newlyBlocked: 20 },
      { service: 'gateway-a', route: '/graphql', newlyBlocked: 0 },
      { service: 'gateway-a', route: '/v1/users/:id', newlyBlocked: 0 },
      { service: 'gateway-b', route: '/v1/users/:id', newlyBlocked: 0 },
    ]);
    // Whole weeks from the weekly route × origin rollup that keeps the service, not the one of all services.
    expect(response.headers[TABLES_HEADER]).toMatch(/\bcors_route_origins_1w\b/);
    expect(response.headers[TABLES_HEADER]).not.toMatch(/\bcors_route_origins_all_1w\b/);

    const narrowed = await app.inject({
      method: 'POST',
      url: '/api/v1/simulate',
      payload: { allowlist: [], service: 'gateway-a', from: range.from, to: iso(range.to) },
    });
    expect(narrowed.json<SimulationJson>().origins.map((entry) => [entry.origin, entry.routes])).toEqual([
      [
        PARTNER,
        [
          { service: 'gateway-a', route: '/graphql', newlyBlocked: 0 },
          { service: 'gateway-a', route: '/v1/users/:id', newlyBlocked: 0 },
        ],
      ],
    ]);
  });

  it('matches a wildcard to subdomains only, with the same scheme', () => {
    const matchers = allowlistMatchers(['https://*.example.com']);
    expect(allowedByList('https://a.b.example.com', matchers)).toBe(true);
    expect(allowedByList('https://example.com', matchers)).toBe(false);
    expect(allowedByList('http://a.example.com', matchers)).toBe(false);
    expect(allowedByList('https://a.example.com.evil.test', matchers)).toBe(false);
    expect(allowedByList('https://aexample.com', matchers)).toBe(false);
  });
});

describe('GET /services and /routes', () => {
  it.each([ALL, OFF_HOUR])('list what the filters offer with their volume (%j)', async (range) => {
    const services = await get('/services', rangeQuery(range));
    expect(services.body.services).toEqual(
      ['orders-api', 'search-api']
        .map((service) => ({ service, requests: weight(countedIn(range, (row) => row.service === service)) }))
        .sort((a, b) => b.requests - a.requests),
    );
    expect(services.tables[0]).toBe(TABLES.totals1h);
    const routes = await get('/routes', { ...rangeQuery(range), service: 'orders-api' });
    expect(routes.tables[0]).toBe(TABLES.routes1h);
    expect(routes.body.routes).toEqual(
      ['/orders/:id', '/orders']
        .map((route) => ({
          service: 'orders-api',
          route,
          requests: weight(countedIn(range, (row) => row.service === 'orders-api' && row.route === route)),
        }))
        .sort((a, b) => b.requests - a.requests),
    );
  });
});

// --- refusals and hostile input ------------------------------------------------------------------------

describe('bad parameters', () => {
  it.each([
    ['from', { from: 'yesterday' }],
    ['from', { from: '2026-11-20T10:00:00' }],
    ['to', { to: '99999999999999999' }],
    ['from', { from: String(T0 + DAY), to: String(T0) }],
    ['from', { from: '2024-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }],
    ['step', { step: '2m' }],
    ['step', { step: '1m', from: String(NOW - 30 * DAY) }],
    ['groupBy', { groupBy: 'trace_id; DROP TABLE cors_events' }],
    ['metric', { metric: 'bytes' }],
    ['outcome', { outcome: 'maybe' }],
    ['top', { top: '0' }],
    ['method', { method: 'GET POST' }],
    ['origin', { origin: 'x'.repeat(64 * 1024) }],
    ['service', { service: '' }],
  ])('answer 400 naming %s', async (parameter, query) => {
    const { status, body } = await get('/timeseries', query);
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'bad_parameter', parameter });
    expect(String(body.message).length).toBeLessThan(600);
  });

  it('answer 400 when a parameter is repeated', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/summary?service=a&service=b' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ parameter: 'service' });
  });

  it.each([
    ['allowlist', { allowlist: 'https://a.example.com' }],
    ['allowlist[1]', { allowlist: ['https://a.example.com', 'https://a.example.com/path'] }],
    ['allowlist[0]', { allowlist: ['*'] }],
    ['allowlist[0]', { allowlist: ['https://a.example:99999'] }],
    ['from', { allowlist: [], from: 'soon' }],
  ])('answer 400 naming %s for a bad simulation', async (parameter, payload) => {
    const response = await app.inject({ method: 'POST', url: '/api/v1/simulate', payload });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ parameter });
  });

  it('says what to send for a bad entry, and for a body that is no JSON object', async () => {
    const entry = await app.inject({
      method: 'POST',
      url: '/api/v1/simulate',
      payload: { allowlist: ['https://a.example.com', '<script>'] },
    });
    expect(entry.json()).toMatchObject({
      parameter: 'allowlist[1]',
      expected: expect.stringMatching(/^an origin \(scheme:\/\/host\[:port\]\), a wildcard/) as unknown,
    });
    const refusals = [
      [{ 'content-type': 'application/xml' }, '<x/>', 415, /Content-Type: application\/json/],
      [{ 'content-type': 'application/json' }, '{"allowlist": [', 400, /not valid JSON/],
      [{ 'content-type': 'application/json' }, '{"__proto__": {"x": 1}}', 400, /__proto__/],
    ] as const;
    for (const [headers, payload, status, message] of refusals) {
      const response = await app.inject({ method: 'POST', url: '/api/v1/simulate', headers, payload });
      expect(response.statusCode, payload).toBe(status);
      expect(response.json<{ message: string }>().message, payload).toMatch(message);
    }
  });
});

describe('read tokens', () => {
  it.each([
    ['no header', undefined],
    ['a wrong token', 'Bearer wrong-token-0123456789'],
    ['another scheme', `Basic ${TOKEN}`],
  ])('answer 401 for %s', async (_name, authorization) => {
    const response = await guarded.inject({
      method: 'GET',
      url: '/api/v1/summary',
      headers: authorization === undefined ? {} : { authorization },
    });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('answer with the right token', async () => {
    const response = await guarded.inject({
      method: 'GET',
      url: '/api/v1/summary',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(response.statusCode).toBe(200);
  });
});

describe('hostile values', () => {
  it('return an origin with markup verbatim as a JSON string', async () => {
    const { status, body } = await get('/origins/rejected', { ...rangeQuery(ALL), origin: HOSTILE_ORIGIN });
    expect(status).toBe(200);
    const origins = body.origins as RejectedJson[];
    expect(origins.map((entry) => entry.origin)).toEqual([HOSTILE_ORIGIN]);
    expect(origins[0]?.blocked).toBe(weight(countedIn(ALL, (row) => row.origin === HOSTILE_ORIGIN)));
  });

  it('treat quotes and SQL in values as data', async () => {
    for (const path of ['/summary', '/timeseries', '/preflight-cache', '/mismatches', '/origins/rejected']) {
      const { status, body } = await get(path, {
        ...rangeQuery(ALL),
        route: "') OR 1=1 --",
        service: "x'\\",
      });
      expect(status, path).toBe(200);
      if (path === '/summary') expect(body.requests).toBe(0);
    }
    expect(ORIGINS).toContain(HOSTILE_ORIGIN);
  });
});
