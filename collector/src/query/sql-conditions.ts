// The pieces every query shares: the time range and the row filters as WHERE conditions. Pure. Values only
// ever travel as bound parameters ({name:Type}); identifiers and conditions come from the fixed tables
// below, so no request value can change the SQL text beyond choosing among them.
import { TABLES } from '../store/schema-ddl.js';
import type { Metric, QueryFilters } from './query-params.js';
import type { TimeRange } from './time-range.js';

/** A statement and its bound parameters, ready for `client.query({ query, query_params })`. */
export interface BuiltQuery {
  readonly query: string;
  readonly params: Readonly<Record<string, unknown>>;
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

/** The rows a metric counts (rollup and findings rows both have `kind` and `outcome`). */
export const METRIC_CONDITIONS: Record<Metric, string> = {
  requests: '1',
  preflights: "kind = 'preflight'",
  actual: "kind = 'actual'",
  allowed: "outcome = 'allowed'",
  blocked: "outcome = 'blocked'",
  blocked_if_credentialed: "outcome = 'blocked_if_credentialed'",
};

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
