import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ATTR, INSTRUMENTATION_SCOPE, LIMITS, ORIGIN_OTHER } from '@corsight/instrumentation';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CollectorMetrics } from '../ops/collector-metrics.js';
import type { OtlpAttributes, OtlpSpan } from '../otlp/otlp-span.js';
import { IngestAuthError, IngestBackpressureError } from '../otlp/span-sink.js';
import { EVENT_INSERT_COLUMNS } from './cors-event-row.js';
import { serverSpan } from './http-span-shapes.fixture.js';
import { httpSpanJudging } from './http-span-ingest.js';
import { createSpanIngest } from './span-ingest.js';
import { ROW_LIMITS } from './span-to-row.js';
import { openSpool, type Spool } from './spool.js';

const TOKEN = 'token-0123456789abcdef';
// The ingest bounds start times by its clock: the spans are from now.
const NOW_NANOS = BigInt(Date.now()) * 1_000_000n;

function corsSpan(index: number, attributes: OtlpAttributes = {}): OtlpSpan {
  return {
    traceId: 'ab'.repeat(16),
    spanId: (index + 1).toString(16).padStart(16, '0'),
    parentSpanId: undefined,
    traceState: undefined,
    name: 'CORS summary',
    kind: 1,
    startTimeUnixNano: NOW_NANOS,
    endTimeUnixNano: NOW_NANOS + 1_000_000_000n,
    attributes: {
      [ATTR.spanRole]: 'summary',
      [ATTR.kind]: 'actual',
      [ATTR.httpRoute]: '/orders/:id',
      [ATTR.origin]: 'https://app.example.com',
      [ATTR.httpRequestMethod]: 'GET',
      [ATTR.outcome]: 'allowed',
      [ATTR.reasons]: [],
      [ATTR.warnings]: [],
      [ATTR.credentials]: 'unknown',
      [ATTR.sampleWeight]: 3,
      ...attributes,
    },
    status: { code: 0, message: undefined },
    resource: { 'service.name': 'orders-api' },
    scope: { name: INSTRUMENTATION_SCOPE, version: undefined },
  };
}

function httpSpan(index: number): OtlpSpan {
  return {
    ...corsSpan(index),
    name: 'GET /orders/:id',
    attributes: { 'http.request.method': 'GET' },
    scope: { name: 'http', version: undefined },
  };
}

let dataDir: string;
let spool: Spool;
let metrics: CollectorMetrics;

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'corsight-ingest-'));
  spool = await openSpool({
    dataDir,
    maxSpoolBytes: 64 * 1024,
    maxSegmentRows: 1000,
    maxSegmentBytes: 1024 * 1024,
    maxSegmentAgeMs: 60_000,
    sealCheckIntervalMs: 0,
  });
  metrics = new CollectorMetrics(() => ({ bytes: 0, segments: 0 }));
});

