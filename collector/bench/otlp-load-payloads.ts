// OTLP/HTTP protobuf export requests shaped like real Corsight output, for the ingest benchmark: encoded once
// up front, then stamped before each send with fresh trace/span ids and start times, so a few dozen distinct
// payloads can be cycled for seconds without ClickHouse seeing the same row twice (repeated rows would sort
// next to each other and compress far better than real traffic).
//
// The mix: mostly detail spans (exemplars carrying the CORS response headers, the user agent, a parent span)
// and some summary spans (counts per key); six services, 50 routes, 500 origins with a skewed popularity
// (a few front ends send most of the traffic), start times in the last few seconds. Encoded with the
// vendored OTLP protos through protobufjs, the same definitions the collector decodes with.
import { ATTR, INSTRUMENTATION_SCOPE, SPAN_NAMES, detailSpanName } from '@corsight/instrumentation';
import { otlpProtos } from '../src/otlp/otlp-protos.js';

type Raw = string | number | boolean | readonly string[];

/** One encoded request, with where each span's stamped fields sit in `template`. */
export interface LoadPayload {
  readonly template: Buffer;
  readonly spans: number;
  readonly attributesPerSpan: number;
  /** Byte offsets of each span's trace_id (16 bytes), span_id (8), start and end time (fixed64 LE). */
  readonly traceIdAt: Int32Array;
  readonly spanIdAt: Int32Array;
  readonly startAt: Int32Array;
  readonly endAt: Int32Array;
  readonly durationNs: readonly bigint[];
}

/**
 * `corsight`: Corsight's own CORS spans. `http`: plain HTTP server spans from OpenTelemetry's HTTP
 * instrumentation with the CORS headers captured (issue 8), the same exchanges in the other shape.
 */
export type LoadSpanKind = 'corsight' | 'http';

export interface LoadPayloadOptions {
  readonly payloads: number;
  readonly spansPerPayload: number;
  readonly spanKind?: LoadSpanKind;
  /** Seed of the deterministic generator: the same seed gives the same payloads. */
  readonly seed?: number;
}

/** mulberry32: a small, fast, seeded generator (bench data must be reproducible, not secure). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SERVICES = ['orders-api', 'accounts-api', 'catalog-api', 'checkout-api', 'search-api', 'media-api'];
const RESOURCES = ['orders', 'accounts', 'products', 'carts', 'payments', 'users', 'sessions', 'invoices'];
const ROUTES = Array.from({ length: 50 }, (_, i) => {
  const resource = RESOURCES[i % RESOURCES.length] ?? 'items';
  const shapes = [
    `/api/v1/${resource}`,
    `/api/v1/${resource}/:id`,
    `/api/v1/${resource}/:id/items`,
    `/api/v2/${resource}/:id/history`,
    `/api/v2/${resource}/search`,
    `/api/v1/${resource}/:id/attachments/:attachmentId`,
    `/internal/${resource}/export`,
  ];
  return `${shapes[Math.floor(i / RESOURCES.length) % shapes.length] ?? '/'}${i >= 49 ? '/bulk' : ''}`;
});
const ORIGINS = Array.from({ length: 500 }, (_, i) => {
  if (i % 50 === 49) return `http://localhost:${String(3000 + i)}`;
  if (i % 10 === 3) return `https://staging-${String(i)}.tenant${String(i % 97)}.example.net`;
  return `https://app${String(i)}.customer${String(i % 211)}.example.com`;
});
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:145.0) Gecko/20100101 Firefox/145.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 26_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36 Edg/142.0.0.0',
  'Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Mobile Safari/537.36',
];
const POLICY_HASHES = ['p9f1c2a7e', 'p03be41d9', 'p7a6c0f12'];
const HEADER_SETS: readonly (readonly string[])[] = [
  ['content-type'],
  ['authorization', 'content-type'],
  ['authorization', 'content-type', 'x-request-id'],
  ['x-csrf-token'],
];

function pick<T>(items: readonly T[], random: () => number): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/** Popular origins first: index ∝ r², so the top tenth of origins sends about a third of the traffic. */
function origin(random: () => number): string {
  return ORIGINS[Math.floor(ORIGINS.length * random() ** 2)] ?? 'https://app.example.com';
}

function randomBytes(random: () => number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  // An all-zero id is invalid in OTLP; the first byte is never zero here.
  bytes[0] = (bytes[0] ?? 0) | 1;
  return bytes;
}

