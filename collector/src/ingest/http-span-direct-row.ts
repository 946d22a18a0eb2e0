// The row of a judged HTTP server span built straight from the verdict, for the spans whose values need
// none of the row mapping's corrections. Pure.
//
// The general path (http-span-to-row.ts) writes the verdict as span attributes (exchangeSpanAttributes,
// shared with the instrumentation) and reads them back through mapSpanToRow, which checks every attribute
// again: about two thirds of what judging an HTTP span costs beyond the engine, for values the engine and
// the reading of the span have mostly bounded already. Here each field is taken as that round trip would
// give it, after a check at least as strict as mapSpanToRow's; a span with any value outside (an over-long
// header value to cut, whitespace the engine trims, a route with a control character, a start two days
// old, ...) gets undefined and takes the general path, which then decides. http-span-direct-row.test.ts
// compares both paths field by field on spans of every shape, hostile ones included.
import {
  ATTR,
  CREDENTIALS_MODES,
  isSerialisedOrigin,
  LIMITS,
  ORIGIN_INVALID,
  ORIGIN_OTHER,
  OUTCOMES,
} from '@corsight/instrumentation';
import type { OtlpSpan } from '../otlp/otlp-span.js';
import type { CorsEventRow } from './cors-event-row.js';
import type { HttpServerExchange } from './http-server-span.js';
import type { CrossOriginExchange } from './http-span-to-row.js';
import { isStorableServiceName, type MapOptions, ROW_LIMITS, serviceAttributes } from './span-to-row.js';
import { hasControlCharacters } from '../text/control-characters.js';

// span-to-row.ts's bounds, or tighter ones: a value within them passes mapSpanToRow unchanged.
const DAY_MS = 24 * 60 * 60 * 1000;
const EARLIEST_MS = Date.UTC(2000, 0, 1);
const LATEST_MS = Date.UTC(2100, 0, 1);
// RFC 9110 §5.6.2 token: what a method name may consist of.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const CODE = /^[a-z][a-z0-9_]*$/;
const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
const NONE: readonly string[] = Object.freeze([]);

/** Returned by a field's check when the span must take the general path. */
const GENERAL = Symbol('general path');
type Checked<T> = T | typeof GENERAL;

function startMs(span: OtlpSpan, options: MapOptions | undefined): Checked<number> {
  const now = options?.nowMs;
  if (now === undefined) return GENERAL;
  const start = span.startTimeUnixNano;
  if (span.endTimeUnixNano < start) return GENERAL;
  const ms = Number(start / 1_000_000n);
  // Without maxAgeMs mapSpanToRow allows two days; one day here is stricter whatever its default.
  const earliest = Math.max(EARLIEST_MS, now - (options?.maxAgeMs ?? DAY_MS));
  const latest = Math.min(LATEST_MS - 1, now + DAY_MS);
  return ms >= earliest && ms <= latest ? ms : GENERAL;
}

function validIds(span: OtlpSpan): boolean {
  const parent = span.parentSpanId;
  return (
    HEX32.test(span.traceId) &&
    span.traceId !== ZERO_TRACE_ID &&
    HEX16.test(span.spanId) &&
    span.spanId !== ZERO_SPAN_ID &&
    (parent === undefined || parent === '' || HEX16.test(parent))
  );
}

function isMethod(value: string): boolean {
  return value.length <= ROW_LIMITS.method && TOKEN.test(value);
}

function codes(list: readonly string[] | undefined): Checked<readonly string[]> {
  if (list === undefined) return NONE;
  if (list.length > ROW_LIMITS.codes) return GENERAL;
  for (const code of list) if (code.length > ROW_LIMITS.code || !CODE.test(code)) return GENERAL;
  return list;
}

