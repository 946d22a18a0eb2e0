// The pieces every query shares: the time range and the row filters as WHERE conditions. Pure. Values only
// ever travel as bound parameters ({name:Type}); identifiers and conditions come from the fixed tables
// below, so no request value can change the SQL text beyond choosing among them.
import { TABLES } from '../store/schema-ddl.js';
import type { Metric, QueryFilters } from './query-params.js';
import {
  chooseRollups,
  isMeasure,
  planParams,
  planRows,
  tablesOf,
  type Dimension,
  type Measure,
  type RollupQuestion,
} from './rollup-choice.js';
import type { TimeRange } from './time-range.js';

/** A statement and its bound parameters, ready for `client.query({ query, query_params })`. */
export interface BuiltQuery {
  readonly query: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** The tables it reads (the rollups chosen for it), for the benchmark and logs. */
  readonly tables: readonly string[];
}

/** Which table a condition is for: the per-minute rollups or the raw events. */
export type Source = 'rollup' | 'findings' | 'events';

export const SOURCE_TABLE: Record<Source, string> = {
  rollup: TABLES.rollup,
  findings: TABLES.findings,
  events: TABLES.events,
};

const TIME_COLUMN: Record<Source, string> = { rollup: 'minute', findings: 'minute', events: 'timestamp' };

/** Seconds since the epoch: DateTime parameters take them as they are. */
export function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

export function rangeParams(range: TimeRange): { from: number; to: number } {
  return { from: seconds(range.fromMs), to: seconds(range.toMs) };
}

/** `time >= from AND time < to` on the source's time column, with {from} and {to} as parameters. */
export function rangeCondition(source: Source): string {
  const column = TIME_COLUMN[source];
  return `${column} >= {from:DateTime('UTC')} AND ${column} < {to:DateTime('UTC')}`;
}

const FILTER_CONDITIONS: Record<keyof QueryFilters, string> = {
  service: 'service = {service:String}',
  route: 'route = {route:String}',
  origin: 'origin = {origin:String}',
  method: 'method = {method:String}',
  outcome: 'outcome = {outcome:String}',
  kind: 'kind = {kind:String}',
};

export interface Conditions {
  readonly sql: string;
  readonly params: Record<string, unknown>;
}

/**
 * The filters that are set, AND-ed, each as a fixed condition with its bound parameter. `overrides` swaps
 * a condition for one endpoint (the preflight cache matches `method` against the method a preflight asks
 * for); it is SQL from the calling module, never from a request.
 */
export function filterConditions(
  filters: QueryFilters,
  overrides: Partial<Record<keyof QueryFilters, string>> = {},
): Conditions {
  const parts: string[] = [];
  const params: Record<string, unknown> = {};
  for (const key of Object.keys(FILTER_CONDITIONS) as (keyof QueryFilters)[]) {
    const value = filters[key];
    if (value === undefined) continue;
    parts.push(overrides[key] ?? FILTER_CONDITIONS[key]);
    params[key] = value;
  }
  return { sql: parts.map((part) => ` AND ${part}`).join(''), params };
}

/** A fixed condition (SQL from the calling module, never from a request) and the columns it reads. */
export interface Condition {
  readonly sql: string;
  readonly dimensions: readonly Dimension[];
}

/** The rows a metric counts (every rollup that counts requests or codes has `kind` and `outcome`). */
export const METRIC_CONDITIONS: Record<Metric, Condition> = {
  requests: { sql: '1', dimensions: [] },
  preflights: { sql: "kind = 'preflight'", dimensions: ['kind'] },
  actual: { sql: "kind = 'actual'", dimensions: ['kind'] },
  allowed: { sql: "outcome = 'allowed'", dimensions: ['outcome'] },
  blocked: { sql: "outcome = 'blocked'", dimensions: ['outcome'] },
  blocked_if_credentialed: { sql: "outcome = 'blocked_if_credentialed'", dimensions: ['outcome'] },
};

export interface RollupRowsRequest {
  readonly counts: RollupQuestion['counts'];
  readonly range: TimeRange;
  /** Bucket length of a chart, seconds; undefined for totals over the range. */
  readonly stepSeconds?: number | undefined;
  readonly filters: QueryFilters;
  /** Columns the outer query reads. */
  readonly columns: readonly (Dimension | Measure)[];
  /** Further conditions every row must meet. */
  readonly conditions?: readonly Condition[];
  /** Dimensions the outer query reads as `<column>_hash` (key-hashes.ts), not by name. */
  readonly hashed?: readonly Dimension[];
  /** The only rows the request needs, as a narrow rollup's `where` names them (RollupQuestion). */
  readonly onlyRowsWhere?: string;
}

/** Rows of the narrowest rollups that answer a request, as a subquery, with its parameters and tables. */
export interface RollupRows {
  readonly rows: string;
  readonly params: Record<string, unknown>;
  readonly tables: readonly string[];
}

const FILTER_DIMENSIONS: Record<keyof QueryFilters, Dimension> = {
  service: 'service',
  route: 'route',
  origin: 'origin',
  method: 'method',
  outcome: 'outcome',
  kind: 'kind',
};

export function rollupRows(request: RollupRowsRequest): RollupRows {
  const conditions = request.conditions ?? [];
  const filters = filterConditions(request.filters);
  const filtered = (Object.keys(FILTER_DIMENSIONS) as (keyof QueryFilters)[])
    .filter((key) => request.filters[key] !== undefined)
    .map((key) => FILTER_DIMENSIONS[key]);
  const dimensions = new Set<Dimension>([
    ...filtered,
    ...conditions.flatMap((condition) => condition.dimensions),
  ]);
  const measures: Measure[] = [];
  for (const column of request.columns) {
    if (isMeasure(column)) measures.push(column);
    else dimensions.add(column);
  }
  for (const column of request.hashed ?? []) dimensions.add(column);
  const plan = chooseRollups({
    counts: request.counts,
    dimensions: [...dimensions],
    measures,
    range: request.range,
    stepSeconds: request.stepSeconds,
    onlyRowsWhere: request.onlyRowsWhere,
  });
  const where = `${filters.sql}${conditions.map((condition) => ` AND ${condition.sql}`).join('')}`;
  return {
    rows: planRows(plan, request.columns, where, request.hashed),
    params: { ...planParams(plan), ...filters.params },
    tables: tablesOf(plan),
  };
}

/** A DateTime value (ClickHouse answers 'YYYY-MM-DD hh:mm:ss' in UTC) as epoch seconds, in SQL. */
export function epochSeconds(expression: string): string {
  return `toUInt32(toUnixTimestamp(${expression}))`;
}

/** A DateTime64(3) as epoch milliseconds, a JSON number (Int64 would be quoted). */
export function epochMillis(expression: string): string {
  return `toFloat64(toUnixTimestamp64Milli(${expression}))`;
}

export function isoFromSeconds(value: number): string {
  return new Date(value * 1000).toISOString();
}

export function isoFromMillis(value: number): string {
  return new Date(value).toISOString();
}
