// The ClickHouse schema, in one place (../shared/DESIGN.md §4): raw `cors_events` with a TTL, per-minute
// rollups fed by materialized views, origin first/last seen, policy changes and the migration log. Pure:
// it only builds SQL text, for one node (chDB or a single server) or, with a cluster name, `ON CLUSTER` with
// Replicated engines under `<table>_local` and a Distributed table under the plain name, so every query in
// the product reads the same table names either way.
import { CORS_KINDS, CREDENTIALS_MODES, OUTCOMES, SPAN_ROLES } from '@corsight/instrumentation';
import { EVENT_SOURCES } from '../ingest/cors-event-row.js';
import { quoteIdentifier } from './sql-literal.js';

export interface SchemaOptions {
  /** Days raw `cors_events` rows are kept. */
  readonly rawTtlDays: number;
  /** Days rollups, origin sightings and policy changes are kept. */
  readonly rollupTtlDays: number;
  /** `CLICKHOUSE_CLUSTER`: emit ON CLUSTER DDL with Replicated and Distributed engines. */
  readonly cluster: string | undefined;
}

export const DEFAULT_SCHEMA_OPTIONS: SchemaOptions = {
  rawTtlDays: 14,
  rollupTtlDays: 400,
  cluster: undefined,
};

/** Names every query uses (in a cluster: the Distributed tables). */
export const TABLES = {
  events: 'cors_events',
  rollup: 'cors_rollup_1m',
  findings: 'cors_findings_1m',
  originsSeen: 'cors_origins_seen',
  policyChanges: 'policy_changes',
  migrations: 'schema_migrations',
  // Migration 2: narrow rollups, each a coarser cut of the two above (see NARROW_ROLLUPS).
  totals1m: 'cors_totals_1m',
  totals1h: 'cors_totals_1h',
  codes1h: 'cors_codes_1h',
  routes1h: 'cors_routes_1h',
  origins1h: 'cors_origins_1h',
  origins1d: 'cors_origins_1d',
  routeOrigins1d: 'cors_route_origins_1d',
  originCodes1d: 'cors_origin_codes_1d',
  preflight1d: 'cors_preflight_1d',
  // Migration 4: weekly cuts of the widest daily ones, some for all services together (see NARROW_ROLLUPS).
  routeOriginsAll1w: 'cors_route_origins_all_1w',
  routeOrigins1w: 'cors_route_origins_1w',
  // Migration 5: which policy fingerprints each service answered with, minute by minute.
  policyMinutes: 'policy_minutes',
  // Migration 6: the preflight-cache keys per week and service.
  preflight1w: 'cors_preflight_1w',
} as const;

export type TableName = (typeof TABLES)[keyof typeof TABLES];

/**
 * Tables a later migration dropped (DROPPED_ROLLUPS), with their views. No query reads them; the migration
 * that created one still creates it (a released migration never changes).
 */
export const DROPPED_TABLES = {
  // Created by migration 4, dropped by migration 6.
  preflightAll1w: 'cors_preflight_all_1w',
} as const;

export const DROPPED_VIEWS = {
  preflightAll1w: 'cors_preflight_all_1w_mv',
} as const;

/** Every table a migration creates: those queries read and those a later migration dropped. */
type CreatedTableName = TableName | (typeof DROPPED_TABLES)[keyof typeof DROPPED_TABLES];

/** Materialized views, each named for the table it fills. */
export const VIEWS = {
  rollup: 'cors_rollup_1m_mv',
  findings: 'cors_findings_1m_mv',
  originsSeen: 'cors_origins_seen_mv',
  policyChanges: 'policy_changes_mv',
  totals1m: 'cors_totals_1m_mv',
  totals1h: 'cors_totals_1h_mv',
  codes1h: 'cors_codes_1h_mv',
  routes1h: 'cors_routes_1h_mv',
  origins1h: 'cors_origins_1h_mv',
  origins1d: 'cors_origins_1d_mv',
  routeOrigins1d: 'cors_route_origins_1d_mv',
  originCodes1d: 'cors_origin_codes_1d_mv',
  preflight1d: 'cors_preflight_1d_mv',
  routeOriginsAll1w: 'cors_route_origins_all_1w_mv',
  routeOrigins1w: 'cors_route_origins_1w_mv',
  policyMinutes: 'policy_minutes_mv',
  preflight1w: 'cors_preflight_1w_mv',
} as const;

function enum8(values: readonly string[]): string {
  return `Enum8(${values.map((value, index) => `'${value}' = ${index + 1}`).join(', ')})`;
}

const KIND = enum8(CORS_KINDS);
const OUTCOME = enum8(OUTCOMES);
const CREDENTIALS = enum8(CREDENTIALS_MODES);
const SPAN_ROLE = enum8(SPAN_ROLES);
const SOURCE = enum8(EVENT_SOURCES);
const FINDING = enum8(['reason', 'warning']);