function detailAttributes(random: () => number, policyHash: string): Record<string, Raw> {
  const from = origin(random);
  const blocked = random() < 0.12;
  const credentials = random() < 0.6 ? 'include' : 'unknown';
  const common: Record<string, Raw> = {
    [ATTR.spanRole]: 'detail',
    [ATTR.httpRoute]: pick(ROUTES, random),
    [ATTR.origin]: from,
    [ATTR.credentials]: credentials,
    [ATTR.outcome]: blocked ? 'blocked' : 'allowed',
    [ATTR.reasons]: blocked ? [pick(['allow_origin_mismatch', 'missing_allow_origin'], random)] : [],
    [ATTR.warnings]: random() < 0.3 ? ['missing_vary_origin'] : [],
    [ATTR.policyHash]: policyHash,
    [ATTR.sampleWeight]: 0,
    [ATTR.userAgent]: pick(USER_AGENTS, random),
    [ATTR.serverAddress]: 'api.example.com',
  };
  const allowOrigin = blocked ? 'https://app.example.com' : from;
  if (random() < 0.45) {
    const asked = pick(['PUT', 'DELETE', 'PATCH', 'POST'], random);
    const headers = pick(HEADER_SETS, random);
    return {
      ...common,
      [ATTR.kind]: 'preflight',
      [ATTR.httpRequestMethod]: 'OPTIONS',
      [ATTR.requestMethod]: asked,
      [ATTR.requestHeaders]: headers,
      [ATTR.httpResponseStatusCode]: 204,
      [ATTR.responseAllowOrigin]: allowOrigin,
      [ATTR.responseAllowCredentials]: 'true',
      [ATTR.responseAllowMethods]: 'GET, POST, PUT, PATCH, DELETE',
      [ATTR.responseAllowHeaders]: headers.join(', '),
      [ATTR.responseMaxAge]: '600',
      [ATTR.responseVary]: 'Origin, Access-Control-Request-Headers',
      [ATTR.preflightCacheChromium]: 600,
      [ATTR.preflightCacheFirefox]: 600,
      [ATTR.preflightCacheWebkit]: 600,
    };
  }
  const method = pick(['GET', 'GET', 'GET', 'POST', 'PUT'], random);
  return {
    ...common,
    [ATTR.kind]: 'actual',
    [ATTR.httpRequestMethod]: method,
    [ATTR.needsPreflight]: method !== 'GET',
    [ATTR.requestHeaders]: method === 'GET' ? [] : ['content-type'],
    [ATTR.httpResponseStatusCode]: pick([200, 200, 200, 201, 404, 500], random),
    [ATTR.responseAllowOrigin]: allowOrigin,
    [ATTR.responseAllowCredentials]: 'true',
    [ATTR.responseExposeHeaders]: 'x-request-id, x-ratelimit-remaining',
    [ATTR.responseVary]: 'Origin',
    ...(blocked ? { [ATTR.failedValue]: allowOrigin } : {}),
  };
}

/**
 * The exchange of a detail span as a plain HTTP server span (current semantic conventions, captured headers
 * as string arrays), the way `@opentelemetry/instrumentation-http` or the Java agent record it.
 */
function httpServerAttributes(random: () => number): Record<string, Raw> {
  const corsight = detailAttributes(random, '');
  const http: Record<string, Raw> = {
    'http.request.method': corsight[ATTR.httpRequestMethod] ?? 'GET',
    'url.scheme': 'https',
    'url.path': String(corsight[ATTR.httpRoute]).replaceAll(':id', String(Math.floor(random() * 1e6))),
    'server.address': 'api.example.com',
    'server.port': 443,
    'network.protocol.version': '1.1',
    'client.address': `10.0.${String(Math.floor(random() * 255))}.${String(Math.floor(random() * 255))}`,
    'http.route': corsight[ATTR.httpRoute] ?? '/',
    'http.response.status_code': corsight[ATTR.httpResponseStatusCode] ?? 200,
    'user_agent.original': corsight[ATTR.userAgent] ?? '',
    'http.request.header.origin': [String(corsight[ATTR.origin])],
    'http.request.header.sec-fetch-mode': ['cors'],
    'http.request.header.sec-fetch-site': ['cross-site'],
  };
  const headers: [string, string][] = [
    ['access-control-request-method', ATTR.requestMethod],
    ['access-control-request-headers', ATTR.requestHeaders],
  ];
  for (const [name, key] of headers) {
    const value = corsight[key];
    if (value !== undefined && (!Array.isArray(value) || value.length > 0)) {
      http[`http.request.header.${name}`] = [Array.isArray(value) ? value.join(', ') : String(value)];
    }
  }
  const responseHeaders: [string, string][] = [
    ['access-control-allow-origin', ATTR.responseAllowOrigin],
    ['access-control-allow-credentials', ATTR.responseAllowCredentials],
    ['access-control-allow-methods', ATTR.responseAllowMethods],
    ['access-control-allow-headers', ATTR.responseAllowHeaders],
    ['access-control-expose-headers', ATTR.responseExposeHeaders],
    ['access-control-max-age', ATTR.responseMaxAge],
    ['vary', ATTR.responseVary],
  ];
  for (const [name, key] of responseHeaders) {
    const value = corsight[key];
    if (value !== undefined) http[`http.response.header.${name}`] = [String(value)];
  }
  return http;
}

