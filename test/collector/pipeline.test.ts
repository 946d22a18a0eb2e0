// The end-to-end promise: an instrumented Fastify app exports its CORS spans with a real OpenTelemetry
// exporter (OTLP/HTTP protobuf, protobuf + gzip, JSON, gRPC) to a running collector, which stores them in
// ClickHouse (embedded chDB); the rows read back equal the spans the SDK held, matched by span id.
import type { RunningCollector } from '@corsight/collector';
import { ATTR } from '@corsight/instrumentation';
import corsight from '@corsight/instrumentation/fastify';
import cors from '@fastify/cors';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { useTempCollector } from './temp-collector.fixture.ts';

const ALLOWED = 'https://app.example.com';
const REJECTED = 'https://evil.example';

const collector = useTempCollector('pipeline', { CORSIGHT_OTLP_GRPC_PORT: '0', CORSIGHT_BATCH_AGE_MS: '50' });

interface StoredRow {
  readonly trace_id: string;
  readonly span_id: string;
  readonly parent_span_id: string;
  readonly service: string;
  readonly span_role: string;
  readonly kind: string;
  readonly route: string;
  readonly origin: string;
  readonly method: string;
  readonly request_method: string;
  readonly outcome: string;
  readonly reasons: string[];
  readonly warnings: string[];
  readonly credentials: string;
  readonly sample_weight: number;
  readonly response_status: number;
  readonly allow_origin: string | null;
  readonly vary: string | null;
  readonly timestamp: string;
}

async function storedRows(service: string): Promise<StoredRow[]> {
  const result = await collector().store.client.query({
    query: `SELECT lower(hex(trace_id)) AS trace_id, lower(hex(span_id)) AS span_id,
              replaceRegexpAll(lower(hex(parent_span_id)), '^0+$', '') AS parent_span_id,
              service, span_role, kind, route, origin, method, request_method, outcome, reasons, warnings,
              credentials, sample_weight, response_status, allow_origin, vary, toString(timestamp) AS timestamp
            FROM cors_events WHERE service = {service:String} ORDER BY span_id`,
    query_params: { service },
    format: 'JSONEachRow',
  });
  return result.json<StoredRow>();
}

async function waitForRows(service: string, count: number): Promise<StoredRow[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const rows = await storedRows(service);
    if (rows.length >= count || Date.now() > deadline) return rows;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function rowsStored(): Promise<number> {
  return (await collector().metrics.rowsStored.get()).values[0]?.value ?? 0;
}

/**
 * Waits until the batch writer's inserts have ended. The raw rows show before their insert ends: the
 * rollups the query API reads are written by the same insert, through its views, and another connection
 * (the API's) can read between the two.
 */
async function waitForStored(count: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((await rowsStored()) < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs browser-like traffic through an instrumented app whose spans go to `exporter` and to memory. */
async function exportTraffic(service: string, exporter: SpanExporter): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor(exporter), new SimpleSpanProcessor(memory)],
  });
  const app = Fastify();
  await app.register(corsight, { tracerProvider, serviceName: service });
  await app.register(cors, { origin: [ALLOWED], methods: ['GET', 'PUT'], credentials: true, maxAge: 600 });
  app.get('/orders/:id', () => ({ ok: true }));
  app.put('/orders/:id', () => ({ ok: true }));
  for (let i = 0; i < 3; i++) await app.inject({ url: `/orders/${i}`, headers: { origin: ALLOWED } });
  for (let i = 0; i < 2; i++) await app.inject({ url: `/orders/${i}`, headers: { origin: REJECTED } });
  await app.inject({
    method: 'OPTIONS',
    url: '/orders/7',
    headers: {
      origin: ALLOWED,
      'access-control-request-method': 'PUT',
      'access-control-request-headers': 'content-type',
    },
  });
  await app.close(); // emits the summary spans
  await tracerProvider.forceFlush();
  const sent = memory.getFinishedSpans(); // before shutdown, which empties the in-memory exporter
  await tracerProvider.shutdown();
  return sent;
}

function hrToIso(time: readonly [number, number]): string {
  const ms = time[0] * 1000 + Math.floor(time[1] / 1e6);
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

const exporters: [string, (collector: RunningCollector) => SpanExporter][] = [
  ['OTLP/HTTP protobuf', (c) => new ProtoExporter({ url: `${c.httpUrl}/v1/traces` })],
  [
    'OTLP/HTTP protobuf + gzip',
    (c) => new ProtoExporter({ url: `${c.httpUrl}/v1/traces`, compression: CompressionAlgorithm.GZIP }),
  ],
  ['OTLP/HTTP JSON', (c) => new JsonExporter({ url: `${c.httpUrl}/v1/traces` })],
  ['OTLP/gRPC', (c) => new GrpcExporter({ url: `http://${c.grpcAddress ?? ''}` })],
];

describe('instrumented app → OTLP exporter → collector → ClickHouse', () => {
  it.each(exporters)('stores every CORS span sent over %s as the SDK held it', async (name, exporter) => {
    const service = `pipeline-${name.replace(/\W+/g, '-').toLowerCase()}`;
    const storedBefore = await rowsStored();
    const sent = await exportTraffic(service, exporter(collector()));
    const rows = await waitForRows(service, sent.length);
    await waitForStored(storedBefore + sent.length);

    expect(sent.length).toBeGreaterThan(4);
    expect(rows).toHaveLength(sent.length);
    const bySpanId = new Map(rows.map((row) => [row.span_id, row]));
    for (const span of sent) {
      const row = bySpanId.get(span.spanContext().spanId);
      const attributes = span.attributes;
      expect(row, span.name).toMatchObject({
        trace_id: span.spanContext().traceId,
        parent_span_id: span.parentSpanContext?.spanId ?? '',
        service,
        span_role: attributes[ATTR.spanRole],
        kind: attributes[ATTR.kind],
        route: attributes[ATTR.httpRoute],
        origin: attributes[ATTR.origin],
        method: attributes[ATTR.httpRequestMethod],
        request_method: attributes[ATTR.requestMethod] ?? '',
        outcome: attributes[ATTR.outcome],
        reasons: attributes[ATTR.reasons],
        warnings: attributes[ATTR.warnings],
        credentials: attributes[ATTR.credentials],
        sample_weight: attributes[ATTR.sampleWeight],
        response_status: attributes[ATTR.httpResponseStatusCode] ?? 0,
        allow_origin: attributes[ATTR.responseAllowOrigin] ?? null,
        vary: attributes[ATTR.responseVary] ?? null,
        timestamp: hrToIso(span.startTime),
      });
    }
    // Summary weights count every request exactly: 3 allowed GETs, 2 blocked ones, 1 preflight.
    const weight = (filter: (row: StoredRow) => boolean): number =>
      rows.filter(filter).reduce((sum, row) => sum + row.sample_weight, 0);
    expect(weight((row) => row.kind === 'actual' && row.outcome === 'allowed')).toBe(3);
    expect(weight((row) => row.kind === 'actual' && row.outcome === 'blocked')).toBe(2);
    expect(weight((row) => row.kind === 'preflight')).toBe(1);
    expect(rows.find((row) => row.origin === REJECTED)?.reasons).toEqual(['missing_allow_origin']);

    // The query API reads the same counts from the per-minute rollups.
    const summary = (await (
      await fetch(`${collector().httpUrl}/api/v1/summary?service=${encodeURIComponent(service)}`)
    ).json()) as Record<string, unknown>;
    expect(summary).toMatchObject({
      requests: 6,
      preflights: 1,
      actual: 5,
      allowed: 4,
      blocked: 2,
      blocked_if_credentialed: 0,
    });
  });
});
