// A decoded span → a `cors_events` row, or why not. Pure. Spans come from the network: every attribute is
// checked for its type, its value set and its length (instrumentation/src/schema.ts is the contract), and a
// span that fails any check is `invalid` with a reason naming the attribute — never a row with a hole in it.
import {
  ATTR,
  CORS_KINDS,
  CREDENTIALS_MODES,
  INSTRUMENTATION_SCOPE,
  LIMITS,
  ORIGIN_INVALID,
  ORIGIN_OTHER,
  OUTCOMES,
  SPAN_ROLES,
  isSerialisedOrigin,
} from '@corsight/instrumentation';
import type { OtlpAttributes, OtlpSpan, OtlpValue } from '../otlp/otlp-span.js';
import type { CorsEventRow, EventSource } from './cors-event-row.js';
import { hasControlCharacters } from '../text/control-characters.js';

export type SpanMapping =
  | { readonly kind: 'row'; readonly row: CorsEventRow }
  | { readonly kind: 'not-cors' }
  | { readonly kind: 'invalid'; readonly reason: string };

/** Caps for values the schema does not cap itself; generous for real values, tight enough for storage. */
export const ROW_LIMITS = {
  serviceName: 256,
  route: 1024,
  method: 32,
  policyHash: 128,
  code: 64,
  codes: 64,
  /** A weight is a count of requests; anything beyond this is a broken sender, not traffic. */
  sampleWeight: 1e12,
  cacheSeconds: 0xffff_ffff,
} as const;

// A start outside these years is a clock fault or a forged span, not CORS traffic (and DateTime64 stops in
// 2299). The mapping reads no clock; a caller that passes its own (MapOptions.nowMs) gets the tighter window
// below, which also keeps one batch within a handful of day partitions: ClickHouse refuses a whole INSERT
// that touches more than 100 partitions, so a few forged dates could otherwise sink every row beside them.
const EARLIEST_MS = Date.UTC(2000, 0, 1);
const LATEST_MS = Date.UTC(2100, 0, 1);
const DAY_MS = 24 * 60 * 60 * 1000;

export interface MapOptions {
  /** The collector's clock; with it a span must start at most `maxAgeMs` before and one day after. */
  readonly nowMs?: number;
  /** Default two days: SDKs retry for minutes, the spool replays rows already mapped. */
  readonly maxAgeMs?: number;
}

class InvalidAttribute extends Error {}

function describe(value: OtlpValue | undefined): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') {
    return value.length > 40 ? `a ${value.length}-character string` : JSON.stringify(value);
  }
  return `${typeof value} ${String(value)}`;
}

function fail(key: string, expected: string, value: OtlpValue | undefined): never {
  throw new InvalidAttribute(`${key}: expected ${expected}, got ${describe(value)}`);
}

// RFC 9110 §5.6.2 token: what a method name may consist of.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const CODE = /^[a-z][a-z0-9_]*$/;
const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