function summaryAttributes(random: () => number, policyHash: string): Record<string, Raw> {
  const blocked = random() < 0.1;
  return {
    [ATTR.spanRole]: 'summary',
    [ATTR.kind]: random() < 0.3 ? 'preflight' : 'actual',
    [ATTR.httpRoute]: pick(ROUTES, random),
    [ATTR.origin]: origin(random),
    [ATTR.httpRequestMethod]: pick(['GET', 'POST', 'PUT', 'OPTIONS'], random),
    [ATTR.outcome]: blocked ? 'blocked' : 'allowed',
    [ATTR.reasons]: blocked ? ['allow_origin_mismatch'] : [],
    [ATTR.warnings]: random() < 0.3 ? ['missing_vary_origin'] : [],
    [ATTR.credentials]: 'include',
    [ATTR.needsPreflight]: random() < 0.5,
    [ATTR.policyHash]: policyHash,
    [ATTR.sampleWeight]: 1 + Math.floor(random() * 400),
  };
}

function anyValue(raw: Raw): Record<string, unknown> {
  if (typeof raw === 'string') return { stringValue: raw };
  if (typeof raw === 'boolean') return { boolValue: raw };
  if (typeof raw === 'number') return Number.isInteger(raw) ? { intValue: raw } : { doubleValue: raw };
  return { arrayValue: { values: raw.map((item) => ({ stringValue: item })) } };
}

/** A protobufjs fixed64 as its two 32-bit halves (a JS number cannot hold nanoseconds since 1970). */
function fixed64(value: bigint): { low: number; high: number; unsigned: boolean } {
  return { low: Number(value & 0xffffffffn), high: Number(value >> 32n), unsigned: true };
}

function offsetsOf(template: Buffer, needles: readonly Buffer[]): Int32Array {
  const offsets = new Int32Array(needles.length);
  let from = 0;
  needles.forEach((needle, i) => {
    const at = template.indexOf(needle, from);
    if (at < 0) throw new Error(`span ${String(i)}: stamped field not found in the encoded request`);
    offsets[i] = at;
    from = at + needle.length;
  });
  return offsets;
}