// Codecs: timestamps are near-monotonic within a sort run, so DoubleDelta shrinks them to a few bits; small
// integers take T64 (bit transposition) before ZSTD. Names that queries group by are LowCardinality (a part's
// dictionary holds each route or origin once). The response headers, null on nine rows in ten, are plain
// Nullable(String) + ZSTD: as LowCardinality they cost ~40 % more insert CPU for the same bytes on disk
// (measured with collector/bench/store.bench.ts's mix, 10k-row inserts).
const EVENT_COLUMNS = `
  timestamp DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
  service LowCardinality(String),
  source ${SOURCE},
  span_role ${SPAN_ROLE},
  kind ${KIND},
  route LowCardinality(String),
  origin LowCardinality(String),
  method LowCardinality(String),
  request_method LowCardinality(String),
  outcome ${OUTCOME},
  reasons Array(LowCardinality(String)),
  warnings Array(LowCardinality(String)),
  hints Array(LowCardinality(String)),
  credentials ${CREDENTIALS},
  needs_preflight Nullable(Bool),
  request_headers Array(LowCardinality(String)),
  response_status UInt16 CODEC(T64, ZSTD(1)),
  allow_origin Nullable(String) CODEC(ZSTD(1)),
  allow_credentials Nullable(String) CODEC(ZSTD(1)),
  allow_methods Nullable(String) CODEC(ZSTD(1)),
  allow_headers Nullable(String) CODEC(ZSTD(1)),
  expose_headers Nullable(String) CODEC(ZSTD(1)),
  max_age Nullable(String) CODEC(ZSTD(1)),
  vary Nullable(String) CODEC(ZSTD(1)),
  failed_value Nullable(String) CODEC(ZSTD(1)),
  preflight_cache_chromium Nullable(UInt32) CODEC(T64, ZSTD(1)),
  preflight_cache_firefox Nullable(UInt32) CODEC(T64, ZSTD(1)),
  preflight_cache_webkit Nullable(UInt32) CODEC(T64, ZSTD(1)),
  policy_hash LowCardinality(String),
  sample_weight Float64 CODEC(ZSTD(1)),
  trace_id_hex String EPHEMERAL,
  span_id_hex String EPHEMERAL,
  parent_span_id_hex String EPHEMERAL,
  trace_id FixedString(16) DEFAULT unhex(trace_id_hex) CODEC(ZSTD(1)),
  span_id FixedString(8) DEFAULT unhex(span_id_hex) CODEC(ZSTD(1)),
  parent_span_id FixedString(8) DEFAULT unhex(parent_span_id_hex) CODEC(ZSTD(1)),
  user_agent LowCardinality(String),
  server_address LowCardinality(String)`;

// "One service, a time range, by route/origin": service first, then the hour (a time range skips whole
// granules), then route and origin so a key's rows sit together and compress to almost nothing.
const EVENT_ORDER_BY = '(service, toStartOfHour(timestamp), route, origin, kind, outcome, timestamp)';

const ROLLUP_COLUMNS = `
  minute DateTime('UTC') CODEC(DoubleDelta, ZSTD(1)),
  service LowCardinality(String),
  route LowCardinality(String),
  origin LowCardinality(String),
  kind ${KIND},
  method LowCardinality(String),
  request_method LowCardinality(String),
  outcome ${OUTCOME},
  credentials ${CREDENTIALS},
  source ${SOURCE},
  requests SimpleAggregateFunction(sum, Float64),
  needs_preflight_requests SimpleAggregateFunction(sum, Float64),
  allowed_preflights SimpleAggregateFunction(sum, Float64),
  preflight_cache_chromium SimpleAggregateFunction(max, UInt32),
  preflight_cache_firefox SimpleAggregateFunction(max, UInt32),
  preflight_cache_webkit SimpleAggregateFunction(max, UInt32)`;

const ROLLUP_KEY =
  'service, minute, route, origin, kind, method, request_method, outcome, credentials, source';

// Reasons and warnings are arrays on a row; summing them needs one row per code, so they get their own
// rollup (arrayJoin) rather than multiplying the main one.
const FINDINGS_COLUMNS = `
  minute DateTime('UTC') CODEC(DoubleDelta, ZSTD(1)),
  service LowCardinality(String),
  route LowCardinality(String),
  origin LowCardinality(String),
  kind ${KIND},
  method LowCardinality(String),
  outcome ${OUTCOME},
  finding ${FINDING},
  code LowCardinality(String),
  requests SimpleAggregateFunction(sum, Float64)`;

const FINDINGS_KEY = 'service, minute, finding, code, route, origin, kind, method, outcome';

// --- Rollups as the query side sees them -------------------------------------------------------------
//
// Migration 1's per-minute rollups are keyed by every dimension a filter can name, so over 10M synthetic
// events they keep ~9M rows and a 30-day answer reads most of them. Migration 2 adds narrow rollups, each a
// coarser cut of one of those two (fed by a view on it, so they count exactly what it counts): totals by
// kind and outcome per minute and per hour, codes per hour, routes per hour, origins per day and per hour,
// route × origin, codes per origin and the preflight-cache keys per day. Migration 4 adds weekly cuts of
// the widest daily ones, some without service; migration 6 the preflight-cache keys per week and service,
// in place of migration 4's for all services (DROPPED_ROLLUPS). The query side picks the narrowest that
// holds every column a request filters or groups by (query/rollup-choice.ts), reading whole weeks from a
// weekly table, the other whole days from a daily one, the other whole hours from an hourly one and the
// minutes at the range's edges from a per-minute one.

/**
 * One row per key and minute, hour, (UTC) day or week. A week is seven UTC days counted from the epoch (a
 * Thursday), not a calendar week: the query side finds a range's whole weeks, and a chart its buckets, by
 * dividing epoch time, so every grain divides the next.
 */
export type Grain = 'minute' | 'hour' | 'day' | 'week';
export const GRAIN_SECONDS: Readonly<Record<Grain, number>> = {
  minute: 60,
  hour: 3600,
  day: 86_400,
  week: 604_800,
};
/** The time column of a rollup of each grain. */
export const TIME_COLUMN: Readonly<Record<Grain, Grain>> = {
  minute: 'minute',
  hour: 'hour',
  day: 'day',
  week: 'week',
};
/** The start of a `grain` bucket, from a time column of finer grain. */
export function startOf(grain: Grain, column: Grain): string {
  if (grain === column) return column;
  if (grain === 'hour') return `toStartOfHour(${column})`;
  if (grain === 'day') return `toStartOfDay(${column}, 'UTC')`;
  return `toDateTime(intDiv(toUInt32(${column}), ${GRAIN_SECONDS.week}) * ${GRAIN_SECONDS.week}, 'UTC')`;
}

/** Columns a rollup can be keyed by besides `service` and time, with their types. */
const DIMENSION_TYPES = {
  route: 'LowCardinality(String)',
  origin: 'LowCardinality(String)',
  kind: KIND,
  method: 'LowCardinality(String)',
  request_method: 'LowCardinality(String)',
  outcome: OUTCOME,
  credentials: CREDENTIALS,
  source: SOURCE,
  finding: FINDING,
  code: 'LowCardinality(String)',
  key_method: 'LowCardinality(String)',
} as const;
export type Dimension = 'service' | keyof typeof DIMENSION_TYPES;

