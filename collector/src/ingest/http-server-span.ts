// A plain OpenTelemetry HTTP server span (any language's instrumentation) read as the exchange the verdict
// engine judges: the method, the captured request and response headers, the status, the route and the
// server's own origin. Pure. The attribute shapes read are the ones instrumentations emit in the wild:
// current semantic conventions (`http.request.header.<name>`, lower-case and hyphenated, values a string
// array) and older ones (underscores in the name, `http.method`, `http.status_code`, `net.host.*`), values
// as an array (one per header line, or one comma-joined element) or a plain string.
import type { CorsRequest, CorsResponse } from '@corsight/instrumentation';
import { boundedMemo, serialisedOriginOf } from '@corsight/instrumentation';
import type { OtlpAttributes, OtlpSpan, OtlpValue } from '../otlp/otlp-span.js';

/** OTLP's SpanKind for a server span. */
const SPAN_KIND_SERVER = 2;
const REQUEST_PREFIX = 'http.request.header.';
const RESPONSE_PREFIX = 'http.response.header.';
// Header attributes are attacker-shaped (a client picks its headers, a sender picks its attributes): a span
// gives the engine at most this many headers per side, each value at most this long. Longer than any real
// CORS header; an over-long Origin is still over-long after the cut, and still judged `invalid`.
export const HTTP_SPAN_LIMITS = { headersPerSide: 64, valueLength: 8192, valuesPerHeader: 16 } as const;

export interface HttpServerExchange {
  readonly request: CorsRequest;
  readonly response: CorsResponse;
  /** `http.route`; undefined when the span has none. */
  readonly route: string | undefined;
  /** The server's own origin from `url.scheme` + `server.address` + `server.port` (or older names). */
  readonly serverOrigin: string | undefined;
  readonly userAgent: string | undefined;
  readonly serverAddress: string | undefined;
  /** The span holds at least one captured `Access-Control-*` response header. */
  readonly hasCorsResponseHeader: boolean;
}

export type HttpSpanReading =
  | { readonly kind: 'not-http-server' }
  /** An HTTP server span without a captured Origin: not cross-origin, or Origin not captured. */
  | { readonly kind: 'no-origin' }
  | { readonly kind: 'exchange'; readonly exchange: HttpServerExchange };

function text(value: OtlpValue | undefined): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

/**
 * The attribute's text, else the older convention's (`older`). Two parameters rather than a rest list: this
 * runs a dozen times per span, and a rest parameter is an array allocated on every call.
 */
function firstText(attributes: OtlpAttributes, key: string, older?: string): string | undefined {
  const value = text(attributes[key]);
  return value !== undefined || older === undefined ? value : text(attributes[older]);
}

function capped(value: string): string {
  return value.length > HTTP_SPAN_LIMITS.valueLength ? value.slice(0, HTTP_SPAN_LIMITS.valueLength) : value;
}

/**
 * One captured line. Response headers may also be a number or a boolean: Node's instrumentation records what
 * `getHeader()` returns, which is the value a handler passed to `setHeader('Access-Control-Max-Age', 600)`;
 * the line on the wire is its text. Request headers reach every server as text, so only text counts there.
 */
function lineText(value: OtlpValue | undefined, response: boolean): string | undefined {
  if (typeof value === 'string') return capped(value);
  if (!response) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  return typeof value === 'boolean' ? String(value) : undefined;
}

/** A captured header's value(s): the engine combines repeated lines with ", " as a browser does. */
function headerValue(value: OtlpValue, response: boolean): string | readonly string[] | undefined {
  if (!Array.isArray(value)) return lineText(value, response);
  const list = value as readonly OtlpValue[];
  // One line (or one comma-joined value): the usual shape, without building a list.
  if (list.length === 1) return lineText(list[0], response);
  const values: string[] = [];
  for (const item of list) {
    const line = lineText(item, response);
    if (line !== undefined) values.push(line);
    if (values.length === HTTP_SPAN_LIMITS.valuesPerHeader) break;
  }
  if (values.length === 0) return undefined;
  return values.length === 1 ? values[0] : values;
}

interface HeaderKey {
  readonly response: boolean;
  /** Lower-case and hyphenated: `Access_Control_…` (older conventions) → `access-control-…`. */
  readonly name: string;
  /** A CORS response header (`access-control-…`): the service captures them. */
  readonly cors: boolean;
}

/**
 * What an attribute key says: a captured request or response header (and which), or nothing. Keys repeat on
 * every span of a service, so the answer is remembered (boundedly: keys come from the sender).
 */
const headerKeyOf = boundedMemo((key: string): HeaderKey | null => {
  const response = key.startsWith(RESPONSE_PREFIX);
  if (!response && !key.startsWith(REQUEST_PREFIX)) return null;
  const name = key
    .slice(response ? RESPONSE_PREFIX.length : REQUEST_PREFIX.length)
    .toLowerCase()
    .replaceAll('_', '-');
  // A `__proto__` header would reach the headers object's prototype.
  if (name === '' || name === '__proto__') return null;
  return { response, name, cors: response && name.startsWith('access-control-') };
}, 4096);

interface CapturedHeaders {
  readonly request: Record<string, string | readonly string[]>;
  readonly response: Record<string, string | readonly string[]>;
  readonly hasCorsResponseHeader: boolean;
}

// The spans of one service list their attributes in the same order, so the header keys of the last span are
// remembered by position (a key of the next span at the same position is then the same string, compared by
// reference) and headerKeyOf's Map is asked only when the order changes. 128 positions: more than any
// instrumentation's captured headers; keys up to 256 characters (a sender may send longer ones).
const KNOWN_POSITIONS = 128;
const KNOWN_KEY_LENGTH = 256;
const lastKeys = new Array<string | undefined>(KNOWN_POSITIONS).fill(undefined);
const lastHeaders = new Array<HeaderKey | null>(KNOWN_POSITIONS).fill(null);