function buildPayload(
  random: () => number,
  index: number,
  spansPerPayload: number,
  spanKind: LoadSpanKind,
): LoadPayload {
  const service = SERVICES[index % SERVICES.length] ?? 'api';
  const policyHash = POLICY_HASHES[index % POLICY_HASHES.length] ?? 'p0';
  const traceIds: Buffer[] = [];
  const spanIds: Buffer[] = [];
  const starts: Buffer[] = [];
  const ends: Buffer[] = [];
  const durationNs: bigint[] = [];
  let attributeCount = 0;
  // Placeholder times, unique per span so their bytes can be found; stamping overwrites them.
  const base = BigInt(Date.UTC(2026, 0, 1)) * 1_000_000n;
  const spans = Array.from({ length: spansPerPayload }, (_, i) => {
    const http = spanKind === 'http';
    const detail = http || random() < 0.75;
    const attributes = http
      ? httpServerAttributes(random)
      : detail
        ? detailAttributes(random, policyHash)
        : summaryAttributes(random, policyHash);
    attributeCount += Object.keys(attributes).length;
    const traceId = randomBytes(random, 16);
    const spanId = randomBytes(random, 8);
    const duration = detail ? BigInt(200_000 + Math.floor(random() * 5_000_000)) : 5_000_000_000n;
    const start = base + BigInt(index * spansPerPayload + i) * 1_000_003n + 7n;
    const end = start + duration;
    traceIds.push(traceId);
    spanIds.push(spanId);
    durationNs.push(duration);
    for (const [list, value] of [
      [starts, start],
      [ends, end],
    ] as const) {
      const bytes = Buffer.alloc(8);
      bytes.writeBigUInt64LE(value);
      list.push(bytes);
    }
    const kind = attributes[ATTR.kind] === 'preflight' ? 'preflight' : 'actual';
    const method = String(attributes[http ? 'http.request.method' : ATTR.httpRequestMethod]);
    return {
      traceId,
      spanId,
      ...(detail ? { parentSpanId: randomBytes(random, 8) } : {}),
      name: http
        ? `${method} ${String(attributes['http.route'])}`
        : detail
          ? detailSpanName(kind, method)
          : SPAN_NAMES.summary,
      // OTLP's SpanKind: 1 internal (Corsight's spans), 2 server.
      kind: http ? 2 : 1,
      startTimeUnixNano: fixed64(start),
      endTimeUnixNano: fixed64(end),
      attributes: Object.entries(attributes).map(([key, raw]) => ({ key, value: anyValue(raw) })),
    };
  });
  const request = {
    resourceSpans: [
      {
        resource: {
          attributes: [
            { key: ATTR.serviceName, value: { stringValue: service } },
            { key: 'service.version', value: { stringValue: `1.${String(index % 4)}.0` } },
            { key: 'telemetry.sdk.language', value: { stringValue: 'nodejs' } },
            { key: 'telemetry.sdk.name', value: { stringValue: 'opentelemetry' } },
            { key: 'telemetry.sdk.version', value: { stringValue: '2.12.0' } },
            { key: 'host.name', value: { stringValue: `${service}-${String(index % 3)}` } },
          ],
        },
        scopeSpans: [
          {
            scope:
              spanKind === 'http'
                ? { name: '@opentelemetry/instrumentation-http', version: '0.223.0' }
                : { name: INSTRUMENTATION_SCOPE, version: '0.1.0' },
            spans,
          },
        ],
      },
    ],
  };
  const { exportRequest } = otlpProtos();
  const template = Buffer.from(exportRequest.encode(request).finish());
  return {
    template,
    spans: spansPerPayload,
    attributesPerSpan: attributeCount / spansPerPayload,
    traceIdAt: offsetsOf(template, traceIds),
    spanIdAt: offsetsOf(template, spanIds),
    startAt: offsetsOf(template, starts),
    endAt: offsetsOf(template, ends),
    durationNs,
  };
}

/** `options.payloads` distinct requests of `options.spansPerPayload` spans each. */
export function buildLoadPayloads(options: LoadPayloadOptions): LoadPayload[] {
  const random = seededRandom(options.seed ?? 4);
  return Array.from({ length: options.payloads }, (_, index) =>
    buildPayload(random, index, options.spansPerPayload, options.spanKind ?? 'corsight'),
  );
}

/**
 * How far back a live export's spans start: an SDK sends what ended since its last export (the
 * BatchSpanProcessor every 5 s, Corsight's summaries every few seconds), so a batch spans seconds, not hours.
 * The spread decides how many rows fall into one rollup minute, and so how much the rollup views aggregate:
 * spans spread over an hour made every view process almost every row, which live traffic never does.
 */
export const LIVE_SPREAD_MS = 10_000;

/**
 * Copies `payload` into `into` (at least `payload.template.length` bytes) with span `i` given trace id
 * `<template's first 8 bytes><firstSequence + i>`, span id `firstSequence + i` (both big-endian, so ids stay
 * distinct for 2^53 spans) and a start time up to `spreadMs` before `nowMs`. Returns the body to send.
 */
export function stampPayload(
  payload: LoadPayload,
  into: Buffer,
  firstSequence: number,
  nowMs: number,
  random: () => number,
  spreadMs: number = LIVE_SPREAD_MS,
): Buffer {
  const body = into.subarray(0, payload.template.length);
  payload.template.copy(body);
  const nowNs = BigInt(nowMs) * 1_000_000n;
  for (let i = 0; i < payload.spans; i++) {
    const sequence = BigInt(firstSequence + i + 1);
    body.writeBigUInt64BE(sequence, (payload.traceIdAt[i] ?? 0) + 8);
    body.writeBigUInt64BE(sequence, payload.spanIdAt[i] ?? 0);
    const start = nowNs - BigInt(Math.floor(random() * spreadMs * 1000)) * 1000n;
    body.writeBigUInt64LE(start, payload.startAt[i] ?? 0);
    body.writeBigUInt64LE(start + (payload.durationNs[i] ?? 0n), payload.endAt[i] ?? 0);
  }
  return body;
}
