// Migrations 2, 4 and 6 against real chDB: on a data directory of the version before with stored events
// they fill every narrow rollup with the past of the per-minute rollup it is cut from (also days whose raw
// rows are gone), redo a backfill that died half-way, never backfill twice, and from then on the views keep
// the narrow rollups equal to their sources; migration 6 drops migration 4's table of all services.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempChdb } from './temp-chdb.fixture.js';
import { encodeEventRows, type CorsEventRow } from '../ingest/cors-event-row.js';
import { eventRow } from '../ingest/cors-event-row.fixture.js';
import { ALERT_TABLES } from '../alerts/alert-schema.js';
import { MIGRATIONS, migrate } from './migrations.js';
import {
  DEFAULT_SCHEMA_OPTIONS,
  DROPPED_ROLLUPS,
  DROPPED_TABLES,
  DROPPED_VIEWS,
  NARROW_ROLLUPS,
  ROLLUPS,
  TABLES,
  TIME_COLUMN,
  VIEWS,
  dimensionColumn,
  narrowRollupsDdl,
  preflightWeeklyDdl,
  startOf,
  weeklyRollupsDdl,
  type NarrowRollupSpec,
} from './schema-ddl.js';
import { insertSegmentFromFile } from './segment-insert.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

const temp = useTempChdb('migrations');
const chdb = temp.client;
let segment = 0;

async function rows<T>(query: string): Promise<T[]> {
  const result = await chdb().query({ query, format: 'JSONEachRow' });
  return result.json<T>();
}

async function insert(events: readonly CorsEventRow[]): Promise<void> {
  segment += 1;
  const path = join(temp.dir(), `segment-${segment}.jsonl`);
  writeFileSync(path, encodeEventRows(events));
  await insertSegmentFromFile(chdb(), path, `migrations-${segment}`);
}

const ORIGINS = ['https://app.example.com', 'https://evil.test', 'http://localhost:3000'];

/** Rows over 40 days: services, routes, origins, kinds, outcomes, codes, weights in quarters, exemplars. */
function history(count: number, salt: number): CorsEventRow[] {
  return Array.from({ length: count }, (_, i) => {
    const n = i * 7 + salt;
    const blocked = n % 5 === 0;
    const preflight = n % 3 === 0;
    return eventRow({
      timestamp: NOW - ((n * 7919) % (40 * DAY)),
      service: ['orders-api', 'search-api'][n % 2] ?? 'orders-api',
      route: ['/orders/:id', '/orders', '/search'][n % 3] ?? '/',
      origin: ORIGINS[n % 4 === 0 ? 1 : n % 3 === 0 ? 2 : 0] ?? 'null',
      kind: preflight ? 'preflight' : 'actual',
      method: preflight ? 'OPTIONS' : 'PUT',
      requestMethod: preflight ? 'PUT' : '',
      needsPreflight: preflight ? null : n % 2 === 0,
      outcome: blocked ? 'blocked' : 'allowed',
      reasons: blocked ? ['allow_origin_mismatch'] : [],
      warnings: n % 4 === 0 ? ['missing_vary_origin', 'max_age_missing'] : [],
      sampleWeight: n % 10 === 0 ? 0 : ((n % 8) + 1) / 4,
      spanId: (0x1000_0000 + n).toString(16).padStart(16, '0'),
    });
  });
}

/** A narrow rollup some migration creates, also one a later migration drops. */
type CreatedRollup = (typeof DROPPED_ROLLUPS)[number];

/** The per-minute rollup a narrow rollup is ultimately cut from (through narrower tables it is fed by). */
function rootOf(spec: CreatedRollup | NarrowRollupSpec): string {
  const narrower = NARROW_ROLLUPS.find((other) => other.table === spec.from);
  return narrower === undefined ? spec.from : rootOf(narrower);
}

/** A narrow rollup and the same cut computed from the per-minute rollup at the root of its chain. */
async function cuts(spec: CreatedRollup): Promise<{ narrow: unknown[]; source: unknown[] }> {
  const keys = spec.dimensions.join(', ');
  const time = TIME_COLUMN[spec.grain];
  const [measure = 'requests'] = spec.measures;
  const bounds = spec.measures.includes('first_minute')
    ? ', toUnixTimestamp(min(first_minute)) AS first, toUnixTimestamp(max(last_minute)) AS last'
    : '';
  const narrow = await rows(
    `SELECT toUnixTimestamp(${time}) AS t, ${keys}, sum(${measure}) AS total${bounds}
     FROM ${spec.table} GROUP BY t, ${keys} ORDER BY t, ${keys}`,
  );
  const root = rootOf(spec);
  const from = ROLLUPS.find((rollup) => rollup.table === root);
  if (from === undefined) throw new Error(`${root} is not a rollup`);
  const sourceKeys = spec.dimensions.map((key) => `${dimensionColumn(from, key)} AS ${key}`).join(', ');
  const sourceTime = startOf(spec.grain, 'minute');
  const sourceBounds =
    bounds === '' ? '' : ', toUnixTimestamp(min(minute)) AS first, toUnixTimestamp(max(minute)) AS last';
  const source = await rows(
    `SELECT toUnixTimestamp(${sourceTime}) AS t, ${sourceKeys}, sum(${measure}) AS total${sourceBounds}
     FROM ${root} ${spec.where === undefined ? '' : `WHERE ${spec.where}`}
     GROUP BY t, ${keys} ORDER BY t, ${keys}`,
  );
  return { narrow, source };
}

