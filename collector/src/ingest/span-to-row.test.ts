import { ATTR, INSTRUMENTATION_SCOPE, LIMITS } from '@corsight/instrumentation';
import { describe, expect, it } from 'vitest';
import type { OtlpAttributes, OtlpSpan, OtlpValue } from '../otlp/otlp-span.js';
import { mapSpanToRow } from './span-to-row.js';

const START = Date.UTC(2026, 10, 26, 12, 0, 0, 250);

const SUMMARY_ATTRIBUTES: OtlpAttributes = {
  [ATTR.spanRole]: 'summary',
  [ATTR.kind]: 'actual',
  [ATTR.httpRoute]: '/orders/:id',
  [ATTR.origin]: 'https://app.example.com',
  [ATTR.httpRequestMethod]: 'PUT',
  [ATTR.outcome]: 'blocked',
  [ATTR.reasons]: ['allow_origin_mismatch'],
  [ATTR.warnings]: [],
  [ATTR.credentials]: 'unknown',
  [ATTR.sampleWeight]: 12,
  [ATTR.needsPreflight]: true,
  [ATTR.policyHash]: 'a1b2c3',
};

const DETAIL_ATTRIBUTES: OtlpAttributes = {
  [ATTR.spanRole]: 'detail',
  [ATTR.kind]: 'preflight',
  [ATTR.httpRoute]: '/orders/:id',
  [ATTR.origin]: 'https://app.example.com',
  [ATTR.httpRequestMethod]: 'OPTIONS',
  [ATTR.requestMethod]: 'PUT',
  [ATTR.outcome]: 'allowed',
  [ATTR.reasons]: [],
  [ATTR.warnings]: ['max_age_capped'],
  [ATTR.hints]: ['trailing_slash'],
  [ATTR.credentials]: 'include',
  [ATTR.sampleWeight]: 0,
  [ATTR.serviceName]: 'from-attribute',
  [ATTR.requestHeaders]: ['content-type', 'x-request-id'],
  [ATTR.httpResponseStatusCode]: 204,
  [ATTR.responseAllowOrigin]: 'https://app.example.com',
  [ATTR.responseAllowCredentials]: 'true',
  [ATTR.responseAllowMethods]: 'GET, PUT',
  [ATTR.responseAllowHeaders]: 'content-type, x-request-id',
  [ATTR.responseExposeHeaders]: '',
  [ATTR.responseMaxAge]: '86400',
  [ATTR.responseVary]: 'Origin',
  [ATTR.failedValue]: 'https://app.example.com/',
  [ATTR.preflightCacheChromium]: 7200,
  [ATTR.preflightCacheFirefox]: 86400,
  [ATTR.preflightCacheWebkit]: 600,
  [ATTR.userAgent]: 'Mozilla/5.0 Chrome/131.0',
  [ATTR.serverAddress]: 'api.example.com',
};

function span(
  overrides: Partial<OtlpSpan> = {},
  attributes: Record<string, OtlpValue | undefined> = {},
): OtlpSpan {
  const merged: Record<string, OtlpValue> = { ...SUMMARY_ATTRIBUTES };
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined) Reflect.deleteProperty(merged, key);
    else merged[key] = value;
  }
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    parentSpanId: undefined,
    traceState: undefined,
    name: 'CORS summary',
    kind: 1,
    startTimeUnixNano: BigInt(START) * 1_000_000n + 999n,
    endTimeUnixNano: BigInt(START + 5_000) * 1_000_000n,
    attributes: merged,
    status: { code: 0, message: undefined },
    resource: { [ATTR.serviceName]: 'orders-api' },
    scope: { name: INSTRUMENTATION_SCOPE, version: '0.1.0' },
    ...overrides,
  };
}

