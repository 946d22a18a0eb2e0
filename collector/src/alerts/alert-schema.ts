// The alerting tables (DESIGN.md §4), as pure DDL builders in the style of store/schema-ddl.ts: one node
// (chDB or a single server) gets plain tables under the names queries use; with a cluster name, the same
// statements run ON CLUSTER with Replicated engines under `<table>_local` and a Distributed table under the
// plain name. Not wired into migrations here: the migration runner adds `alertSchemaDdl` as one version.
//
// - `alert_rules`: every version of every rule saved through the API (the rules file and the built-in
//   rules live in the file and the code, not here). A save or delete appends a row with the next version;
//   the current rule is `argMax(spec, version)` per `rule_id`, skipped when that row is `deleted`.
// - `alert_events`: every state transition (pending, firing, resolved, cancelled), every notification
//   (sent, or suppressed by a silence or an inhibition) and every delivery with its attempts. The evaluator
//   rebuilds its state from the latest transition per instance at start-up, so a restart neither loses a
//   firing alert nor announces it twice.
// - `alert_silences`: silences by id; an edit or delete appends a row with a higher version
//   (ReplacingMergeTree keeps the newest after merges; readers use argMax or FINAL).
import type { SchemaOptions } from '../store/schema-ddl.js';
import { quoteIdentifier } from '../store/sql-literal.js';

export const ALERT_TABLES = {
  rules: 'alert_rules',
  events: 'alert_events',
  silences: 'alert_silences',
} as const;

export type AlertTableName = (typeof ALERT_TABLES)[keyof typeof ALERT_TABLES];

/** What an `alert_events` row records. */
export const ALERT_EVENT_TYPES = [
  'pending',
  'firing',
  'resolved',
  'cancelled',
  'notified',
  'suppressed',
  'delivery',
] as const;
export type AlertEventType = (typeof ALERT_EVENT_TYPES)[number];

export const RULE_SOURCES = ['api', 'file', 'default'] as const;

function enum8(values: readonly string[]): string {
  return `Enum8(${values.map((value, index) => `'${value}' = ${index + 1}`).join(', ')})`;
}

const RULES_COLUMNS = `
  rule_id String,
  version UInt32,
  source ${enum8(RULE_SOURCES)},
  spec String CODEC(ZSTD(1)),
  deleted Bool DEFAULT false,
  updated_at DateTime64(3, 'UTC') DEFAULT now64(3),
  updated_by LowCardinality(String)`;

// `detail` holds what only some events have, as JSON: the instance snapshot a transition leaves (for the
// start-up rebuild), a delivery's attempts, the silence or inhibiting rule that suppressed a notification,
// the policy change.
const EVENTS_COLUMNS = `
  at DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
  rule_id LowCardinality(String),
  rule_version UInt32,
  instance_id String CODEC(ZSTD(1)),
  service LowCardinality(String),
  route LowCardinality(String),
  origin String CODEC(ZSTD(1)),
  event ${enum8(ALERT_EVENT_TYPES)},
  transition LowCardinality(String),
  blocked Float64,
  allowed Float64,
  value Float64,
  threshold Float64,
  baseline Nullable(Float64),
  channel_id LowCardinality(String),
  delivery_ok Nullable(Bool),
  attempts UInt8,
  evaluator LowCardinality(String),
  detail String CODEC(ZSTD(1))`;

const SILENCES_COLUMNS = `
  silence_id String,
  version UInt64,
  rule_id String,
  origin String DEFAULT '',
  starts_at DateTime64(3, 'UTC'),
  ends_at DateTime64(3, 'UTC'),
  comment String,
  created_by LowCardinality(String),
  deleted Bool DEFAULT false`;

interface AlertTableSpec {
  readonly name: AlertTableName;
  readonly columns: string;
  readonly engine: 'MergeTree' | 'ReplacingMergeTree';
  /** ReplacingMergeTree's version column. */
  readonly versionColumn: string | undefined;
  readonly partitionBy: string | undefined;
  readonly orderBy: string;
  readonly ttl: string | undefined;
  readonly settings: readonly string[];
  /** Rows that replace each other must meet on one shard. */
  readonly shardBy: string;
}