/**
 * Dimensions that migration 1's rollup computes rather than stores. `key_method`: the method of the actual
 * request a preflight-cache key is about (a preflight's is the method it asks for).
 */
const DERIVED_DIMENSIONS: Partial<Record<Dimension, string>> = {
  key_method: "if(kind = 'preflight', request_method, method)",
};

/** A dimension as an expression over `spec`'s columns (its own column, or computed from them). */
export function dimensionColumn(spec: RollupSpec, dimension: Dimension): string {
  const own = NARROW_ROLLUPS.some((narrow) => narrow.table === spec.table);
  return own ? dimension : (DERIVED_DIMENSIONS[dimension] ?? dimension);
}

const SUM = 'SimpleAggregateFunction(sum, Float64)';
const MAX_SECONDS = 'SimpleAggregateFunction(max, UInt32)';

/**
 * What a rollup row holds for its key, and how rows combine. On a per-minute table of migration 1 the first
 * and last minute are the row's minute itself (`minuteColumn`).
 */
const MEASURES = {
  requests: { type: SUM, combine: 'sum' },
  needs_preflight_requests: { type: SUM, combine: 'sum' },
  allowed_preflights: { type: SUM, combine: 'sum' },
  preflight_cache_chromium: { type: MAX_SECONDS, combine: 'max' },
  preflight_cache_firefox: { type: MAX_SECONDS, combine: 'max' },
  preflight_cache_webkit: { type: MAX_SECONDS, combine: 'max' },
  first_minute: { type: "SimpleAggregateFunction(min, DateTime('UTC'))", combine: 'min' },
  last_minute: { type: "SimpleAggregateFunction(max, DateTime('UTC'))", combine: 'max' },
} as const;
export type Measure = keyof typeof MEASURES;
export const MEASURE_NAMES = Object.keys(MEASURES) as readonly Measure[];

export interface RollupSpec {
  readonly table: TableName;
  readonly grain: Grain;
  /** `requests`: a row sums requests; `findings`: a request once per reason or warning code it has. */
  readonly counts: 'requests' | 'findings';
  readonly dimensions: readonly Dimension[];
  readonly measures: readonly Measure[];
}

/**
 * A narrow rollup: a view on `from` fills it, and a backfill from `from` gives it the past. Without
 * `service` among its dimensions it sums every service's rows together, and answers only questions that
 * do not filter or group by service (the dashboard's default).
 */
export interface NarrowRollupSpec<Table extends CreatedTableName = TableName> extends Omit<
  RollupSpec,
  'table'
> {
  readonly table: Table;
  readonly view: string;
  /**
   * The migration that creates it: 2 (narrowRollupsDdl), 4 (weeklyRollupsDdl) or 6
   * (preflightWeeklyDdl).
   */
  readonly migration: 2 | 4 | 6;
  /** The migration that drops it again (DROPPED_ROLLUPS only). */
  readonly droppedIn?: 6;
  /**
   * The table whose inserts feed it: a per-minute rollup, or a narrower table of finer grain (a view reading
   * another view's small output block costs a fraction of one reading the per-minute rollup's block).
   */
  readonly from:
    | typeof TABLES.rollup
    | typeof TABLES.findings
    | typeof TABLES.totals1m
    | typeof TABLES.origins1h
    | typeof TABLES.routeOrigins1d
    | typeof TABLES.routeOrigins1w
    | typeof TABLES.preflight1d;
  /**
   * The rows of `from` it keeps (the others count nothing for the questions it answers; rollup-choice.ts
   * reads it only for a question about those rows). Applied in a subquery: in the view's own WHERE the
   * names would mean its aggregates, which share the column names.
   */
  readonly where?: string;
  /**
   * Dimensions sorted before time (after service): a filter on them (`outcome = 'blocked'`) then skips
   * whole granules of every day, where after time it would find a few rows in each day's granule.
   */
  readonly sortedBeforeTime?: readonly Dimension[];
}

const WIDE_ROLLUPS: readonly RollupSpec[] = [
  {
    table: TABLES.findings,
    grain: 'minute',
    counts: 'findings',
    dimensions: ['service', 'route', 'origin', 'kind', 'method', 'outcome', 'finding', 'code'],
    measures: ['requests', 'first_minute', 'last_minute'],
  },
  {
    table: TABLES.rollup,
    grain: 'minute',
    counts: 'requests',
    dimensions: [
      'service',
      'route',
      'origin',
      'kind',
      'method',
      'request_method',
      'outcome',
      'credentials',
      'source',
      'key_method',
    ],
    measures: MEASURE_NAMES,
  },
];

const TOTALS: Pick<RollupSpec, 'counts' | 'dimensions' | 'measures'> = {
  counts: 'requests',
  dimensions: ['service', 'kind', 'outcome'],
  measures: ['requests', 'needs_preflight_requests'],
};

/** The rows the preflight-cache rollup keeps: the others count nothing for the preflight-cache estimate. */
export const PREFLIGHT_KEY_ROWS = 'needs_preflight_requests > 0 OR allowed_preflights > 0';

/** What the preflight-cache rollups sum per key: the daily one's, which the weekly one sums again. */
const PREFLIGHT_MEASURES: readonly Measure[] = [
  'needs_preflight_requests',
  'allowed_preflights',
  'preflight_cache_chromium',
  'preflight_cache_firefox',
  'preflight_cache_webkit',
];