describe('mapSpanToRow: CORS spans', () => {
  it('maps a summary span to a row with defaults for what summaries do not carry', () => {
    expect(mapSpanToRow(span())).toEqual({
      kind: 'row',
      row: {
        timestamp: START,
        service: 'orders-api',
        source: 'corsight',
        spanRole: 'summary',
        kind: 'actual',
        route: '/orders/:id',
        origin: 'https://app.example.com',
        method: 'PUT',
        requestMethod: '',
        outcome: 'blocked',
        reasons: ['allow_origin_mismatch'],
        warnings: [],
        hints: [],
        credentials: 'unknown',
        needsPreflight: true,
        requestHeaders: [],
        responseStatus: 0,
        allowOrigin: null,
        allowCredentials: null,
        allowMethods: null,
        allowHeaders: null,
        exposeHeaders: null,
        maxAge: null,
        vary: null,
        failedValue: null,
        preflightCacheChromium: null,
        preflightCacheFirefox: null,
        preflightCacheWebkit: null,
        policyHash: 'a1b2c3',
        sampleWeight: 12,
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        parentSpanId: '',
        userAgent: '',
        serverAddress: '',
      },
    });
  });

  it('maps a detail span with every header, its parent, and the service from its own attribute', () => {
    const result = mapSpanToRow(
      span({
        attributes: DETAIL_ATTRIBUTES,
        resource: { [ATTR.serviceName]: 'unknown_service:node' },
        parentSpanId: '00f067aa0ba902b7',
      }),
    );
    expect(result.kind).toBe('row');
    if (result.kind !== 'row') return;
    expect(result.row).toMatchObject({
      service: 'from-attribute',
      spanRole: 'detail',
      kind: 'preflight',
      method: 'OPTIONS',
      requestMethod: 'PUT',
      hints: ['trailing_slash'],
      needsPreflight: null,
      requestHeaders: ['content-type', 'x-request-id'],
      responseStatus: 204,
      allowOrigin: 'https://app.example.com',
      exposeHeaders: '',
      maxAge: '86400',
      vary: 'Origin',
      failedValue: 'https://app.example.com/',
      preflightCacheChromium: 7200,
      preflightCacheFirefox: 86400,
      preflightCacheWebkit: 600,
      sampleWeight: 0,
      parentSpanId: '00f067aa0ba902b7',
      userAgent: 'Mozilla/5.0 Chrome/131.0',
      serverAddress: 'api.example.com',
    });
  });

  it.each([
    ['a fractional weight (1 / sampling rate)', { [ATTR.sampleWeight]: 2.5 }],
    ['the origin label for unparseable origins', { [ATTR.origin]: 'invalid' }],
    ['the origin label for overflowing origins', { [ATTR.origin]: '(other)' }],
    ['the opaque origin', { [ATTR.origin]: 'null' }],
    [
      'an origin of exactly the length limit',
      { [ATTR.origin]: `https://${'a'.repeat(LIMITS.originLength - 8)}` },
    ],
    ['the unmatched route', { [ATTR.httpRoute]: '(unmatched)' }],
    ['a span without reasons and warnings', { [ATTR.reasons]: undefined, [ATTR.warnings]: undefined }],
    ['blocked_if_credentialed', { [ATTR.outcome]: 'blocked_if_credentialed' }],
  ])('accepts %s', (_name, attributes) => {
    expect(mapSpanToRow(span({}, attributes)).kind).toBe('row');
  });

  it('stores an origin an earlier release labelled as sent (upper case, default port, controls) as invalid', () => {
    for (const origin of [
      'https://App.Example.com',
      'https://a.example:443',
      'chrome-extension://\u202egnp.exe',
    ]) {
      const mapped = mapSpanToRow(span({}, { [ATTR.origin]: origin }));
      expect(mapped.kind === 'row' ? mapped.row.origin : mapped.kind).toBe('invalid');
    }
  });

  it('recognises a CORS span from another scope by its cors.span attribute', () => {
    expect(mapSpanToRow(span({ scope: { name: 'custom', version: undefined } })).kind).toBe('row');
  });
});