function checkedDays(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 36_500) {
    throw new RangeError(`rollup TTL must be a whole number of days between 1 and 36500, got ${value}`);
  }
  return value;
}

function alertTableSpecs(options: SchemaOptions): readonly AlertTableSpec[] {
  const days = checkedDays(options.rollupTtlDays);
  // Same as the ingest tables: a retried insert with the same deduplication token is stored once.
  const dedup = options.cluster === undefined ? ['non_replicated_deduplication_window = 1000'] : [];
  return [
    {
      name: ALERT_TABLES.rules,
      columns: RULES_COLUMNS,
      engine: 'MergeTree',
      versionColumn: undefined,
      partitionBy: undefined,
      orderBy: '(rule_id, version)',
      ttl: undefined,
      settings: dedup,
      shardBy: 'cityHash64(rule_id)',
    },
    {
      name: ALERT_TABLES.events,
      columns: EVENTS_COLUMNS,
      engine: 'MergeTree',
      versionColumn: undefined,
      partitionBy: 'toYYYYMM(at)',
      orderBy: '(rule_id, at, instance_id)',
      ttl: `toDateTime(at) + INTERVAL ${days} DAY`,
      settings: [...dedup, 'ttl_only_drop_parts = 1'],
      shardBy: 'cityHash64(rule_id)',
    },
    {
      name: ALERT_TABLES.silences,
      columns: SILENCES_COLUMNS,
      engine: 'ReplacingMergeTree',
      versionColumn: 'version',
      partitionBy: undefined,
      orderBy: 'silence_id',
      ttl: `toDateTime(ends_at) + INTERVAL ${days} DAY`,
      settings: dedup,
      shardBy: 'cityHash64(silence_id)',
    },
  ];
}

function engineOf(spec: AlertTableSpec, cluster: string | undefined): string {
  const version = spec.versionColumn === undefined ? [] : [spec.versionColumn];
  if (cluster === undefined)
    return version.length === 0 ? spec.engine : `${spec.engine}(${version.join(', ')})`;
  const args = [`'/clickhouse/tables/{shard}/{database}/${spec.name}_local'`, `'{replica}'`, ...version];
  return `Replicated${spec.engine}(${args.join(', ')})`;
}

function createTable(spec: AlertTableSpec, cluster: string | undefined): string {
  const onCluster =
    cluster === undefined ? '' : ` ON CLUSTER ${quoteIdentifier(cluster, 'CLICKHOUSE_CLUSTER')}`;
  const storage = cluster === undefined ? spec.name : `${spec.name}_local`;
  const clauses = [
    `CREATE TABLE IF NOT EXISTS ${storage}${onCluster} (${spec.columns}\n)`,
    `ENGINE = ${engineOf(spec, cluster)}`,
    spec.partitionBy === undefined ? undefined : `PARTITION BY ${spec.partitionBy}`,
    `ORDER BY ${spec.orderBy}`,
    spec.ttl === undefined ? undefined : `TTL ${spec.ttl}`,
    spec.settings.length === 0 ? undefined : `SETTINGS ${spec.settings.join(', ')}`,
  ];
  return clauses.filter((clause) => clause !== undefined).join('\n');
}

function createDistributed(spec: AlertTableSpec, cluster: string): string {
  const quoted = quoteIdentifier(cluster, 'CLICKHOUSE_CLUSTER');
  return (
    `CREATE TABLE IF NOT EXISTS ${spec.name} ON CLUSTER ${quoted} AS ${spec.name}_local\n` +
    `ENGINE = Distributed(${quoted}, currentDatabase(), ${spec.name}_local, ${spec.shardBy})`
  );
}

/** The alerting tables, for one migration version. Uses `rollupTtlDays` for events and silences. */
export function alertSchemaDdl(options: SchemaOptions): readonly string[] {
  const statements: string[] = [];
  for (const spec of alertTableSpecs(options)) {
    statements.push(createTable(spec, options.cluster));
    if (options.cluster !== undefined) statements.push(createDistributed(spec, options.cluster));
  }
  return statements;
}