/** Narrowest first. Row counts over 10M synthetic events in 30 days: see collector/bench/query.bench.ts. */
export const NARROW_ROLLUPS: readonly NarrowRollupSpec[] = [
  {
    table: TABLES.totals1h,
    view: VIEWS.totals1h,
    migration: 2,
    from: TABLES.totals1m,
    grain: 'hour',
    ...TOTALS,
  },
  {
    table: TABLES.totals1m,
    view: VIEWS.totals1m,
    migration: 2,
    from: TABLES.rollup,
    grain: 'minute',
    ...TOTALS,
  },
  {
    table: TABLES.codes1h,
    view: VIEWS.codes1h,
    migration: 2,
    from: TABLES.findings,
    grain: 'hour',
    counts: 'findings',
    dimensions: ['service', 'finding', 'code', 'kind', 'outcome'],
    measures: ['requests'],
  },
  {
    table: TABLES.routes1h,
    view: VIEWS.routes1h,
    migration: 2,
    from: TABLES.rollup,
    grain: 'hour',
    counts: 'requests',
    dimensions: ['service', 'route', 'kind', 'outcome'],
    measures: ['requests', 'needs_preflight_requests'],
  },
  // Origins per day before per hour: a daily table is read only when it is narrower than the hourly one.
  // 10M synthetic events over 30 days: 1.6M origin rows per hour, ~0.1M per day.
  {
    table: TABLES.origins1d,
    view: VIEWS.origins1d,
    migration: 2,
    from: TABLES.origins1h,
    grain: 'day',
    counts: 'requests',
    dimensions: ['service', 'origin', 'outcome'],
    measures: ['requests', 'first_minute', 'last_minute'],
  },
  {
    table: TABLES.origins1h,
    view: VIEWS.origins1h,
    migration: 2,
    from: TABLES.rollup,
    grain: 'hour',
    counts: 'requests',
    dimensions: ['service', 'origin', 'outcome'],
    measures: ['requests', 'first_minute', 'last_minute'],
  },
  // Migration 4: route × origin per week (10M synthetic events over 30 days: 2.0M rows per day, 0.7M per
  // week, 0.25M per week for all services together), fed from the daily table (a view on its small insert
  // blocks, not on the per-minute rollup's), so a 30-day range reads its whole weeks here and only the
  // days at its edges from the daily table. Before the daily table: read whenever one answers.
  {
    table: TABLES.routeOriginsAll1w,
    view: VIEWS.routeOriginsAll1w,
    migration: 4,
    from: TABLES.routeOrigins1w,
    grain: 'week',
    counts: 'requests',
    dimensions: ['route', 'origin', 'outcome'],
    measures: ['requests'],
    sortedBeforeTime: ['outcome'],
  },
  {
    table: TABLES.routeOrigins1w,
    view: VIEWS.routeOrigins1w,
    migration: 4,
    from: TABLES.routeOrigins1d,
    grain: 'week',
    counts: 'requests',
    dimensions: ['service', 'route', 'origin', 'outcome'],
    measures: ['requests'],
    sortedBeforeTime: ['outcome'],
  },
  // Preflight-cache keys per week and service (migration 6; migration 4's for all services: 30 days, 2.1M
  // daily rows, 0.33M weekly ones). A browser caches a preflight per request URL, so two services that
  // share a route template and a calling origin are two keys (DESIGN.md §6).
  {
    table: TABLES.preflight1w,
    view: VIEWS.preflight1w,
    migration: 6,
    from: TABLES.preflight1d,
    grain: 'week',
    counts: 'requests',
    dimensions: ['service', 'route', 'origin', 'key_method'],
    measures: PREFLIGHT_MEASURES,
    where: PREFLIGHT_KEY_ROWS,
  },
  // Route × origin keys hardly repeat within an hour (10M synthetic events: 5.6M per hour, 2.0M per day,
  // 0.2M over 30 days), so only a daily cut is worth keeping; ranges read whole days from it.
  {
    table: TABLES.routeOrigins1d,
    view: VIEWS.routeOrigins1d,
    migration: 2,
    from: TABLES.rollup,
    grain: 'day',
    counts: 'requests',
    dimensions: ['service', 'route', 'origin', 'outcome'],
    measures: ['requests'],
    sortedBeforeTime: ['outcome'],
  },
  // Reason and warning codes per origin per day, for the reasons of rejected origins over long ranges.
  {
    table: TABLES.originCodes1d,
    view: VIEWS.originCodes1d,
    migration: 2,
    from: TABLES.findings,
    grain: 'day',
    counts: 'findings',
    dimensions: ['service', 'outcome', 'finding', 'code', 'origin'],
    measures: ['requests'],
    sortedBeforeTime: ['outcome', 'finding'],
  },
  // An hourly cut of these keys (fed from the per-minute rollup, this one fed from it) was measured with the
  // query and store benches: ~16 % less CPU for a 24-hour answer, none at 30 days, for ~2–5 µs more insert
  // CPU per event (~5–10 %); not kept. Route × origin per hour: ~15 % less at a range's edges, ~3 µs more.
  {
    table: TABLES.preflight1d,
    view: VIEWS.preflight1d,
    migration: 2,
    from: TABLES.rollup,
    grain: 'day',
    counts: 'requests',
    dimensions: ['service', 'route', 'origin', 'key_method'],
    measures: PREFLIGHT_MEASURES,
    where: PREFLIGHT_KEY_ROWS,
  },
];

/**
 * Narrow rollups a later migration dropped, none of them read by a query (they are not in ROLLUPS). The
 * migration that created one still creates it, so a new store makes it, backfills it from an empty table
 * and drops it moments later, and a store that had it drops what it held.
 */
export const DROPPED_ROLLUPS: readonly NarrowRollupSpec<CreatedTableName>[] = [
  // Preflight-cache keys per week for all services: two services with the same route template and calling
  // origin were one key, one's actual requests counted as hits of the other's preflights, where a browser
  // caches a preflight per request URL. Its view also cost insert CPU on every event once nothing read it.
  {
    table: DROPPED_TABLES.preflightAll1w,
    view: DROPPED_VIEWS.preflightAll1w,
    migration: 4,
    droppedIn: 6,
    from: TABLES.preflight1d,
    grain: 'week',
    counts: 'requests',
    dimensions: ['route', 'origin', 'key_method'],
    measures: PREFLIGHT_MEASURES,
    where: PREFLIGHT_KEY_ROWS,
  },
];