afterEach(async () => {
  await spool.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function metric(name: string): Promise<number> {
  const found = (await metrics.registry.getMetricsAsJSON()).find((entry) => entry.name === name);
  return found?.values.reduce((sum, value) => sum + value.value, 0) ?? 0;
}

describe('createSpanIngest', () => {
  it('spools CORS spans, counts and drops the others, and acknowledges once they are on disk', async () => {
    const accept = createSpanIngest({ spool, tokens: [], metrics, httpSpans: httpSpanJudging() });
    const result = await accept([corsSpan(0), httpSpan(1), corsSpan(2)], { token: undefined });
    expect(result).toEqual({ rejectedSpans: 0 });
    expect(spool.stats()).toMatchObject({ openRows: 2, appends: 1 });
    expect(await metric('corsight_spans_received_total')).toBe(3);
    expect(await metric('corsight_spans_accepted_total')).toBe(2);
    expect(await metric('corsight_spans_dropped_non_cors_total')).toBe(1);
  });

  it('stores the valid spans of a request and reports the invalid ones as a partial success', async () => {
    const accept = createSpanIngest({ spool, tokens: [], metrics, httpSpans: httpSpanJudging() });
    const result = await accept(
      [
        corsSpan(0),
        corsSpan(1, { [ATTR.origin]: `https://${'a'.repeat(64 * 1024)}.example` }),
        corsSpan(2, { [ATTR.outcome]: 'maybe' }),
        corsSpan(3, { [ATTR.sampleWeight]: 'many' }),
      ],
      { token: undefined },
    );
    expect(result.rejectedSpans).toBe(3);
    expect(result.errorMessage).toMatch(/^3 of 4 spans could not be stored as CORS events: /);
    expect(result.errorMessage).toContain(ATTR.outcome);
    expect(result.errorMessage?.length).toBeLessThan(2000);
    expect(spool.stats().openRows).toBe(1);
    expect(await metric('corsight_spans_rejected_total')).toBe(3);
    expect(LIMITS.originLength).toBeLessThan(64 * 1024);
  });

  it.each([
    ['no token', undefined, /requires a token/],
    ['a wrong token', 'token-fedcba9876543210', /not one this collector accepts/],
  ])('refuses %s when tokens are configured, storing nothing', async (_name, token, message) => {
    const accept = createSpanIngest({ spool, tokens: [TOKEN], metrics, httpSpans: httpSpanJudging() });
    const refusal = accept([corsSpan(0)], { token });
    await expect(refusal).rejects.toBeInstanceOf(IngestAuthError);
    await expect(refusal).rejects.toThrow(message);
    expect(spool.stats().appends).toBe(0);
  });

  it('accepts any one of the configured tokens', async () => {
    const accept = createSpanIngest({
      spool,
      tokens: ['other-token-000000000', TOKEN],
      metrics,
      httpSpans: httpSpanJudging(),
    });
    await expect(accept([corsSpan(0)], { token: TOKEN })).resolves.toEqual({ rejectedSpans: 0 });
  });

  it('pushes back with 503 semantics and a Retry-After when the spool is full, losing nothing acknowledged', async () => {
    const accept = createSpanIngest({ spool, tokens: [], metrics, httpSpans: httpSpanJudging() });
    const many = Array.from({ length: 400 }, (_, index) => corsSpan(index));
    let refusal: unknown;
    let acknowledged = 0;
    for (let round = 0; round < 20 && refusal === undefined; round++) {
      try {
        await accept(many, { token: undefined });
        acknowledged += many.length;
      } catch (error) {
        refusal = error;
      }
    }
    expect(refusal).toBeInstanceOf(IngestBackpressureError);
    expect(refusal).toMatchObject({ kind: 'unavailable' });
    expect((refusal as IngestBackpressureError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    const stats = spool.stats();
    expect(stats.openRows + stats.sealedRows).toBe(acknowledged);
  });
});

describe('HTTP server spans from other instrumentations', () => {
  const request = { 'http.request.header.origin': ['https://app.example'] };
  const get = { 'http.request.method': 'GET', 'http.route': '/orders', 'http.response.status_code': 200 };
  const withCors = {
    ...get,
    ...request,
    'http.response.header.access-control-allow-origin': ['https://app.example'],
  };
  const withoutCors = { ...get, ...request };

  async function decisions(): Promise<Record<string, number>> {
    const found = (await metrics.registry.getMetricsAsJSON()).find(
      (entry) => entry.name === 'corsight_http_spans_skipped_total',
    );
    // Every decision's series exists from the start at 0: the ones taken are those above it.
    return Object.fromEntries(
      found?.values
        .filter((value) => value.value > 0)
        .map((value) => [String(value.labels.decision), value.value]) ?? [],
    );
  }

  it("judges none of a service's spans until one shows a captured CORS response header, then all", async () => {
    const httpSpans = httpSpanJudging();
    const accept = createSpanIngest({ spool, tokens: [], metrics, httpSpans });
    await accept([serverSpan(withoutCors), serverSpan(withoutCors)], { token: undefined });
    expect(spool.stats().openRows).toBe(0);
    expect(await decisions()).toEqual({ not_enough_data: 2 });
    expect(httpSpans.services.statuses()).toEqual([
      { service: 'billing-java', capture: 'not_enough_data', httpSpans: 2, judged: 0, estimated: false },
    ]);
    // Once a CORS header has been seen, a response without one is a blocked request, not a capture gap.
    await accept([serverSpan(withCors), serverSpan(withoutCors)], { token: undefined });
    expect(spool.stats().openRows).toBe(2);
    expect(await metric('corsight_http_spans_judged_total')).toBe(2);
    expect(httpSpans.services.statuses()[0]).toMatchObject({ capture: 'captured', httpSpans: 4, judged: 2 });
  });

  it("counts a service that sends Corsight's spans from those only, even within one request", async () => {
    const httpSpans = httpSpanJudging();
    const accept = createSpanIngest({ spool, tokens: [], metrics, httpSpans });
    const http = serverSpan(withCors, { service: 'orders-api' });
    await accept([http, corsSpan(0)], { token: undefined });
    expect(spool.stats().openRows).toBe(1);
    expect(await decisions()).toEqual({ counted_by_corsight: 1 });
    expect(httpSpans.services.statuses()).toEqual([
      { service: 'orders-api', capture: 'corsight', httpSpans: 1, judged: 0, estimated: false },
    ]);
  });

  it('weighs a span by its sampling threshold, else by the weight configured for its service', async () => {
    const rows: string[] = [];
    const recording = {
      append: (text: string, count: number) => {
        rows.push(...text.trimEnd().split('\n'));
        return spool.append(text, count);
      },
    } as unknown as Spool;
    const accept = createSpanIngest({
      spool: recording,
      tokens: [],
      metrics,
      httpSpans: httpSpanJudging({ 'billing-java': 5 }),
    });
    await accept([serverSpan(withCors, { traceState: 'ot=th:c' }), serverSpan(withCors)], {
      token: undefined,
    });
    expect(rows).toHaveLength(2);
    const column = EVENT_INSERT_COLUMNS.indexOf('sample_weight');
    const weights = rows.map((row) => (JSON.parse(row) as unknown[])[column]);
    expect(weights).toEqual([4, 5]);
  });

  async function storedRows(
    spans: OtlpSpan[],
    httpSpans = httpSpanJudging(),
  ): Promise<{ rows: Record<string, unknown>[]; reasons: string | undefined }> {
    const rows: Record<string, unknown>[] = [];
    const recording = {
      append: (text: string, count: number) => {
        for (const line of text.trimEnd().split('\n')) {
          const values = JSON.parse(line) as unknown[];
          rows.push(Object.fromEntries(EVENT_INSERT_COLUMNS.map((column, i) => [column, values[i]])));
        }
        return spool.append(text, count);
      },
    } as unknown as Spool;
    const accept = createSpanIngest({ spool: recording, tokens: [], metrics, httpSpans });
    const result = await accept(spans, { token: undefined });
    return { rows, reasons: result.errorMessage };
  }

  it("trusts a sampling threshold only on a span that began its trace: a caller's tracestate is the caller's", async () => {
    const { rows } = await storedRows([
      // Continuing a caller's trace: any HTTP client can send `tracestate: ot=th:fffffffff`.
      serverSpan(withCors, { traceState: 'ot=th:fffffffff', parentSpanId: 'b7ad6b7169203331' }),
      // The service's own sampler at the root, with a threshold past what a row holds: clamped, not lost.
      serverSpan(withCors, { traceState: 'ot=th:fffffffffffff' }),
      serverSpan(withCors, { traceState: 'ot=th:C' }),
    ]);
    expect(rows.map((row) => row.sample_weight)).toEqual([1, ROW_LIMITS.sampleWeight, 4]);
  });

  it('refuses a span whose service name no row can hold before the service takes a place', async () => {
    const httpSpans = httpSpanJudging();
    const { rows, reasons } = await storedRows(
      [
        serverSpan(withoutCors, { service: 'x'.repeat(ROW_LIMITS.serviceName + 1) }),
        serverSpan(withoutCors, { service: 'evil\u001b[31m' }),
        serverSpan(withCors, { service: 'billing-java' }),
      ],
      httpSpans,
    );
    expect(rows).toHaveLength(1);
    expect(reasons).toMatch(/service\.name/);
    expect(httpSpans.services.statuses().map((status) => status.service)).toEqual(['billing-java']);
  });

  it('reads a response header the instrumentation recorded as a number or a boolean as its text', async () => {
    const { rows } = await storedRows([
      serverSpan({
        ...get,
        'http.request.method': 'OPTIONS',
        'http.request.header.origin': ['https://app.example'],
        'http.request.header.access-control-request-method': ['PUT'],
        'http.response.status_code': 204,
        'http.response.header.access-control-allow-origin': ['https://app.example'],
        'http.response.header.access-control-allow-methods': ['PUT'],
        'http.response.header.access-control-allow-credentials': [true],
        'http.response.header.access-control-max-age': [600],
      }),
    ]);
    expect(rows[0]).toMatchObject({
      kind: 'preflight',
      outcome: 'allowed',
      max_age: '600',
      allow_credentials: 'true',
    });
    expect(rows[0]?.preflight_cache_chromium).toBe(600);
  });

  it('counts origins past 100 per route and interval under (other), as the instrumentation does', async () => {
    const spans = Array.from({ length: 150 }, (_, i) =>
      serverSpan({ ...withCors, 'http.request.header.origin': [`https://site${String(i)}.example`] }),
    );
    const { rows } = await storedRows(spans);
    const origins = new Set(rows.map((row) => row.origin));
    expect(rows).toHaveLength(150);
    expect(origins.size).toBe(101);
    expect(rows.filter((row) => row.origin === ORIGIN_OTHER)).toHaveLength(50);
  });

  it("skips the HTTP spans of a process whose Corsight spans name the service apart from its SDK's resource", async () => {
    const httpSpans = httpSpanJudging();
    const named = corsSpan(0, { [ATTR.serviceName]: 'orders' });
    const { rows } = await storedRows([named, serverSpan(withCors, { service: 'orders-api' })], httpSpans);
    expect(rows.map((row) => row.source)).toEqual(['corsight']);
    expect(await decisions()).toEqual({ counted_by_corsight: 1 });
  });

  describe('tokens for some services only', () => {
    const ORDERS_TOKEN = 'orders-token-000000000';
    const BILLING_TOKEN = 'billing-token-00000000';
    const tokens = {
      tokens: [TOKEN],
      serviceTokens: { 'orders-api': [ORDERS_TOKEN], 'billing-java': [BILLING_TOKEN] },
    };

    it("refuses the spans of the services a token is not for, as a partial success, storing only the token's own", async () => {
      const httpSpans = httpSpanJudging();
      const accept = createSpanIngest({ spool, ...tokens, metrics, httpSpans });
      const result = await accept(
        [
          corsSpan(0),
          { ...corsSpan(1), resource: { 'service.name': 'payments-api' } },
          serverSpan(withCors, { service: 'billing-java' }),
          serverSpan(withCors, { service: 'orders-api' }),
          httpSpan(2),
        ],
        { token: ORDERS_TOKEN },
      );
      expect(result.rejectedSpans).toBe(2);
      expect(result.errorMessage).toBe(
        '2 of 5 spans could not be stored as CORS events: service "payments-api" is not one this token may send (CORSIGHT_INGEST_SERVICE_TOKENS); service "billing-java" is not one this token may send (CORSIGHT_INGEST_SERVICE_TOKENS)',
      );
      // The orders span, and the orders HTTP span counted by Corsight instead; the span without an Origin is
      // dropped as not CORS, whatever its service.
      expect(spool.stats().openRows).toBe(1);
      expect(await metric('corsight_spans_rejected_total')).toBe(2);
      const rejected = (await metrics.registry.getMetricsAsJSON()).find(
        (entry) => entry.name === 'corsight_spans_rejected_total',
      );
      expect(rejected?.values.find((value) => value.labels.reason === 'forbidden_service')?.value).toBe(2);
      // A refused HTTP span leaves no mark on its service: billing-java is not even known.
      expect(httpSpans.services.statuses().map((status) => status.service)).toEqual(['orders-api']);
    });

    it("cannot make the collector skip another service's HTTP spans by naming it in a span's resource", async () => {
      const httpSpans = httpSpanJudging();
      const accept = createSpanIngest({ spool, ...tokens, metrics, httpSpans });
      // An orders span whose SDK resource says billing-java: counted for orders, billing-java left alone.
      const named = {
        ...corsSpan(0, { [ATTR.serviceName]: 'orders-api' }),
        resource: { 'service.name': 'billing-java' },
      };
      await accept([named], { token: ORDERS_TOKEN });
      await accept([serverSpan(withCors, { service: 'billing-java' })], { token: BILLING_TOKEN });
      expect(spool.stats().openRows).toBe(2);
      expect(await decisions()).toEqual({});
      expect(await metric('corsight_http_spans_judged_total')).toBe(1);
    });

    it('lets a token for any service send every service, and refuses unknown tokens whole', async () => {
      const accept = createSpanIngest({ spool, ...tokens, metrics, httpSpans: httpSpanJudging() });
      const spans = [corsSpan(0), { ...corsSpan(1), resource: { 'service.name': 'payments-api' } }];
      await expect(accept(spans, { token: TOKEN })).resolves.toEqual({ rejectedSpans: 0 });
      await expect(accept(spans, { token: 'orders-token-000000001' })).rejects.toBeInstanceOf(
        IngestAuthError,
      );
      await expect(accept(spans, { token: undefined })).rejects.toBeInstanceOf(IngestAuthError);
      expect(spool.stats().openRows).toBe(2);
    });

    it('gives a token named for several services all of them', async () => {
      const shared = {
        tokens: [],
        serviceTokens: { 'orders-api': [ORDERS_TOKEN], 'payments-api': [ORDERS_TOKEN] },
      };
      const accept = createSpanIngest({ spool, ...shared, metrics, httpSpans: httpSpanJudging() });
      const spans = [
        corsSpan(0),
        { ...corsSpan(1), resource: { 'service.name': 'payments-api' } },
        { ...corsSpan(2), resource: { 'service.name': 'search-api' } },
      ];
      await expect(accept(spans, { token: ORDERS_TOKEN })).resolves.toMatchObject({ rejectedSpans: 1 });
      expect(spool.stats().openRows).toBe(2);
    });
  });
});
