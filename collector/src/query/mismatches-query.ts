// GET /mismatches: reason and warning codes over time, with the text a person reads and example requests.
// Counts come from the findings rollup (one row per code and minute); examples from detail rows in raw
// `cors_events` (the exemplars carry the CORS headers as sent), newest first.
import { REASONS, WARNINGS } from '@corsight/instrumentation';
import type { Finding, QueryFilters } from './query-params.js';
import {
  SOURCE_TABLE,
  epochMillis,
  filterConditions,
  rangeCondition,
  rangeParams,
  rollupRows,
  type BuiltQuery,
  type Condition,
} from './sql-conditions.js';
import { bucketStarts, type Step, type TimeRange } from './time-range.js';

export interface MismatchesRequest {
  readonly range: TimeRange;
  readonly step: Step;
  readonly filters: Pick<QueryFilters, 'service' | 'route' | 'origin' | 'method' | 'outcome' | 'kind'>;
  readonly finding: Finding | undefined;
  readonly code: string | undefined;
}

/** The finding and code filters, on the findings rollup's columns or on the raw rows' ARRAY JOIN pair. */
function findingConditions(
  request: MismatchesRequest,
  columns: { readonly finding: string; readonly code: string },
): { sql: string; params: Record<string, unknown> } {
  let sql = '';
  const params: Record<string, unknown> = {};
  if (request.finding !== undefined) {
    sql += ` AND ${columns.finding} = {finding:String}`;
    params.finding = request.finding;
  }
  if (request.code !== undefined) {
    sql += ` AND ${columns.code} = {code:String}`;
    params.code = request.code;
  }
  return { sql, params };
}

export function mismatchSeriesQuery(request: MismatchesRequest): BuiltQuery {
  const finding = findingConditions(request, { finding: 'finding', code: 'code' });
  const conditions: Condition[] = [];
  if (request.finding !== undefined) conditions.push({ sql: 'finding = {finding:String}', dimensions: [] });
  if (request.code !== undefined) conditions.push({ sql: 'code = {code:String}', dimensions: [] });
  const source = rollupRows({
    counts: 'findings',
    range: request.range,
    stepSeconds: request.step.seconds,
    filters: request.filters,
    columns: ['finding', 'code', 'requests'],
    conditions,
  });
  const first = bucketStarts(request.range, request.step)[0] ?? request.range.fromMs;
  return {
    query: `SELECT toString(finding) AS finding, code,
  toUInt32(toUnixTimestamp(toStartOfInterval(minute, toIntervalSecond({step:UInt32})))) AS t,
  sum(requests) AS value
FROM ${source.rows}
GROUP BY finding, code, t
ORDER BY finding, code, t WITH FILL FROM {first:UInt32} TO {fill_to:UInt32} STEP {step:UInt32}`,
    params: {
      ...source.params,
      ...finding.params,
      step: request.step.seconds,
      first: Math.floor(first / 1000),
      fill_to: Math.floor(request.range.toMs / 1000),
    },
    tables: source.tables,
  };
}

/** Up to `examples` newest detail rows per code, among the codes asked for. */
export function mismatchExamplesQuery(
  request: MismatchesRequest,
  codes: readonly string[],
  examples: number,
): BuiltQuery {
  const where = filterConditions(request.filters);
  const finding = findingConditions(request, { finding: 'finding_pair.1', code: 'finding_pair.2' });
  return {
    query: `SELECT finding_pair.1 AS finding, finding_pair.2 AS code,
  lower(hex(trace_id)) AS trace_id, lower(hex(span_id)) AS span_id,
  ${epochMillis('timestamp')} AS time_ms,
  service, route, origin, method, request_method, toString(kind) AS kind, toString(outcome) AS outcome,
  toString(credentials) AS credentials, response_status, request_headers, hints,
  allow_origin, allow_credentials, allow_methods, allow_headers, expose_headers, max_age, vary, failed_value
FROM ${SOURCE_TABLE.events}
ARRAY JOIN arrayConcat(
  arrayMap(r -> tuple('reason', toString(r)), reasons),
  arrayMap(w -> tuple('warning', toString(w)), warnings)
) AS finding_pair
WHERE ${rangeCondition('events')}${where.sql} AND span_role = 'detail'
  AND (notEmpty(reasons) OR notEmpty(warnings))
  AND finding_pair.2 IN {codes:Array(String)}${finding.sql}
ORDER BY timestamp DESC, span_id
LIMIT {examples:UInt32} BY finding, code`,
    params: { ...rangeParams(request.range), ...where.params, ...finding.params, codes, examples },
    tables: [SOURCE_TABLE.events],
  };
}

export interface MismatchSeriesRow {
  readonly finding: Finding;
  readonly code: string;
  readonly t: number;
  readonly value: number;
}