describe('mapSpanToRow: other spans', () => {
  it('says not-cors for a span without cors.span from another scope', () => {
    const other = span(
      { name: 'GET /orders', scope: { name: '@opentelemetry/instrumentation-http', version: '0.1' } },
      { [ATTR.spanRole]: undefined },
    );
    expect(mapSpanToRow(other)).toEqual({ kind: 'not-cors' });
  });
});

const HUGE_ORIGIN = `https://${'a'.repeat(64 * 1024)}.example`;

describe('mapSpanToRow: invalid spans name the attribute', () => {
  it.each<[string, Partial<OtlpSpan>, Record<string, OtlpValue | undefined>, RegExp]>([
    [
      'a 64 KiB origin',
      {},
      { [ATTR.origin]: HUGE_ORIGIN },
      /^cors\.origin: expected at most 512 characters, got a \d+-character string$/,
    ],
    [
      'an origin that is no origin',
      {},
      { [ATTR.origin]: 'https://x.example/path' },
      /^cors\.origin: expected a serialised origin/,
    ],
    [
      'a service name with a line break',
      {},
      { [ATTR.serviceName]: 'orders\napi' },
      /^service\.name: expected a service name without control characters/,
    ],
    [
      'a missing origin',
      {},
      { [ATTR.origin]: undefined },
      /^cors\.origin: expected a non-empty string, got missing$/,
    ],
    ['a numeric origin', {}, { [ATTR.origin]: 42 }, /^cors\.origin: expected a string, got number 42$/],
    [
      'an unknown outcome',
      {},
      { [ATTR.outcome]: 'denied' },
      /^cors\.outcome: expected one of allowed, blocked, blocked_if_credentialed, got "denied"$/,
    ],
    ['an unknown kind', {}, { [ATTR.kind]: 'simple' }, /^cors\.kind: expected one of preflight, actual/],
    [
      'an unknown span role',
      {},
      { [ATTR.spanRole]: 'sampled' },
      /^cors\.span: expected one of summary, detail/,
    ],
    [
      'an unknown credentials mode',
      {},
      { [ATTR.credentials]: 'same-origin' },
      /^cors\.credentials: expected one of include, omit, unknown/,
    ],
    [
      'a NaN weight',
      {},
      { [ATTR.sampleWeight]: Number.NaN },
      /^cors\.sample_weight: expected a finite number/,
    ],
    ['an infinite weight', {}, { [ATTR.sampleWeight]: Number.POSITIVE_INFINITY }, /^cors\.sample_weight/],
    ['a negative weight', {}, { [ATTR.sampleWeight]: -1 }, /^cors\.sample_weight/],
    ['a weight sent as a string', {}, { [ATTR.sampleWeight]: '12' }, /^cors\.sample_weight: .*got "12"$/],
    ['a missing weight', {}, { [ATTR.sampleWeight]: undefined }, /^cors\.sample_weight: .*got missing$/],
    [
      'reasons as numbers',
      {},
      { [ATTR.reasons]: [1, 2] },
      /^cors\.reasons: expected an array of snake_case codes, got number 1$/,
    ],
    [
      'reasons as a string',
      {},
      { [ATTR.reasons]: 'allow_origin_mismatch' },
      /^cors\.reasons: expected an array/,
    ],
    ['a reason code with spaces', {}, { [ATTR.reasons]: ['drop table'] }, /^cors\.reasons/],
    [
      'a thousand warnings',
      {},
      { [ATTR.warnings]: Array<string>(1000).fill('x') },
      /^cors\.warnings: expected at most 64 items/,
    ],
    [
      'request headers as numbers',
      {},
      { [ATTR.requestHeaders]: [1] },
      /^cors\.request\.headers: expected an array of header names/,
    ],
    [
      'too many request headers',
      {},
      { [ATTR.requestHeaders]: Array<string>(33).fill('x-a') },
      /^cors\.request\.headers: expected at most 32 items/,
    ],
    [
      'needs_preflight as a string',
      {},
      { [ATTR.needsPreflight]: 'true' },
      /^cors\.needs_preflight: expected a boolean, got "true"$/,
    ],
    [
      'a fractional status',
      {},
      { [ATTR.httpResponseStatusCode]: 200.5 },
      /^http\.response\.status_code: expected an integer from 100 to 999/,
    ],
    [
      'a status as bytes',
      {},
      { [ATTR.httpResponseStatusCode]: new Uint8Array([1]) },
      /^http\.response\.status_code: .*got bytes$/,
    ],
    [
      'a negative cache lifetime',
      {},
      { [ATTR.preflightCacheChromium]: -5 },
      /^cors\.preflight\.cache_seconds\.chromium/,
    ],
    [
      'an oversized header value',
      {},
      { [ATTR.responseAllowOrigin]: 'x'.repeat(LIMITS.headerValueLength + 1) },
      /^cors\.response\.allow_origin: expected at most 512 characters/,
    ],
    [
      'a header value as a map',
      {},
      { [ATTR.responseVary]: { a: 'b' } },
      /^cors\.response\.vary: expected a string, got a map$/,
    ],
    [
      'a method with spaces',
      {},
      { [ATTR.httpRequestMethod]: 'GET /' },
      /^http\.request\.method: expected an HTTP method name/,
    ],
    ['an empty route', {}, { [ATTR.httpRoute]: '' }, /^http\.route: expected a non-empty string, got ""$/],
    ['a route with a newline', {}, { [ATTR.httpRoute]: '/a\nb' }, /^http\.route: expected a route template/],
    [
      'no service name anywhere',
      { resource: {} },
      {},
      /^service\.name: expected a non-empty string, got missing$/,
    ],
    [
      'a numeric service name',
      { resource: { [ATTR.serviceName]: 7 } },
      {},
      /^service\.name: expected a string/,
    ],
    [
      'a start before 2000',
      { startTimeUnixNano: 0n },
      {},
      /^startTimeUnixNano: expected a time in the years 2000–2099, got 0$/,
    ],
    ['an end before the start', { endTimeUnixNano: 1n }, {}, /^endTimeUnixNano/],
    ['an upper-case trace id', { traceId: '0AF7651916CD43DD8448EB211C80319C' }, {}, /^traceId/],
    ['an all-zero span id', { spanId: '0000000000000000' }, {}, /^spanId/],
    ['a short parent span id', { parentSpanId: 'abc' }, {}, /^parentSpanId/],
    [
      'a span of our scope without cors.span',
      {},
      { [ATTR.spanRole]: undefined },
      /^cors\.span: expected one of summary, detail, got missing$/,
    ],
  ])('rejects %s', (_name, overrides, attributes, reason) => {
    const result = mapSpanToRow(span(overrides, attributes));
    expect(result.kind).toBe('invalid');
    if (result.kind === 'invalid') expect(result.reason).toMatch(reason);
  });

  it.each([
    ['three days before the clock', START + 3 * 24 * 3600_000],
    ['two days after the clock', START - 2 * 24 * 3600_000],
  ])('rejects a start %s', (_name, nowMs) => {
    const result = mapSpanToRow(span(), { nowMs });
    expect(result.kind === 'invalid' && result.reason).toMatch(
      /^startTimeUnixNano: expected a time from 2 days before to 1 day after the collector's clock/,
    );
  });

  it('accepts a start within the window around the clock, and any sane start without one', () => {
    expect(mapSpanToRow(span(), { nowMs: START + 3600_000 }).kind).toBe('row');
    expect(mapSpanToRow(span(), { nowMs: START - 3600_000 }).kind).toBe('row');
    expect(mapSpanToRow(span({ startTimeUnixNano: BigInt(Date.UTC(2001, 0, 1)) * 1_000_000n })).kind).toBe(
      'row',
    );
  });

  it('never echoes a huge value into the reason', () => {
    const result = mapSpanToRow(span({}, { [ATTR.origin]: HUGE_ORIGIN }));
    expect(result.kind === 'invalid' && result.reason.length).toBeLessThan(120);
  });
});
