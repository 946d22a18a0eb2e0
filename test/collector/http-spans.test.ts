// Issue 8 end to end: plain HTTP server spans made by the OpenTelemetry SDK (as a Java, Python, .NET or Go
// service's instrumentation would make them, with the CORS headers captured), exported over OTLP/HTTP
// protobuf to a running collector. Sampled spans carry OpenTelemetry's threshold (`ot=th:`) and must sum to
// the true request count within sampling error; a service that also sends Corsight's spans is not counted
// twice; the capture status per service is served on /api/v1/services/capture.
import corsight from '@corsight/instrumentation/fastify';
import cors from '@fastify/cors';
import {
  type Attributes,
  createTraceState,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  TraceFlags,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type Sampler,
  SamplingDecision,
} from '@opentelemetry/sdk-trace-base';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { useTempCollector } from './temp-collector.fixture.ts';

const collector = useTempCollector('http-spans', { CORSIGHT_BATCH_AGE_MS: '50' });

function provider(service: string, sampler?: Sampler): BasicTracerProvider {
  return new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    ...(sampler === undefined ? {} : { sampler }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${collector().httpUrl}/v1/traces` }), {
        maxExportBatchSize: 512,
        scheduledDelayMillis: 50,
      }),
    ],
  });
}

/** A GET from `origin` answered with a reflected Allow-Origin (allowed) or with none (blocked). */
function getAttributes(origin: string, allowed: boolean): Attributes {
  return {
    'http.request.method': 'GET',
    'url.scheme': 'https',
    'server.address': 'api.example',
    'server.port': 443,
    'url.path': '/orders',
    'http.route': '/orders',
    'http.response.status_code': 200,
    'http.request.header.origin': [origin],
    ...(allowed
      ? {
          'http.response.header.access-control-allow-origin': [origin],
          'http.response.header.vary': ['Origin'],
        }
      : {}),
  };
}

/** mulberry32: the sampling decisions are reproducible. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function sums(service: string): Promise<{ outcome: string; weight: number; rows: number }[]> {
  const result = await collector().store.client.query({
    query: `SELECT toString(outcome) AS outcome, sum(sample_weight) AS weight, count() AS rows
            FROM cors_events WHERE service = {service:String} GROUP BY outcome ORDER BY outcome`,
    query_params: { service },
    format: 'JSONEachRow',
  });
  return (await result.json<{ outcome: string; weight: number; rows: string }>()).map((row) => ({
    outcome: row.outcome,
    weight: row.weight,
    rows: Number(row.rows),
  }));
}

async function waitStored(): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const accepted = (await collector().metrics.spansAccepted.get()).values[0]?.value ?? 0;
    const stored = (await collector().metrics.rowsStored.get()).values[0]?.value ?? 0;
    if (stored >= accepted || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('HTTP server spans from any OpenTelemetry SDK', () => {
  it('sums sampled spans (ot=th:c, one request in four kept) to the true count within sampling error', async () => {
    // Consistent probability sampling at 1/4, decided at the root: threshold c (rejection of 3/4 of the 56-bit
    // random values) in the span's tracestate. Only a root span's threshold is its service's own; a span
    // continuing a caller's trace carries the caller's tracestate, which counts as weight 1 (checked below).
    let keep = false;
    const quarter: Sampler = {
      shouldSample: () =>
        keep
          ? { decision: SamplingDecision.RECORD_AND_SAMPLED, traceState: createTraceState('ot=th:c') }
          : { decision: SamplingDecision.NOT_RECORD },
      toString: () => 'quarter',
    };
    const tracerProvider = provider('billing-java', quarter);
    const tracer = tracerProvider.getTracer('io.opentelemetry.tomcat-10.0');
    const random = seeded(11);
    const callerSays = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      traceFlags: TraceFlags.SAMPLED,
      traceState: createTraceState('ot=th:fffffffff'),
      isRemote: true,
    });
    // Reflected Allow-Origin without Allow-Credentials: allowed unless the caller sent credentials, which
    // the server cannot see (no Cookie captured) — stored as blocked_if_credentialed.
    const TRUE_COUNT = { blocked_if_credentialed: 3000, blocked: 1000 };
    for (const [outcome, count] of Object.entries(TRUE_COUNT)) {
      for (let i = 0; i < count; i++) {
        keep = random() < 0.25;
        tracer
          .startSpan('GET /orders', {
            kind: SpanKind.SERVER,
            attributes: getAttributes(
              outcome === 'blocked' ? 'https://old.example' : 'https://app.example',
              outcome !== 'blocked',
            ),
          })
          .end();
      }
    }
    // A client that sent `tracestate: ot=th:fffffffff` (one request in 2^36) with its traceparent.
    keep = true;
    tracer
      .startSpan(
        'GET /orders',
        { kind: SpanKind.SERVER, attributes: getAttributes('https://old.example', false) },
        callerSays,
      )
      .end();
    await tracerProvider.shutdown();
    await waitStored();
    const stored = await sums('billing-java');
    for (const [outcome, count] of Object.entries(TRUE_COUNT)) {
      const row = stored.find((entry) => entry.outcome === outcome);
      // The caller's span counts 1 among the blocked ones.
      const caller = outcome === 'blocked' ? 1 : 0;
      // Each kept span stands for 4: the sum's standard deviation is sqrt(n·p·(1−p)) / p.
      const sigma = Math.sqrt(count * 0.25 * 0.75) / 0.25;
      expect(row?.weight, `${outcome}: ${JSON.stringify(row)}`).toBeGreaterThan(count - 3 * sigma);
      expect(row?.weight).toBeLessThan(count + 3 * sigma);
      expect(row?.rows).toBe(((row?.weight ?? 0) - caller) / 4 + caller);
    }
    const status = (await (await fetch(`${collector().httpUrl}/api/v1/services/capture`)).json()) as {
      services: { service: string; capture: string; estimated: boolean }[];
    };
    expect(status.services).toContainEqual(
      expect.objectContaining({ service: 'billing-java', capture: 'captured', estimated: true }),
    );
  });

  it("counts a service that sends both Corsight's spans and HTTP spans once, from Corsight's", async () => {
    const tracerProvider = provider('orders-node');
    const app = Fastify();
    await app.register(corsight, { tracerProvider, serviceName: 'orders-node', sampling: 1 });
    await app.register(cors, { origin: ['https://app.example'] });
    app.get('/orders', () => ({ ok: true }));
    const tracer = tracerProvider.getTracer('@opentelemetry/instrumentation-http');
    for (let i = 0; i < 10; i++) {
      // What instrumentation-http would record for the same request, beside Corsight's own span.
      const server = tracer.startSpan('GET /orders', {
        kind: SpanKind.SERVER,
        attributes: getAttributes('https://app.example', true),
      });
      await app.inject({ url: '/orders', headers: { origin: 'https://app.example' } });
      server.end();
    }
    await app.close();
    await tracerProvider.shutdown();
    await waitStored();
    expect(await sums('orders-node')).toEqual([{ outcome: 'blocked_if_credentialed', weight: 10, rows: 10 }]);
    const status = (await (await fetch(`${collector().httpUrl}/api/v1/services/capture`)).json()) as {
      services: { service: string; capture: string; httpSpans: number }[];
    };
    expect(status.services).toContainEqual(
      expect.objectContaining({ service: 'orders-node', capture: 'corsight', httpSpans: 10 }),
    );
  });

  it('reports a service that captures Origin but no CORS response header as not enough data', async () => {
    const tracerProvider = provider('python-api');
    const tracer = tracerProvider.getTracer('opentelemetry.instrumentation.asgi');
    for (let i = 0; i < 5; i++) {
      tracer
        .startSpan('GET /orders', {
          kind: SpanKind.SERVER,
          attributes: getAttributes('https://app.example', false),
        })
        .end();
    }
    await tracerProvider.shutdown();
    await waitStored();
    expect(await sums('python-api')).toEqual([]);
    const status = (await (await fetch(`${collector().httpUrl}/api/v1/services/capture`)).json()) as {
      services: { service: string; capture: string; judged: number }[];
      captureHeaders: { response: string[] };
    };
    expect(status.services).toContainEqual(
      expect.objectContaining({ service: 'python-api', capture: 'not_enough_data', judged: 0 }),
    );
    expect(status.captureHeaders.response).toContain('access-control-allow-origin');
  });
});