function headerAt(position: number, key: string): HeaderKey | null {
  if (position >= KNOWN_POSITIONS || key.length > KNOWN_KEY_LENGTH) return headerKeyOf(key);
  if (lastKeys[position] === key) return lastHeaders[position] ?? null;
  const header = headerKeyOf(key);
  lastKeys[position] = key;
  lastHeaders[position] = header;
  return header;
}

/** The captured request and response headers, by lower-case hyphenated name, in one pass. */
function capturedHeaders(attributes: OtlpAttributes): CapturedHeaders {
  const request: Record<string, string | readonly string[]> = {};
  const response: Record<string, string | readonly string[]> = {};
  let requestCount = 0;
  let responseCount = 0;
  let hasCorsResponseHeader = false;
  let position = 0;
  for (const key in attributes) {
    // Both prefixes start `http.re`; most other attributes fail this cheap test before the memo.
    if (key.length < 21 || key.charCodeAt(5) !== 114 /* r */) continue;
    const header = headerAt(position++, key);
    if (header === null) continue;
    if (
      header.response
        ? responseCount === HTTP_SPAN_LIMITS.headersPerSide
        : requestCount === HTTP_SPAN_LIMITS.headersPerSide
    ) {
      continue;
    }
    const value = headerValue(attributes[key] as OtlpValue, header.response);
    if (value === undefined) continue;
    if (header.response) {
      response[header.name] = value;
      responseCount++;
      if (header.cors) hasCorsResponseHeader = true;
    } else {
      request[header.name] = value;
      requestCount++;
    }
  }
  return { request, response, hasCorsResponseHeader };
}

function requestMethod(attributes: OtlpAttributes): string | undefined {
  const method = firstText(attributes, 'http.request.method', 'http.method');
  // Current conventions report methods they do not know as `_OTHER` with the original beside it.
  if (method === '_OTHER') return firstText(attributes, 'http.request.method_original');
  return method;
}

function statusCode(attributes: OtlpAttributes): number {
  const value = attributes['http.response.status_code'] ?? attributes['http.status_code'];
  const status = typeof value === 'string' ? Number(value) : value;
  return typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 999
    ? status
    : 0;
}

// The last answer, by its parts: a service's spans repeat them, and building the URL to look it up costs more
// than comparing the parts (decoded strings that repeat are the same string objects).
let last: {
  scheme: string;
  address: string | undefined;
  port: string | undefined;
  origin: string | undefined;
} = { scheme: '', address: undefined, port: undefined, origin: undefined };

function serverOrigin(attributes: OtlpAttributes, hostHeader: string | undefined): string | undefined {
  const scheme = firstText(attributes, 'url.scheme', 'http.scheme');
  if (scheme !== 'http' && scheme !== 'https') return undefined;
  const address = firstText(attributes, 'server.address', 'net.host.name');
  const port = firstText(attributes, 'server.port', 'net.host.port');
  // Without an address the authority comes from other attributes or the Host header: not remembered.
  if (address !== undefined && scheme === last.scheme && address === last.address && port === last.port) {
    return last.origin;
  }
  const origin = authorityOrigin(attributes, scheme, address, port, hostHeader);
  if (address !== undefined) last = { scheme, address, port, origin };
  return origin;
}

function authorityOrigin(
  attributes: OtlpAttributes,
  scheme: string,
  address: string | undefined,
  port: string | undefined,
  hostHeader: string | undefined,
): string | undefined {
  // Semantic conventions write IPv6 addresses bare (`::1`); a URL needs them in brackets.
  const host = address?.includes(':') === true && !address.startsWith('[') ? `[${address}]` : address;
  // Older spans name the authority in `http.host`; a captured Host header is the same value.
  const authority =
    host === undefined
      ? (firstText(attributes, 'http.host') ?? hostHeader)
      : port === undefined
        ? host
        : `${host}:${port}`;
  return authority === undefined ? undefined : serialisedOriginOf(`${scheme}://${authority}`);
}

function first(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.[0];
}

/** Reads an HTTP server span; anything else is `not-http-server`. */
export function readHttpServerSpan(span: OtlpSpan): HttpSpanReading {
  const a = span.attributes;
  if (span.kind !== SPAN_KIND_SERVER) return { kind: 'not-http-server' };
  const method = requestMethod(a);
  const status = statusCode(a);
  // Without a response status there is no finished exchange to judge (a span cut short, or not HTTP).
  if (method === undefined || status === 0) return { kind: 'not-http-server' };
  const captured = capturedHeaders(a);
  const requestHeaders = captured.request;
  if (requestHeaders.origin === undefined) return { kind: 'no-origin' };
  const host = first(requestHeaders.host);
  const path = firstText(a, 'url.path');
  const query = firstText(a, 'url.query');
  return {
    kind: 'exchange',
    exchange: {
      request: {
        method,
        url:
          path === undefined ? firstText(a, 'http.target') : query === undefined ? path : `${path}?${query}`,
        headers: requestHeaders,
      },
      response: { status, headers: captured.response },
      route: firstText(a, 'http.route'),
      serverOrigin: serverOrigin(a, host),
      userAgent:
        firstText(a, 'user_agent.original', 'http.user_agent') ?? first(requestHeaders['user-agent']),
      serverAddress:
        firstText(a, 'server.address', 'net.host.name') ??
        (firstText(a, 'http.host') ?? host)?.replace(/:\d+$/, ''),
      hasCorsResponseHeader: captured.hasCorsResponseHeader,
    },
  };
}