function requestHeaderNames(names: readonly string[] | undefined): Checked<readonly string[]> {
  if (names === undefined || names.length === 0) return NONE;
  if (names.length > LIMITS.requestHeaderNames) return GENERAL;
  for (const name of names) {
    if (name.length > LIMITS.headerValueLength || hasControlCharacters(name)) return GENERAL;
  }
  return names;
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * A captured response header as the engine reads it (one line, optional whitespace trimmed) and the row
 * keeps it (at most LIMITS.headerValueLength): here only values that neither step changes.
 */
function responseHeader(value: string | readonly string[] | number | undefined): Checked<string | null> {
  if (value === undefined) return null;
  if (typeof value !== 'string' || value.length > LIMITS.headerValueLength) return GENERAL;
  if (value !== '' && (isOws(value.charCodeAt(0)) || isOws(value.charCodeAt(value.length - 1)))) {
    return GENERAL;
  }
  return value;
}

/** A value the row keeps as is: at most LIMITS.headerValueLength characters. */
function keptValue(value: string | undefined): Checked<string | undefined> {
  return value !== undefined && value.length > LIMITS.headerValueLength ? GENERAL : value;
}

function cacheSeconds(seconds: number | undefined): Checked<number | null> {
  if (seconds === undefined) return null;
  return Number.isInteger(seconds) && seconds >= 0 && seconds <= ROW_LIMITS.cacheSeconds ? seconds : GENERAL;
}

/** What the judged span's service.name is read from, as mapSpanToRow reads it. */
function serviceName(span: OtlpSpan): Checked<string> {
  const name = serviceAttributes(span)[ATTR.serviceName];
  return isStorableServiceName(name) ? name : GENERAL;
}

function isOrigin(origin: string): boolean {
  if (origin === ORIGIN_INVALID || origin === ORIGIN_OTHER) return true;
  return origin.length <= LIMITS.originLength && isSerialisedOrigin(origin);
}

/**
 * The row mapSpanToRow would give the span exchangeSpanAttributes describes, or undefined when a value needs
 * the general path (http-span-to-row.ts) to be cut, trimmed or refused. `origin`: what the origin counts as
 * (the origin budget's answer), by default the key's.
 */
export function directHttpSpanRow(
  span: OtlpSpan,
  exchange: HttpServerExchange,
  judged: CrossOriginExchange,
  weight: number,
  options: MapOptions | undefined,
  origin: string = judged.key.origin,
): CorsEventRow | undefined {
  const { verdict, key } = judged;
  const timestamp = startMs(span, options);
  if (timestamp === GENERAL || !validIds(span)) return undefined;
  const service = serviceName(span);
  if (service === GENERAL) return undefined;
  const route = key.route;
  if (route === '' || route.length > ROW_LIMITS.route || hasControlCharacters(route)) return undefined;
  if (!isOrigin(origin)) return undefined;
  const method = key.method;
  if (method === '' || !isMethod(method)) return undefined;
  const requestMethod = key.requestMethod ?? '';
  if (requestMethod !== '' && !isMethod(requestMethod)) return undefined;
  if (!OUTCOMES.includes(key.outcome) || !CREDENTIALS_MODES.includes(key.credentials)) return undefined;
  const reasons = codes(key.reasons);
  const warnings = codes(key.warnings);
  const hints = codes(verdict.hints);
  const requestHeaders = requestHeaderNames(verdict.requestHeaders);
  if (reasons === GENERAL || warnings === GENERAL || hints === GENERAL || requestHeaders === GENERAL) {
    return undefined;
  }
  const status = exchange.response.status;
  if (!Number.isInteger(status) || status < 100 || status > 999) return undefined;
  const headers = exchange.response.headers;
  const allowOrigin = responseHeader(headers['access-control-allow-origin']);
  const allowCredentials = responseHeader(headers['access-control-allow-credentials']);
  const allowMethods = responseHeader(headers['access-control-allow-methods']);
  const allowHeaders = responseHeader(headers['access-control-allow-headers']);
  const exposeHeaders = responseHeader(headers['access-control-expose-headers']);
  const maxAge = responseHeader(headers['access-control-max-age']);
  const vary = responseHeader(headers.vary);
  if (
    allowOrigin === GENERAL ||
    allowCredentials === GENERAL ||
    allowMethods === GENERAL ||
    allowHeaders === GENERAL ||
    exposeHeaders === GENERAL ||
    maxAge === GENERAL ||
    vary === GENERAL
  ) {
    return undefined;
  }
  const failedValue = keptValue(verdict.failedValue);
  const userAgent = keptValue(exchange.userAgent);
  const serverAddress = keptValue(exchange.serverAddress);
  if (failedValue === GENERAL || userAgent === GENERAL || serverAddress === GENERAL) return undefined;
  const cache = key.preflightCacheSeconds;
  const chromium = cacheSeconds(cache?.chromium);
  const firefox = cacheSeconds(cache?.firefox);
  const webkit = cacheSeconds(cache?.webkit);
  if (chromium === GENERAL || firefox === GENERAL || webkit === GENERAL) return undefined;
  if (!(weight >= 0 && weight <= ROW_LIMITS.sampleWeight)) return undefined;
  // The same fields in the same order as mapSpanToRow's literal: rows share one hidden class.
  return {
    timestamp,
    service,
    source: 'http_span',
    spanRole: 'detail',
    kind: verdict.kind,
    route,
    origin,
    method,
    requestMethod,
    outcome: key.outcome,
    reasons,
    warnings,
    hints,
    credentials: key.credentials,
    needsPreflight: judged.needsPreflight ?? null,
    requestHeaders,
    responseStatus: status,
    allowOrigin,
    allowCredentials,
    allowMethods,
    allowHeaders,
    exposeHeaders,
    maxAge,
    vary,
    failedValue: failedValue ?? null,
    preflightCacheChromium: chromium,
    preflightCacheFirefox: firefox,
    preflightCacheWebkit: webkit,
    policyHash: '',
    sampleWeight: weight,
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId ?? '',
    userAgent: userAgent ?? '',
    serverAddress: serverAddress ?? '',
  };
}