/** Every narrow rollup of the migrations up to `version` (not dropped by then) equals its source. */
async function expectNarrowEqualsSource(version: number): Promise<void> {
  const created = [...NARROW_ROLLUPS, ...DROPPED_ROLLUPS].filter((narrow) => narrow.migration <= version);
  for (const spec of created.filter((narrow) => (narrow.droppedIn ?? Infinity) > version)) {
    const { narrow, source } = await cuts(spec);
    expect(narrow.length, spec.table).toBeGreaterThan(0);
    expect(narrow, spec.table).toEqual(source);
  }
}

async function total(table: string): Promise<number> {
  const [row] = await rows<{ requests: number }>(`SELECT sum(requests) AS requests FROM ${table}`);
  return row?.requests ?? 0;
}

const seeded = history(600, 1);
const weightOf = (events: readonly CorsEventRow[]) =>
  events.reduce((sum, event) => sum + event.sampleWeight, 0);

describe('migration 2 on a data directory of version 1', () => {
  it('backfills every narrow rollup from the per-minute rollups, past the raw TTL too', async () => {
    expect(await migrate(chdb(), DEFAULT_SCHEMA_OPTIONS, MIGRATIONS.slice(0, 1))).toMatchObject({
      applied: [1],
    });
    await insert(seeded);
    // Raw rows older than the raw TTL are gone; the per-minute rollups still hold their days.
    await chdb().command({ query: `TRUNCATE TABLE ${TABLES.events}` });
    // A start that died during the first backfill: the table exists with some of its rows.
    const [createTotals] = narrowRollupsDdl(DEFAULT_SCHEMA_OPTIONS);
    if (typeof createTotals !== 'string') throw new Error('migration 2 starts by creating a table');
    await chdb().command({ query: createTotals });
    await chdb().command({
      query: `INSERT INTO ${TABLES.totals1m} (minute, service, kind, outcome, requests, needs_preflight_requests)
              VALUES (now(), 'orders-api', 'actual', 'allowed', 1000, 0)`,
    });

    expect(await migrate(chdb(), DEFAULT_SCHEMA_OPTIONS, MIGRATIONS.slice(0, 2))).toMatchObject({
      applied: [2],
      current: 2,
    });
    expect(await total(TABLES.totals1m)).toBe(weightOf(seeded));
    expect(await total(TABLES.totals1h)).toBe(weightOf(seeded));
    await expectNarrowEqualsSource(2);
  });

  it('does not backfill again when run again', async () => {
    expect(await migrate(chdb(), DEFAULT_SCHEMA_OPTIONS, MIGRATIONS.slice(0, 2))).toMatchObject({
      applied: [],
    });
    expect(await total(TABLES.totals1m)).toBe(weightOf(seeded));
    await expectNarrowEqualsSource(2);
  });

  it('counts later inserts once, through the views', async () => {
    const later = history(300, 3);
    await insert(later);
    expect(await total(TABLES.totals1h)).toBe(weightOf(seeded) + weightOf(later));
    expect(await total(TABLES.origins1h)).toBe(weightOf(seeded) + weightOf(later));
    // Fed through a narrower table's view: the chain passes later inserts on too.
    expect(await total(TABLES.origins1d)).toBe(weightOf(seeded) + weightOf(later));
    await expectNarrowEqualsSource(2);
  });
});

