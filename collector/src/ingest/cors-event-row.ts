// One row of `cors_events`: what a CORS span says (../shared/DESIGN.md §3–4), flattened for ClickHouse, and
// the text the spool stores and ClickHouse ingests. The column order lives here and only here: the encoder,
// the INSERT's column list and the DDL (store/cors-events-ddl.ts) all read EVENT_INSERT_COLUMNS.
//
// Format: JSONCompactEachRow, one JSON array per line. Measured here (same rows, INSERT … FROM INFILE into
// chDB, CPU time per row): JSON-compact and TSV cost the same (~30k rows per CPU-second with the rollup views
// attached, 10k-row inserts), CSV a little more; RowBinary saves 15–25 % of the insert without views but is
// a binary encoder to hand-write. JSON-compact's encoder is one JSON.stringify per row, with none of TSV's
// hand-written escaping of tabs, backslashes and nested arrays, the part that goes wrong on hostile values.

// Ids travel as lowercase hex and land in binary FixedString columns through EPHEMERAL `*_hex` columns:
// hex ids would be three quarters of a stored row, and a JSON string cannot carry raw bytes.
import type { CorsKind, CorsOutcome, CredentialsMode, SpanRole } from '@corsight/instrumentation';

/** Where a row came from: a Corsight span, or a plain HTTP server span judged in the collector. */
export const EVENT_SOURCES = ['corsight', 'http_span'] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

export interface CorsEventRow {
  /** Span start, milliseconds since the Unix epoch (summary spans: the start of the counted interval). */
  readonly timestamp: number;
  readonly service: string;
  readonly source: EventSource;
  readonly spanRole: SpanRole;
  readonly kind: Exclude<CorsKind, 'not-cors'>;
  readonly route: string;
  readonly origin: string;
  /** The method sent (OPTIONS for a preflight). */
  readonly method: string;
  /** Preflights: the method asked for; '' otherwise. */
  readonly requestMethod: string;
  readonly outcome: CorsOutcome;
  readonly reasons: readonly string[];
  readonly warnings: readonly string[];
  readonly hints: readonly string[];
  readonly credentials: CredentialsMode;
  /** Actual requests: would a browser have preflighted it; null when unknown (preflights, older spans). */
  readonly needsPreflight: boolean | null;
  /** Preflight: Access-Control-Request-Headers; actual: the non-safelisted names sent. */
  readonly requestHeaders: readonly string[];
  /** 0 when the span does not say (summary spans). */
  readonly responseStatus: number;
  /** The CORS response headers as sent; null = not sent (an empty value is a different fault). */
  readonly allowOrigin: string | null;
  readonly allowCredentials: string | null;
  readonly allowMethods: string | null;
  readonly allowHeaders: string | null;
  readonly exposeHeaders: string | null;
  readonly maxAge: string | null;
  readonly vary: string | null;
  /** The response value a check failed on, when one did. */
  readonly failedValue: string | null;
  /** Effective preflight-cache lifetime per engine, null when the span has none. */
  readonly preflightCacheChromium: number | null;
  readonly preflightCacheFirefox: number | null;
  readonly preflightCacheWebkit: number | null;
  /** '' when unknown. */
  readonly policyHash: string;
  /** How many requests this row stands for (1 / sampling rate; may be fractional; 0 for exemplars). */
  readonly sampleWeight: number;
  /** 32 lowercase hex characters. */
  readonly traceId: string;
  /** 16 lowercase hex characters. */
  readonly spanId: string;
  /** 16 lowercase hex characters, '' for a root span. */
  readonly parentSpanId: string;
  readonly userAgent: string;
  readonly serverAddress: string;
}

/**
 * The INSERT's column list, in the order encodeEventRows writes each row. `*_hex` are EPHEMERAL columns of
 * `cors_events` that fill the binary id columns.
 */
export const EVENT_INSERT_COLUMNS = [
  'timestamp',
  'service',
  'source',
  'span_role',
  'kind',
  'route',
  'origin',
  'method',
  'request_method',
  'outcome',
  'reasons',
  'warnings',
  'hints',
  'credentials',
  'needs_preflight',
  'request_headers',
  'response_status',
  'allow_origin',
  'allow_credentials',
  'allow_methods',
  'allow_headers',
  'expose_headers',
  'max_age',
  'vary',
  'failed_value',
  'preflight_cache_chromium',
  'preflight_cache_firefox',
  'preflight_cache_webkit',
  'policy_hash',
  'sample_weight',
  'trace_id_hex',
  'span_id_hex',
  'parent_span_id_hex',
  'user_agent',
  'server_address',
] as const;

export type EventInsertColumn = (typeof EVENT_INSERT_COLUMNS)[number];

/** The ClickHouse input format of an encoded segment; the store names it in every INSERT. */
export const EVENT_INPUT_FORMAT = 'JSONCompactEachRow';

function rowValues(row: CorsEventRow): readonly unknown[] {
  // Same order as EVENT_INSERT_COLUMNS (cors-event-row.test.ts checks the two agree).
  return [
    row.timestamp,
    row.service,
    row.source,
    row.spanRole,
    row.kind,
    row.route,
    row.origin,
    row.method,
    row.requestMethod,
    row.outcome,
    row.reasons,
    row.warnings,
    row.hints,
    row.credentials,
    row.needsPreflight,
    row.requestHeaders,
    row.responseStatus,
    row.allowOrigin,
    row.allowCredentials,
    row.allowMethods,
    row.allowHeaders,
    row.exposeHeaders,
    row.maxAge,
    row.vary,
    row.failedValue,
    row.preflightCacheChromium,
    row.preflightCacheFirefox,
    row.preflightCacheWebkit,
    row.policyHash,
    row.sampleWeight,
    row.traceId,
    row.spanId,
    row.parentSpanId,
    row.userAgent,
    row.serverAddress,
  ];
}

/**
 * One row's line. JSON.stringify of the values, on purpose: a hand-built line (JSON.stringify only on the
 * strings, the rest concatenated) encoded a row ~15 % faster on its own, but left a rope of ~70 pieces per row
 * that the spool's UTF-8 copy then had to flatten; decode + map + encode + that copy was ~20 % slower with it
 * (interleaved A/B in one process on the ingest bench's payloads). JSON.stringify returns a flat string.
 */
export function encodeEventRow(row: CorsEventRow): string {
  return JSON.stringify(rowValues(row)) + '\n';
}

/**
 * Rows as JSONCompactEachRow text: one JSON array per row, each line ending in '\n'. The rows must come
 * from mapSpanToRow (finite numbers, valid enums, hex ids); this function does not validate again.
 */
export function encodeEventRows(rows: readonly CorsEventRow[]): string {
  let text = '';
  for (const row of rows) text += encodeEventRow(row);
  return text;
}

/** For tests and tools: the values of one row in column order. */
export function eventRowValues(row: CorsEventRow): readonly unknown[] {
  return rowValues(row);
}