function optionalString(attributes: OtlpAttributes, key: string, maxLength: number): string | undefined {
  const value = attributes[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') fail(key, 'a string', value);
  if (value.length > maxLength) fail(key, `at most ${maxLength} characters`, value);
  return value;
}

function requiredString(attributes: OtlpAttributes, key: string, maxLength: number): string {
  const value = optionalString(attributes, key, maxLength);
  if (value === undefined || value === '') fail(key, 'a non-empty string', attributes[key]);
  return value;
}

function oneOf<T extends string>(attributes: OtlpAttributes, key: string, values: readonly T[]): T {
  const value = attributes[key];
  if (typeof value === 'string' && (values as readonly string[]).includes(value)) return value as T;
  return fail(key, `one of ${values.join(', ')}`, value);
}

function method(attributes: OtlpAttributes, key: string, required: boolean): string {
  const value = required
    ? requiredString(attributes, key, ROW_LIMITS.method)
    : optionalString(attributes, key, ROW_LIMITS.method);
  if (value === undefined || value === '') return '';
  if (!TOKEN.test(value)) fail(key, 'an HTTP method name', value);
  return value;
}

function stringList(
  attributes: OtlpAttributes,
  key: string,
  maxItems: number,
  check: (item: string) => boolean,
  expected: string,
): readonly string[] {
  const value = attributes[key];
  if (value === undefined) return [];
  if (!Array.isArray(value)) return fail(key, `an array of ${expected}`, value);
  const list = value as readonly OtlpValue[];
  if (list.length > maxItems) fail(key, `at most ${maxItems} items`, value);
  for (const item of list) {
    if (typeof item !== 'string' || !check(item)) fail(key, `an array of ${expected}`, item);
  }
  return list as readonly string[];
}

function codes(attributes: OtlpAttributes, key: string): readonly string[] {
  return stringList(
    attributes,
    key,
    ROW_LIMITS.codes,
    (item) => item.length <= ROW_LIMITS.code && CODE.test(item),
    'snake_case codes',
  );
}

function headerValue(attributes: OtlpAttributes, key: string): string | null {
  return optionalString(attributes, key, LIMITS.headerValueLength) ?? null;
}

function optionalBoolean(attributes: OtlpAttributes, key: string): boolean | null {
  const value = attributes[key];
  if (value === undefined) return null;
  if (typeof value !== 'boolean') fail(key, 'a boolean', value);
  return value;
}

function optionalInteger(attributes: OtlpAttributes, key: string, min: number, max: number): number | null {
  const value = attributes[key];
  if (value === undefined) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(key, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

// An origin of this shape that a browser would not write so (upper case, a default port, control or bidi
// characters in an extension's host): instrumentation of an earlier release labelled such values as they
// came, and its counts must not be lost for it; the value itself is never stored.
const ORIGIN_SHAPED = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#\s]+$/;

function origin(attributes: OtlpAttributes): string {
  const value = requiredString(attributes, ATTR.origin, LIMITS.originLength);
  if (value === ORIGIN_INVALID || value === ORIGIN_OTHER || isSerialisedOrigin(value)) return value;
  if (ORIGIN_SHAPED.test(value)) return ORIGIN_INVALID;
  return fail(ATTR.origin, `a serialised origin, "${ORIGIN_INVALID}" or "${ORIGIN_OTHER}"`, value);
}

function route(attributes: OtlpAttributes): string {
  const value = requiredString(attributes, ATTR.httpRoute, ROW_LIMITS.route);
  if (hasControlCharacters(value)) fail(ATTR.httpRoute, 'a route template without control characters', value);
  return value;
}

function sampleWeight(attributes: OtlpAttributes): number {
  const value = attributes[ATTR.sampleWeight];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > ROW_LIMITS.sampleWeight) {
    fail(ATTR.sampleWeight, `a finite number from 0 to ${ROW_LIMITS.sampleWeight}`, value);
  }
  return value;
}

/**
 * Where a span's service.name is read from: its own attribute first (Corsight sets it only when the
 * application passed `serviceName`, which then names the service even under an SDK whose resource says
 * `unknown_service:node`), else its resource.
 */
export function serviceAttributes(span: OtlpSpan): OtlpAttributes {
  return span.attributes[ATTR.serviceName] !== undefined ? span.attributes : span.resource;
}

/** Whether a row can hold `value` as its service name (the checks serviceName makes, without the message). */
export function isStorableServiceName(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value !== '' &&
    value.length <= ROW_LIMITS.serviceName &&
    !hasControlCharacters(value)
  );
}

/**
 * The span's service name as its row would hold it, or the mapping that refuses the span, for callers that
 * keep per-service state before mapping (a name no row can hold must not take a place there).
 */
export function serviceNameOf(span: OtlpSpan): string | Extract<SpanMapping, { kind: 'invalid' }> {
  try {
    return serviceName(span);
  } catch (error) {
    if (error instanceof InvalidAttribute) return { kind: 'invalid', reason: error.message };
    throw error;
  }
}

function serviceName(span: OtlpSpan): string {
  const value = requiredString(serviceAttributes(span), ATTR.serviceName, ROW_LIMITS.serviceName);
  // A line break or an escape sequence in a name would reach notifications, logs and terminals.
  if (hasControlCharacters(value)) fail(ATTR.serviceName, 'a service name without control characters', value);
  return value;
}

function timestampMs(span: OtlpSpan, options: MapOptions | undefined): number {
  const start = span.startTimeUnixNano;
  const end = span.endTimeUnixNano;
  const ms = Number(start / 1_000_000n);
  if (ms < EARLIEST_MS || ms >= LATEST_MS) {
    throw new InvalidAttribute(`startTimeUnixNano: expected a time in the years 2000–2099, got ${start}`);
  }
  const now = options?.nowMs;
  if (now !== undefined) {
    const maxAge = options?.maxAgeMs ?? 2 * DAY_MS;
    if (ms < now - maxAge || ms > now + DAY_MS) {
      throw new InvalidAttribute(
        `startTimeUnixNano: expected a time from ${maxAge / DAY_MS} days before to 1 day after the collector's clock, got ${start}`,
      );
    }
  }
  if (end < start) {
    throw new InvalidAttribute(`endTimeUnixNano: expected a time not before the span's start, got ${end}`);
  }
  return ms;
}

// Ids are checked where the row is built (no intermediate object to spread: that made the row literal a
// slow, generic object build). After the pattern test the length is known, so "all zero" is one comparison.
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

function traceId(span: OtlpSpan): string {
  const id = span.traceId;
  if (!HEX32.test(id) || id === ZERO_TRACE_ID) {
    throw new InvalidAttribute(`traceId: expected 32 lowercase hex digits, not all zero`);
  }
  return id;
}

function spanId(span: OtlpSpan): string {
  const id = span.spanId;
  if (!HEX16.test(id) || id === ZERO_SPAN_ID) {
    throw new InvalidAttribute(`spanId: expected 16 lowercase hex digits, not all zero`);
  }
  return id;
}

function parentSpanId(span: OtlpSpan): string {
  const parent = span.parentSpanId ?? '';
  if (parent !== '' && !HEX16.test(parent)) {
    throw new InvalidAttribute(`parentSpanId: expected 16 lowercase hex digits or none`);
  }
  return parent;
}

/** Whether a span is one of Corsight's CORS spans (summary or detail). */
export function isCorsSpan(span: OtlpSpan): boolean {
  return span.attributes[ATTR.spanRole] !== undefined || span.scope.name === INSTRUMENTATION_SCOPE;
}

/**
 * Maps a Corsight CORS span to a row, or says it is not one, or why it cannot be stored. `source`
 * 'http_span': the span's CORS attributes were derived in the collector from an HTTP server span.
 */
export function mapSpanToRow(
  span: OtlpSpan,
  options?: MapOptions,
  source: EventSource = 'corsight',
): SpanMapping {
  if (!isCorsSpan(span)) return { kind: 'not-cors' };
  const a = span.attributes;
  try {
    const row: CorsEventRow = {
      timestamp: timestampMs(span, options),
      service: serviceName(span),
      source,
      spanRole: oneOf(a, ATTR.spanRole, SPAN_ROLES),
      kind: oneOf(a, ATTR.kind, CORS_KINDS),
      route: route(a),
      origin: origin(a),
      method: method(a, ATTR.httpRequestMethod, true),
      requestMethod: method(a, ATTR.requestMethod, false),
      outcome: oneOf(a, ATTR.outcome, OUTCOMES),
      reasons: codes(a, ATTR.reasons),
      warnings: codes(a, ATTR.warnings),
      hints: codes(a, ATTR.hints),
      credentials: oneOf(a, ATTR.credentials, CREDENTIALS_MODES),
      needsPreflight: optionalBoolean(a, ATTR.needsPreflight),
      requestHeaders: stringList(
        a,
        ATTR.requestHeaders,
        LIMITS.requestHeaderNames,
        (item) => item.length <= LIMITS.headerValueLength && !hasControlCharacters(item),
        `header names of at most ${LIMITS.headerValueLength} characters`,
      ),
      responseStatus: optionalInteger(a, ATTR.httpResponseStatusCode, 100, 999) ?? 0,
      allowOrigin: headerValue(a, ATTR.responseAllowOrigin),
      allowCredentials: headerValue(a, ATTR.responseAllowCredentials),
      allowMethods: headerValue(a, ATTR.responseAllowMethods),
      allowHeaders: headerValue(a, ATTR.responseAllowHeaders),
      exposeHeaders: headerValue(a, ATTR.responseExposeHeaders),
      maxAge: headerValue(a, ATTR.responseMaxAge),
      vary: headerValue(a, ATTR.responseVary),
      failedValue: headerValue(a, ATTR.failedValue),
      preflightCacheChromium: optionalInteger(a, ATTR.preflightCacheChromium, 0, ROW_LIMITS.cacheSeconds),
      preflightCacheFirefox: optionalInteger(a, ATTR.preflightCacheFirefox, 0, ROW_LIMITS.cacheSeconds),
      preflightCacheWebkit: optionalInteger(a, ATTR.preflightCacheWebkit, 0, ROW_LIMITS.cacheSeconds),
      policyHash: optionalString(a, ATTR.policyHash, ROW_LIMITS.policyHash) ?? '',
      sampleWeight: sampleWeight(a),
      traceId: traceId(span),
      spanId: spanId(span),
      parentSpanId: parentSpanId(span),
      userAgent: optionalString(a, ATTR.userAgent, LIMITS.headerValueLength) ?? '',
      serverAddress: optionalString(a, ATTR.serverAddress, LIMITS.headerValueLength) ?? '',
    };
    return { kind: 'row', row };
  } catch (error) {
    if (error instanceof InvalidAttribute) return { kind: 'invalid', reason: error.message };
    throw error;
  }
}