/** Every narrow rollup some migration creates, in the order each migration's rollups were listed. */
const CREATED_ROLLUPS: readonly NarrowRollupSpec<CreatedTableName>[] = [
  ...NARROW_ROLLUPS,
  ...DROPPED_ROLLUPS,
];

/** Every rollup, narrowest first: the order in which the query side tries them. */
export const ROLLUPS: readonly RollupSpec[] = [...NARROW_ROLLUPS, ...WIDE_ROLLUPS];

/** A measure as a column of `spec` (migration 1's minute tables have no first/last minute of their own). */
export function measureColumn(spec: RollupSpec, measure: Measure): string {
  const own = NARROW_ROLLUPS.some((narrow) => narrow.table === spec.table);
  return !own && (measure === 'first_minute' || measure === 'last_minute') ? 'minute' : measure;
}

const ORIGINS_SEEN_COLUMNS = `
  service LowCardinality(String),
  outcome ${OUTCOME},
  origin String,
  first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
  last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
  requests SimpleAggregateFunction(sum, Float64)`;

const POLICY_COLUMNS = `
  service LowCardinality(String),
  policy_hash String,
  first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
  last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
  requests SimpleAggregateFunction(sum, Float64)`;

const MIGRATIONS_COLUMNS = `
  version UInt32,
  name String,
  applied_at DateTime64(3, 'UTC') DEFAULT now64(3)`;

/** Dedup windows: a replayed spool segment (same insert_deduplication_token) is stored once. */
const DEDUP_WINDOW = 10_000;

// Merges of `cors_events` (~40 columns) one column at a time, whatever the part size: a horizontal merge
// buffers every column of every part it reads at once. Measured with 14k-row inserts of the ingest bench's
// rows into chDB (two runs each): resident memory grew 129–131 MiB during the inserts and their merges with
// the default (vertical only past 131,072 rows), 82–90 MiB with this, for the same CPU per row.
const EVENT_MERGE_SETTINGS = [
  'vertical_merge_algorithm_min_rows_to_activate = 1',
  'vertical_merge_algorithm_min_columns_to_activate = 1',
];

interface TableSpec {
  readonly name: CreatedTableName;
  readonly columns: string;
  readonly engine: 'MergeTree' | 'AggregatingMergeTree';
  readonly partitionBy: string | undefined;
  readonly orderBy: string;
  readonly ttl: string | undefined;
  readonly settings: readonly string[];
  /** Distributed sharding key; everything is sharded by service so a service's rows meet on one shard. */
  readonly shardBy: string;
}

function checkedDays(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 36_500) {
    throw new RangeError(`${what} must be a whole number of days between 1 and 36500, got ${value}`);
  }
  return value;
}

function tableSpecs(options: SchemaOptions): readonly TableSpec[] {
  const rawDays = checkedDays(options.rawTtlDays, 'raw TTL');
  const rollupDays = checkedDays(options.rollupTtlDays, 'rollup TTL');
  const dedup =
    options.cluster === undefined ? [`non_replicated_deduplication_window = ${DEDUP_WINDOW}`] : [];
  return [
    {
      name: TABLES.events,
      columns: EVENT_COLUMNS,
      engine: 'MergeTree',
      partitionBy: 'toYYYYMMDD(timestamp)',
      orderBy: EVENT_ORDER_BY,
      ttl: `toDateTime(timestamp) + INTERVAL ${rawDays} DAY`,
      settings: [...dedup, 'ttl_only_drop_parts = 1', ...EVENT_MERGE_SETTINGS],
      shardBy: 'cityHash64(service)',
    },
    {
      name: TABLES.rollup,
      columns: ROLLUP_COLUMNS,
      engine: 'AggregatingMergeTree',
      partitionBy: 'toYYYYMM(minute)',
      orderBy: `(${ROLLUP_KEY})`,
      ttl: `minute + INTERVAL ${rollupDays} DAY`,
      settings: [...dedup, 'ttl_only_drop_parts = 1'],
      shardBy: 'cityHash64(service)',
    },
    {
      name: TABLES.findings,
      columns: FINDINGS_COLUMNS,
      engine: 'AggregatingMergeTree',
      partitionBy: 'toYYYYMM(minute)',
      orderBy: `(${FINDINGS_KEY})`,
      ttl: `minute + INTERVAL ${rollupDays} DAY`,
      settings: [...dedup, 'ttl_only_drop_parts = 1'],
      shardBy: 'cityHash64(service)',
    },
    {
      name: TABLES.originsSeen,
      columns: ORIGINS_SEEN_COLUMNS,
      engine: 'AggregatingMergeTree',
      partitionBy: undefined,
      orderBy: '(service, outcome, origin)',
      ttl: `toDateTime(last_seen) + INTERVAL ${rollupDays} DAY`,
      settings: dedup,
      shardBy: 'cityHash64(service)',
    },
    {
      name: TABLES.policyChanges,
      columns: POLICY_COLUMNS,
      engine: 'AggregatingMergeTree',
      partitionBy: undefined,
      orderBy: '(service, policy_hash)',
      ttl: `toDateTime(last_seen) + INTERVAL ${rollupDays} DAY`,
      settings: dedup,
      shardBy: 'cityHash64(service)',
    },
  ];
}

interface Target {
  readonly onCluster: string;
  /** The table that stores rows: `<name>` on one node, `<name>_local` in a cluster. */
  storage(name: string): string;
  engine(engine: TableSpec['engine'], name: string): string;
}

function target(cluster: string | undefined): Target {
  if (cluster === undefined) {
    return { onCluster: '', storage: (name) => name, engine: (engine) => engine };
  }
  const quoted = quoteIdentifier(cluster, 'CLICKHOUSE_CLUSTER');
  return {
    onCluster: ` ON CLUSTER ${quoted}`,
    storage: (name) => `${name}_local`,
    engine: (engine, name) =>
      `Replicated${engine}('/clickhouse/tables/{shard}/{database}/${name}_local', '{replica}')`,
  };
}

