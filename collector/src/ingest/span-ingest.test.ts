import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ATTR, INSTRUMENTATION_SCOPE, LIMITS } from '@corsight/instrumentation';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CollectorMetrics } from '../ops/collector-metrics.js';
import type { OtlpAttributes, OtlpSpan } from '../otlp/otlp-span.js';
import { IngestAuthError, IngestBackpressureError } from '../otlp/span-sink.js';
import { EVENT_INSERT_COLUMNS } from './cors-event-row.js';
import { serverSpan } from './http-span-shapes.fixture.js';
import { httpSpanJudging } from './http-span-ingest.js';
import { createSpanIngest } from './span-ingest.js';
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
    return Object.fromEntries(
      found?.values.map((value) => [String(value.labels.decision), value.value]) ?? [],
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
});
