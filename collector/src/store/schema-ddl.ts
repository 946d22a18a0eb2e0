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
} as const;

export type TableName = (typeof TABLES)[keyof typeof TABLES];

/** Materialized views, each named for the table it fills. */
export const VIEWS = {
  rollup: 'cors_rollup_1m_mv',
  findings: 'cors_findings_1m_mv',
  originsSeen: 'cors_origins_seen_mv',
  policyChanges: 'policy_changes_mv',
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
  readonly name: TableName;
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
  for (const spec of tableSpecs(options)) {
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