export interface MismatchExampleRow {
  readonly finding: Finding;
  readonly code: string;
  readonly trace_id: string;
  readonly span_id: string;
  readonly time_ms: number;
  readonly service: string;
  readonly route: string;
  readonly origin: string;
  readonly method: string;
  readonly request_method: string;
  readonly kind: string;
  readonly outcome: string;
  readonly credentials: string;
  readonly response_status: number;
  readonly request_headers: readonly string[];
  readonly hints: readonly string[];
  readonly allow_origin: string | null;
  readonly allow_credentials: string | null;
  readonly allow_methods: string | null;
  readonly allow_headers: string | null;
  readonly expose_headers: string | null;
  readonly max_age: string | null;
  readonly vary: string | null;
  readonly failed_value: string | null;
}

export interface MismatchExample {
  readonly traceId: string;
  readonly spanId: string;
  readonly time: string;
  readonly service: string;
  readonly route: string;
  readonly origin: string;
  readonly method: string;
  /** Preflights: the method asked for; '' otherwise. */
  readonly requestMethod: string;
  readonly kind: string;
  readonly outcome: string;
  readonly credentials: string;
  /** 0 when the span did not say. */
  readonly status: number;
  /** Preflight: Access-Control-Request-Headers; actual: the non-safelisted header names sent. */
  readonly requestHeaders: readonly string[];
  /** The CORS response headers as sent; null = not sent. */
  readonly responseHeaders: {
    readonly 'access-control-allow-origin': string | null;
    readonly 'access-control-allow-credentials': string | null;
    readonly 'access-control-allow-methods': string | null;
    readonly 'access-control-allow-headers': string | null;
    readonly 'access-control-expose-headers': string | null;
    readonly 'access-control-max-age': string | null;
    readonly vary: string | null;
  };
  readonly failedValue: string | null;
  readonly hints: readonly string[];
}

export interface Mismatch {
  readonly finding: Finding;
  readonly code: string;
  /** Sum of weights of requests with this code in the range. */
  readonly total: number;
  /** One value per bucket. */
  readonly values: readonly number[];
  /** From the codes table; null for a code this version does not know. */
  readonly summary: string | null;
  readonly fix: string | null;
  readonly examples: readonly MismatchExample[];
}

function describe(finding: Finding, code: string): { summary: string | null; fix: string | null } {
  const table: Readonly<Record<string, { summary: string; fix: string }>> =
    finding === 'reason' ? REASONS : WARNINGS;
  const info = Object.hasOwn(table, code) ? table[code] : undefined;
  return { summary: info?.summary ?? null, fix: info?.fix ?? null };
}

function example(row: MismatchExampleRow): MismatchExample {
  return {
    traceId: row.trace_id,
    spanId: row.span_id,
    time: new Date(row.time_ms).toISOString(),
    service: row.service,
    route: row.route,
    origin: row.origin,
    method: row.method,
    requestMethod: row.request_method,
    kind: row.kind,
    outcome: row.outcome,
    credentials: row.credentials,
    status: row.response_status,
    requestHeaders: row.request_headers,
    responseHeaders: {
      'access-control-allow-origin': row.allow_origin,
      'access-control-allow-credentials': row.allow_credentials,
      'access-control-allow-methods': row.allow_methods,
      'access-control-allow-headers': row.allow_headers,
      'access-control-expose-headers': row.expose_headers,
      'access-control-max-age': row.max_age,
      vary: row.vary,
    },
    failedValue: row.failed_value,
    hints: row.hints,
  };
}

/** Codes by total, biggest first, at most `limit`, each with its series, texts and examples. */
export function shapeMismatches(
  series: readonly MismatchSeriesRow[],
  examples: readonly MismatchExampleRow[],
  buckets: readonly number[],
  limit: number,
): Mismatch[] {
  const index = new Map(buckets.map((start, i) => [Math.floor(start / 1000), i]));
  const byCode = new Map<string, { finding: Finding; code: string; values: number[] }>();
  for (const row of series) {
    const i = index.get(row.t);
    if (i === undefined) continue;
    const key = `${row.finding}\u0000${row.code}`;
    let entry = byCode.get(key);
    if (entry === undefined) {
      entry = { finding: row.finding, code: row.code, values: buckets.map(() => 0) };
      byCode.set(key, entry);
    }
    entry.values[i] = (entry.values[i] ?? 0) + row.value;
  }
  const examplesByCode = new Map<string, MismatchExample[]>();
  for (const row of examples) {
    const key = `${row.finding}\u0000${row.code}`;
    const list = examplesByCode.get(key) ?? [];
    list.push(example(row));
    examplesByCode.set(key, list);
  }
  return [...byCode]
    .map(([key, entry]) => ({
      finding: entry.finding,
      code: entry.code,
      total: entry.values.reduce((sum, value) => sum + value, 0),
      values: entry.values,
      ...describe(entry.finding, entry.code),
      examples: examplesByCode.get(key) ?? [],
    }))
    .filter((entry) => entry.total > 0)
    .sort((a, b) => b.total - a.total || (a.code < b.code ? -1 : 1))
    .slice(0, limit);
}