describe('migration 3: the alerting tables', () => {
  it('creates alert_rules, alert_events and alert_silences on a data directory of version 2', async () => {
    expect(await migrate(chdb(), DEFAULT_SCHEMA_OPTIONS, MIGRATIONS.slice(0, 3))).toMatchObject({
      applied: [3],
      current: 3,
    });
    const tables = await rows<{ name: string; engine: string }>(
      `SELECT name, engine FROM system.tables WHERE database = currentDatabase() AND name LIKE 'alert\\_%' ORDER BY name`,
    );
    expect(tables).toEqual([
      { name: ALERT_TABLES.events, engine: 'MergeTree' },
      { name: ALERT_TABLES.rules, engine: 'MergeTree' },
      { name: ALERT_TABLES.silences, engine: 'ReplacingMergeTree' },
    ]);
  });

  it('is idempotent: run again, nothing is applied; its statements run again change nothing', async () => {
    await chdb().insert({
      table: ALERT_TABLES.rules,
      values: [{ rule_id: 'kept', version: 1, source: 'api', spec: '{}', updated_by: 'test' }],
      format: 'JSONEachRow',
    });
    expect(await migrate(chdb(), DEFAULT_SCHEMA_OPTIONS, MIGRATIONS.slice(0, 3))).toMatchObject({
      applied: [],
      current: 3,
    });
    const three = MIGRATIONS.find((migration) => migration.version === 3);
    for (const step of three?.statements(DEFAULT_SCHEMA_OPTIONS) ?? []) {
      if (typeof step === 'string') await chdb().command({ query: step });
    }
    expect(await rows(`SELECT rule_id FROM ${ALERT_TABLES.rules}`)).toEqual([{ rule_id: 'kept' }]);
  });

  it('runs ON CLUSTER with replicated tables and distributed ones under the query names on a cluster', () => {
    const three = MIGRATIONS.find((migration) => migration.version === 3);
    const statements = (
      three?.statements({ ...DEFAULT_SCHEMA_OPTIONS, cluster: 'corsight_cluster' }) ?? []
    ).map((step) => (typeof step === 'string' ? step : step.statements.join('\n')));
    expect(statements).toHaveLength(6);
    for (const sql of statements) expect(sql).toMatch(/ ON CLUSTER `corsight_cluster`/);
    for (const name of Object.values(ALERT_TABLES)) {
      const create = statements.find((sql) => sql.startsWith(`CREATE TABLE IF NOT EXISTS ${name}_local `));
      expect(create).toMatch(/ENGINE = Replicated/);
      expect(statements.join('\n')).toContain(
        `Distributed(\`corsight_cluster\`, currentDatabase(), ${name}_local`,
      );
    }
  });
});

describe('migration 4 on a data directory of version 3', () => {
  const weekly = [...NARROW_ROLLUPS, ...DROPPED_ROLLUPS].filter((spec) => spec.migration === 4);
  const upToFive = MIGRATIONS.slice(0, 5);

  it('backfills every weekly rollup from the daily ones, redoing a backfill that died half-way', async () => {
    const before = await total(TABLES.routeOrigins1d);
    expect(before).toBeGreaterThan(0);
    // A start that died during the first backfill: the table exists with some of its rows.
    const [createFirst] = weeklyRollupsDdl(DEFAULT_SCHEMA_OPTIONS);
    if (typeof createFirst !== 'string') throw new Error('migration 4 starts by creating a table');
    await chdb().command({ query: createFirst });
    await chdb().command({
      query: `INSERT INTO ${TABLES.routeOrigins1w} (week, service, outcome, route, origin, requests)
              VALUES (now(), 'orders-api', 'allowed', '/x', 'https://x.test', 1000)`,
    });

    expect(await migrate(chdb(), DEFAULT_SCHEMA_OPTIONS, upToFive)).toMatchObject({
      applied: [4, 5],
      current: 5,
    });
    for (const spec of weekly) {
      if (spec.measures.includes('requests')) expect(await total(spec.table), spec.table).toBe(before);
    }
    await expectNarrowEqualsSource(4);
  });

  it('does not backfill again, and counts later inserts once through the chained views', async () => {
    expect(await migrate(chdb(), DEFAULT_SCHEMA_OPTIONS, upToFive)).toMatchObject({ applied: [] });
    const later = history(200, 5);
    const before = await total(TABLES.routeOrigins1d);
    await insert(later);
    expect(await total(TABLES.routeOrigins1d)).toBe(before + weightOf(later));
    expect(await total(TABLES.routeOrigins1w)).toBe(before + weightOf(later));
    expect(await total(TABLES.routeOriginsAll1w)).toBe(before + weightOf(later));
    await expectNarrowEqualsSource(4);
  });

  it('cuts weeks of seven UTC days from the epoch, as the query side does', async () => {
    const spread = Array.from({ length: 12 }, (_, k) => ({
      ...eventRow({ timestamp: NOW - k * 3 * DAY - 1000, route: '/weeks', sampleWeight: 1 }),
      spanId: (0x2000_0000 + k).toString(16).padStart(16, '0'),
    }));
    await insert(spread);
    const weeks = await rows<{ week: number }>(
      `SELECT DISTINCT toUnixTimestamp(week) AS week FROM ${TABLES.routeOriginsAll1w}
       WHERE route = '/weeks' ORDER BY week`,
    );
    const WEEK = 7 * DAY;
    const expected = [...new Set(spread.map((row) => Math.floor(row.timestamp / WEEK) * WEEK))].sort(
      (a, b) => a - b,
    );
    expect(weeks.map((row) => row.week * 1000)).toEqual(expected);
    expect(expected.length).toBeGreaterThan(4);
  });
});