function createTable(spec: TableSpec, to: Target): string {
  const clauses = [
    `CREATE TABLE IF NOT EXISTS ${to.storage(spec.name)}${to.onCluster} (${spec.columns}\n)`,
    `ENGINE = ${to.engine(spec.engine, spec.name)}`,
    spec.partitionBy === undefined ? undefined : `PARTITION BY ${spec.partitionBy}`,
    `ORDER BY ${spec.orderBy}`,
    spec.ttl === undefined ? undefined : `TTL ${spec.ttl}`,
    spec.settings.length === 0 ? undefined : `SETTINGS ${spec.settings.join(', ')}`,
  ];
  return clauses.filter((clause) => clause !== undefined).join('\n');
}

function createDistributed(spec: TableSpec, cluster: string): string {
  const quoted = quoteIdentifier(cluster, 'CLICKHOUSE_CLUSTER');
  return (
    `CREATE TABLE IF NOT EXISTS ${spec.name} ON CLUSTER ${quoted} AS ${spec.name}_local\n` +
    `ENGINE = Distributed(${quoted}, currentDatabase(), ${spec.name}_local, ${spec.shardBy})`
  );
}

function materializedViews(to: Target): readonly string[] {
  const events = to.storage(TABLES.events);
  const view = (name: string, into: TableName, select: string): string =>
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${to.storage(name)}${to.onCluster} TO ${to.storage(into)} AS\n${select}`;
  // Exemplars (detail spans with weight 0) say nothing about counts; leaving them out keeps rollups narrow.
  return [
    view(
      VIEWS.rollup,
      TABLES.rollup,
      `SELECT toStartOfMinute(timestamp) AS minute, service, route, origin, kind, method, request_method, outcome,
  credentials, source,
  sum(sample_weight) AS requests,
  sumIf(sample_weight, needs_preflight = true) AS needs_preflight_requests,
  sumIf(sample_weight, kind = 'preflight' AND outcome != 'blocked') AS allowed_preflights,
  max(ifNull(preflight_cache_chromium, 0)) AS preflight_cache_chromium,
  max(ifNull(preflight_cache_firefox, 0)) AS preflight_cache_firefox,
  max(ifNull(preflight_cache_webkit, 0)) AS preflight_cache_webkit
FROM ${events}
WHERE sample_weight > 0
GROUP BY ${ROLLUP_KEY}`,
    ),
    view(
      VIEWS.findings,
      TABLES.findings,
      `SELECT toStartOfMinute(timestamp) AS minute, service, route, origin, kind, method, outcome,
  CAST(finding_pair.1 AS ${FINDING}) AS finding, finding_pair.2 AS code,
  sum(sample_weight) AS requests
FROM ${events}
ARRAY JOIN arrayConcat(
  arrayMap(r -> tuple('reason', toString(r)), reasons),
  arrayMap(w -> tuple('warning', toString(w)), warnings)
) AS finding_pair
WHERE sample_weight > 0 AND (notEmpty(reasons) OR notEmpty(warnings))
GROUP BY ${FINDINGS_KEY}`,
    ),
    view(
      VIEWS.originsSeen,
      TABLES.originsSeen,
      `SELECT service, outcome, origin,
  min(timestamp) AS first_seen, max(timestamp) AS last_seen, sum(sample_weight) AS requests
FROM ${events}
GROUP BY service, outcome, origin`,
    ),
    view(
      VIEWS.policyChanges,
      TABLES.policyChanges,
      `SELECT service, policy_hash,
  min(timestamp) AS first_seen, max(timestamp) AS last_seen, sum(sample_weight) AS requests
FROM ${events}
WHERE policy_hash != ''
GROUP BY service, policy_hash`,
    ),
  ];
}

export interface RetentionRule {
  /** The table that stores rows (`<name>_local` in a cluster). */
  readonly table: string;
  readonly days: number;
  /** Brings an existing table to `days` (the TTL is part of migration 1, so a changed setting needs it). */
  readonly alter: string;
}

/** Every TTL the options ask for, with the ALTER that applies it to a table created with other days. */
export function retentionRules(options: SchemaOptions): readonly RetentionRule[] {
  const to = target(options.cluster);
  const rules: RetentionRule[] = [];
  for (const spec of [...tableSpecs(options), ...narrowTableSpecs(options), policyMinutesSpec(options)]) {
    if (spec.ttl === undefined) continue;
    const days = spec.name === TABLES.events ? options.rawTtlDays : options.rollupTtlDays;
    const table = to.storage(spec.name);
    rules.push({ table, days, alter: `ALTER TABLE ${table}${to.onCluster} MODIFY TTL ${spec.ttl}` });
  }
  return rules;
}

/** The migration log, created before anything else so the runner can read it. */
export function migrationsTableDdl(options: SchemaOptions): readonly string[] {
  const to = target(options.cluster);
  const spec: TableSpec = {
    name: TABLES.migrations,
    columns: MIGRATIONS_COLUMNS,
    engine: 'MergeTree',
    partitionBy: undefined,
    orderBy: 'version',
    ttl: undefined,
    settings: [],
    shardBy: 'version',
  };
  const statements = [createTable(spec, to)];
  if (options.cluster !== undefined) statements.push(createDistributed(spec, options.cluster));
  return statements;
}

/** Version 1: every table and view of DESIGN.md §4 that ingest needs. */
export function initialSchemaDdl(options: SchemaOptions): readonly string[] {
  const to = target(options.cluster);
  const specs = tableSpecs(options);
  const statements: string[] = [];
  for (const spec of specs) {
    statements.push(createTable(spec, to));
    if (options.cluster !== undefined) statements.push(createDistributed(spec, options.cluster));
  }
  statements.push(...materializedViews(to));
  return statements;
}

// --- Migration 2 -------------------------------------------------------------------------------------

/** Statements run only while `unlessExists` (a table or view) is missing; the last of them creates it. */
export interface GuardedStatements {
  readonly unlessExists: string;
  readonly statements: readonly string[];
}

/** What a migration runs: a statement safe to repeat, or statements guarded by what they create. */
export type SchemaStep = string | GuardedStatements;

function hasService(spec: Pick<RollupSpec, 'dimensions'>): boolean {
  return spec.dimensions.includes('service');
}

function sortKey(spec: NarrowRollupSpec<CreatedTableName>): readonly string[] {
  const early = spec.sortedBeforeTime ?? [];
  const late = spec.dimensions.filter((dimension) => dimension !== 'service' && !early.includes(dimension));
  return [...(hasService(spec) ? ['service'] : []), ...early, TIME_COLUMN[spec.grain], ...late];
}

/** The columns of a narrow rollup before its measures: time, service when it has one, the other keys. */
function keyColumns(spec: NarrowRollupSpec<CreatedTableName>): readonly string[] {
  const keys = spec.dimensions.filter((dimension) => dimension !== 'service');
  return [TIME_COLUMN[spec.grain], ...(hasService(spec) ? ['service'] : []), ...keys];
}

function narrowTableSpecs(
  options: SchemaOptions,
  specs: readonly NarrowRollupSpec<CreatedTableName>[] = NARROW_ROLLUPS,
): readonly TableSpec[] {
  const rollupDays = checkedDays(options.rollupTtlDays, 'rollup TTL');
  const dedup =
    options.cluster === undefined ? [`non_replicated_deduplication_window = ${DEDUP_WINDOW}`] : [];
  return specs.map((spec) => {
    const time = TIME_COLUMN[spec.grain];
    const keys = spec.dimensions.filter((dimension) => dimension !== 'service');
    const columns = [
      `${time} DateTime('UTC') CODEC(DoubleDelta, ZSTD(1))`,
      ...(hasService(spec) ? ['service LowCardinality(String)'] : []),
      ...keys.map((dimension) => `${dimension} ${DIMENSION_TYPES[dimension]}`),
      ...spec.measures.map((measure) => `${measure} ${MEASURES[measure].type}`),
    ];
    return {
      name: spec.table,
      columns: columns.map((column) => `\n  ${column}`).join(','),
      engine: 'AggregatingMergeTree',
      partitionBy: `toYYYYMM(${time})`,
      orderBy: `(${sortKey(spec).join(', ')})`,
      ttl: `${time} + INTERVAL ${rollupDays} DAY`,
      settings: [...dedup, 'ttl_only_drop_parts = 1'],
      // A table of all services sums what every shard holds: any shard may keep any of its rows.
      shardBy: hasService(spec) ? 'cityHash64(service)' : 'rand()',
    };
  });
}

/** The rows of a narrow rollup, computed from the (finer) rollup it is a cut of. */
function narrowSelect(spec: NarrowRollupSpec<CreatedTableName>, from: string): string {
  const time = TIME_COLUMN[spec.grain];
  const source = ROLLUPS.find((rollup) => rollup.table === spec.from);
  const sourceTime = TIME_COLUMN[source?.grain ?? 'minute'];
  const keys = spec.dimensions.filter((dimension) => dimension !== 'service');
  // A narrow source keeps derived dimensions and first and last minute as columns of its own.
  const fromNarrow = NARROW_ROLLUPS.some((narrow) => narrow.table === spec.from);
  const columns = keys.map((key) => {
    const derived = fromNarrow ? undefined : DERIVED_DIMENSIONS[key];
    return derived === undefined ? key : `${derived} AS ${key}`;
  });
  const measures = spec.measures.map((measure) => {
    // First and last minute: a per-minute rollup's minute is both.
    const column =
      (measure === 'first_minute' || measure === 'last_minute') && !fromNarrow ? sourceTime : measure;
    return `${MEASURES[measure].combine}(${column}) AS ${measure}`;
  });
  const timeColumn = time === sourceTime ? time : `${startOf(spec.grain, sourceTime)} AS ${time}`;
  const service = hasService(spec) ? ['service'] : [];
  const group = [...service, time, ...keys].join(', ');
  return `SELECT ${[timeColumn, ...service, ...columns].join(', ')},\n  ${measures.join(',\n  ')}
FROM ${spec.where === undefined ? from : `(SELECT * FROM ${from} WHERE ${spec.where})`}
GROUP BY ${group}`;
}

/** How many narrow tables stand between a narrow rollup and the per-minute rollup it is cut from. */
function chainDepth(spec: NarrowRollupSpec<CreatedTableName>): number {
  const source = NARROW_ROLLUPS.find((other) => other.table === spec.from);
  return source === undefined ? 0 : chainDepth(source) + 1;
}

/** A migration's rollups, each after the narrow table it is fed from: the order to create and fill them. */
function creationOrder(
  migration: NarrowRollupSpec['migration'],
): readonly NarrowRollupSpec<CreatedTableName>[] {
  return CREATED_ROLLUPS.filter((spec) => spec.migration === migration).sort(
    (a, b) => chainDepth(a) - chainDepth(b),
  );
}

/**
 * Version 2: the narrow rollups (NARROW_ROLLUPS) with their views, each filled with the past of the
 * per-minute rollup it is cut from. That rollup is kept as long as the narrow one (the rollup TTL), so the
 * backfill covers every day it still holds, also those whose raw rows have expired.
 *
 * The backfill runs before its view exists and only while the view is missing: a start that died half-way
 * empties the table and backfills again, and once the view exists nothing is repeated. Rows inserted by
 * another writer between a table's backfill and the creation of its view (a second collector on the same
 * server during the migration) would be missing from that narrow table; one collector migrates before its
 * first insert, and embedded chDB has one writer.
 */
export function narrowRollupsDdl(options: SchemaOptions): readonly SchemaStep[] {
  return rollupSteps(options, 2);
}

/**
 * Version 4: the weekly rollups of migration 4 (one of them in DROPPED_ROLLUPS since migration 6), filled
 * the same way from the daily tables they are cut from, which hold every day the rollup TTL keeps.
 */
export function weeklyRollupsDdl(options: SchemaOptions): readonly SchemaStep[] {
  return rollupSteps(options, 4);
}

function rollupSteps(
  options: SchemaOptions,
  migration: NarrowRollupSpec['migration'],
): readonly SchemaStep[] {
  const to = target(options.cluster);
  const specs = narrowTableSpecs(options, CREATED_ROLLUPS);
  const steps: SchemaStep[] = [];
  for (const spec of creationOrder(migration)) {
    const table = specs.find((candidate) => candidate.name === spec.table);
    if (table === undefined) continue;
    steps.push(createTable(table, to));
    if (options.cluster !== undefined) steps.push(createDistributed(table, options.cluster));
    const columns = [...keyColumns(spec), ...spec.measures];
    // In a cluster the backfill writes through the Distributed table (sharded by service like its source),
    // so every shard gets the rows of its own services.
    steps.push({
      unlessExists: to.storage(spec.view),
      statements: [
        `TRUNCATE TABLE IF EXISTS ${to.storage(spec.table)}${to.onCluster}`,
        `INSERT INTO ${spec.table} (${columns.join(', ')})\n${narrowSelect(spec, spec.from)}`,
        `CREATE MATERIALIZED VIEW IF NOT EXISTS ${to.storage(spec.view)}${to.onCluster} TO ${to.storage(spec.table)} AS\n` +
          narrowSelect(spec, to.storage(spec.from)),
      ],
    });
  }
  return steps;
}

// --- Migration 5 -------------------------------------------------------------------------------------

// `policy_changes` keeps each fingerprint's first and last sighting only, so a return to an earlier policy
// (a rollback, a redeploy of the previous allowlist) was no change at all. This keeps, per minute, which
// fingerprints a service answered with: enough to see every switch (policy-changes.ts). A row per service
// and fingerprint and minute with traffic, exemplars included (weight 0): a minute's presence is what counts.
const POLICY_MINUTES_COLUMNS = `
  minute DateTime('UTC') CODEC(DoubleDelta, ZSTD(1)),
  service LowCardinality(String),
  policy_hash String,
  requests SimpleAggregateFunction(sum, Float64)`;

function policyMinutesSpec(options: SchemaOptions): TableSpec {
  const rollupDays = checkedDays(options.rollupTtlDays, 'rollup TTL');
  const dedup =
    options.cluster === undefined ? [`non_replicated_deduplication_window = ${DEDUP_WINDOW}`] : [];
  return {
    name: TABLES.policyMinutes,
    columns: POLICY_MINUTES_COLUMNS,
    engine: 'AggregatingMergeTree',
    partitionBy: 'toYYYYMM(minute)',
    orderBy: '(service, minute, policy_hash)',
    ttl: `minute + INTERVAL ${rollupDays} DAY`,
    settings: [...dedup, 'ttl_only_drop_parts = 1'],
    shardBy: 'cityHash64(service)',
  };
}

function policyMinutesSelect(events: string): string {
  return `SELECT toStartOfMinute(timestamp) AS minute, service, policy_hash, sum(sample_weight) AS requests
FROM ${events}
WHERE policy_hash != ''
GROUP BY minute, service, policy_hash`;
}

/**
 * Version 5: `policy_minutes` and its view, filled first from the raw events still kept (the raw TTL): older
 * changes are still known from `policy_changes` as first sightings. Guarded like the narrow rollups (the
 * backfill runs only while the view is missing).
 */
export function policyMinutesDdl(options: SchemaOptions): readonly SchemaStep[] {
  const to = target(options.cluster);
  const spec = policyMinutesSpec(options);
  const steps: SchemaStep[] = [createTable(spec, to)];
  if (options.cluster !== undefined) steps.push(createDistributed(spec, options.cluster));
  steps.push({
    unlessExists: to.storage(VIEWS.policyMinutes),
    statements: [
      `TRUNCATE TABLE IF EXISTS ${to.storage(spec.name)}${to.onCluster}`,
      `INSERT INTO ${spec.name} (minute, service, policy_hash, requests)\n${policyMinutesSelect(TABLES.events)}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${to.storage(VIEWS.policyMinutes)}${to.onCluster} TO ${to.storage(spec.name)} AS\n` +
        policyMinutesSelect(to.storage(TABLES.events)),
    ],
  });
  return steps;
}

// --- Migration 6 -------------------------------------------------------------------------------------

/**
 * Version 6: the preflight-cache keys per week and service (cors_preflight_1w), filled from the daily table
 * like migration 4's weekly rollups, then migration 4's weekly table of all services dropped
 * (DROPPED_ROLLUPS). On a new store migration 4 has just created that table from an empty daily one; an
 * upgraded store loses nothing with it, since the new table is backfilled from the same daily rows.
 *
 * Each drop is safe to repeat (IF EXISTS), so a start that died half-way runs them again. A collector from
 * before this migration still running on the same ClickHouse (a rolling upgrade of a cluster) fails its
 * /preflight-cache answers over whole weeks from then on, until it is upgraded too.
 */
export function preflightWeeklyDdl(options: SchemaOptions): readonly SchemaStep[] {
  return [...rollupSteps(options, 6), ...dropSteps(options, 6)];
}

function dropSteps(options: SchemaOptions, migration: NarrowRollupSpec['migration']): readonly string[] {
  const to = target(options.cluster);
  return DROPPED_ROLLUPS.filter((spec) => spec.droppedIn === migration).flatMap((spec) => [
    // The view first: a view whose table is gone fails every insert into its source, and so every insert
    // of events.
    `DROP VIEW IF EXISTS ${to.storage(spec.view)}${to.onCluster}`,
    // In a cluster the Distributed table under the plain name, then the Replicated one under it.
    ...(options.cluster === undefined ? [] : [`DROP TABLE IF EXISTS ${spec.table}${to.onCluster}`]),
    `DROP TABLE IF EXISTS ${to.storage(spec.table)}${to.onCluster}`,
  ]);
}