describe('migration 5: policy fingerprints per minute', () => {
  const minutesOf = async (table: string, minute: string, weight: string) =>
    rows<{ service: string; minute: number; policy_hash: string; requests: number }>(
      `SELECT service, toUnixTimestamp(${minute}) AS minute, policy_hash, sum(${weight}) AS requests
       FROM ${table} WHERE policy_hash != '' AND ${minute} >= now() - INTERVAL 13 DAY
       GROUP BY service, minute, policy_hash
       ORDER BY service, minute, policy_hash`,
    );

  it('holds every minute of the raw events (backfilled, then through its view), each counted once', async () => {
    // Applied with migration 4 above (a data directory of version 3 migrates to version 5 there).
    expect(await migrate(chdb(), DEFAULT_SCHEMA_OPTIONS, MIGRATIONS.slice(0, 5))).toMatchObject({
      applied: [],
      current: 5,
    });
    const recent = Date.now();
    await insert(
      history(50, 9).map((row, i) => ({
        ...row,
        timestamp: recent - i * 7 * 60_000,
        policyHash: i % 2 === 0 ? 'p-a' : 'p-b',
      })),
    );
    // Raw rows past the raw TTL (14 days) may be gone already; the minutes keep the rollup TTL.
    const raw = await minutesOf(TABLES.events, 'toStartOfMinute(timestamp)', 'sample_weight');
    expect(raw.length).toBeGreaterThanOrEqual(50);
    expect(await minutesOf(TABLES.policyMinutes, 'minute', 'requests')).toEqual(raw);
  });
});

describe('migration 6 on a data directory of version 5', () => {
  interface CacheKeySums {
    readonly keys: number;
    readonly needing: number;
    readonly preflights: number;
  }
  const sums = async (table: string, key: string): Promise<CacheKeySums> => {
    const [row] = await rows<CacheKeySums>(
      `SELECT toUInt32(uniqExact(${key})) AS keys, sum(needs_preflight_requests) AS needing,
         sum(allowed_preflights) AS preflights
       FROM ${table}`,
    );
    return row ?? { keys: 0, needing: 0, preflights: 0 };
  };
  const names = async (): Promise<string[]> =>
    (
      await rows<{ name: string }>(
        'SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name',
      )
    ).map((row) => row.name);

  it('fills the weekly keys per service from the daily ones and drops the table of all services', async () => {
    // Both services of the history share routes and origins: the table of all services merged their keys.
    const daily = await sums(TABLES.preflight1d, 'tuple(service, route, origin, key_method)');
    const merged = await sums(DROPPED_TABLES.preflightAll1w, 'tuple(route, origin, key_method)');
    expect(merged).toMatchObject({ needing: daily.needing, preflights: daily.preflights });
    expect(merged.keys).toBeGreaterThan(0);
    expect(merged.keys).toBeLessThan(daily.keys);
    // A start that died during the backfill: the table exists with a row the backfill must not keep.
    const [create] = preflightWeeklyDdl(DEFAULT_SCHEMA_OPTIONS);
    if (typeof create !== 'string') throw new Error('migration 6 starts by creating a table');
    await chdb().command({ query: create });
    await chdb().command({
      query: `INSERT INTO ${TABLES.preflight1w} (week, service, route, origin, key_method, allowed_preflights)
              VALUES (now(), 'orders-api', '/x', 'https://x.test', 'PUT', 1000)`,
    });

    expect(await migrate(chdb(), DEFAULT_SCHEMA_OPTIONS)).toMatchObject({ applied: [6], current: 6 });
    const weekly = await sums(TABLES.preflight1w, 'tuple(service, route, origin, key_method)');
    expect(weekly).toEqual({ ...daily, keys: weekly.keys });
    await expectNarrowEqualsSource(6);
    const left = await names();
    expect(left).not.toContain(DROPPED_TABLES.preflightAll1w);
    expect(left).not.toContain(DROPPED_VIEWS.preflightAll1w);
    expect(left).toContain(VIEWS.preflight1w);
  });

  it('counts later inserts once per service, and does nothing when run again', async () => {
    expect(await migrate(chdb(), DEFAULT_SCHEMA_OPTIONS)).toMatchObject({ applied: [], current: 6 });
    await insert(history(120, 11));
    const daily = await sums(TABLES.preflight1d, 'tuple(service, route, origin, key_method)');
    expect(await sums(TABLES.preflight1w, 'tuple(service, route, origin, key_method)')).toMatchObject({
      needing: daily.needing,
      preflights: daily.preflights,
    });
    await expectNarrowEqualsSource(6);
  });
});
