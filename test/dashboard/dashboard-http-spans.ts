// Plain OpenTelemetry HTTP server spans for the dashboard's "Connect a service" page (issue 8), made by the
// real SDK and sent as OTLP/HTTP protobuf by its real exporter, as a Java, Python or Go service's
// instrumentation would send them: one service that captures the CORS headers (sampled at 1/4, so its counts
// are estimates), one that captures Origin but no CORS response header (not enough data) under a name
// carrying markup, and orders-api, which also sends Corsight's own spans (counted from those only).
import type { RunningCollector } from '@corsight/collector';
import type { ServiceCaptureStatus } from '@corsight/collector/api-types';
import { type Attributes, createTraceState, SpanKind } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type Sampler,
  SamplingDecision,
} from '@opentelemetry/sdk-trace-base';

export const CAPTURED_SERVICE = 'billing-java';
/** Longer than the dashboard's clip length, so the page must clip it and keep it whole in `title`. */
export const HOSTILE_SERVICE = 'legacy-python"><img src=x onerror=alert(1)><b>-checkout-service-eu-west';

/** What /api/v1/services/capture must answer for each seeded service. */
export const EXPECTED_CAPTURE: Readonly<Record<string, Omit<ServiceCaptureStatus, 'service'>>> = {
  [CAPTURED_SERVICE]: { capture: 'captured', httpSpans: 3, judged: 3, estimated: true },
  [HOSTILE_SERVICE]: { capture: 'not_enough_data', httpSpans: 2, judged: 0, estimated: false },
  'orders-api': { capture: 'corsight', httpSpans: 2, judged: 0, estimated: false },
};

/** billing-java's spans start this long ago: outside the default 24 hours, so the seeded totals stand. */
export const CAPTURED_AGO_MS = 30 * 3_600_000;
/** Each kept span of billing-java stands for 4 requests (threshold c: 1 in 4 kept). */
export const CAPTURED_WEIGHT = 4;

function serverSpan(origin: string, corsResponse: boolean): Attributes {
  return {
    'http.request.method': 'GET',
    'url.scheme': 'https',
    'server.address': 'api.example.com',
    'server.port': 443,
    'url.path': '/invoices',
    'http.route': '/invoices',
    'http.response.status_code': 200,
    'http.request.header.origin': [origin],
    ...(corsResponse
      ? {
          'http.response.header.access-control-allow-origin': [origin],
          'http.response.header.vary': ['Origin'],
        }
      : {}),
  };
}

async function send(
  collector: RunningCollector,
  service: string,
  spans: readonly { readonly attributes: Attributes; readonly startMs: number; readonly sampled: boolean }[],
): Promise<void> {
  // Consistent probability sampling at 1/4, decided at the root by the service's own sampler: OpenTelemetry's
  // threshold `c` in the span's tracestate (a threshold on a span continuing a caller's trace is not trusted).
  let sampled = false;
  const sampler: Sampler = {
    shouldSample: () => ({
      decision: SamplingDecision.RECORD_AND_SAMPLED,
      ...(sampled ? { traceState: createTraceState('ot=th:c') } : {}),
    }),
    toString: () => 'threshold c when asked',
  };
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    sampler,
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${collector.httpUrl}/v1/traces` }), {
        scheduledDelayMillis: 20,
      }),
    ],
  });
  const tracer = provider.getTracer('io.opentelemetry.tomcat-10.0');
  for (const span of spans) {
    sampled = span.sampled;
    tracer
      .startSpan('GET /invoices', {
        kind: SpanKind.SERVER,
        attributes: span.attributes,
        startTime: span.startMs,
      })
      .end(span.startMs + 3);
  }
  // Shutdown flushes the batch and resolves once the collector acknowledged it.
  await provider.shutdown();
}

/** Sends the HTTP server spans and waits until the collector's capture status shows all of them. */
export async function seedHttpSpans(collector: RunningCollector, nowMs: number): Promise<void> {
  const capturedStart = nowMs - CAPTURED_AGO_MS;
  await Promise.all([
    send(
      collector,
      CAPTURED_SERVICE,
      [0, 1, 2].map((i) => ({
        attributes: serverSpan('https://app.example.com', true),
        startMs: capturedStart + i * 1000,
        sampled: true,
      })),
    ),
    send(
      collector,
      HOSTILE_SERVICE,
      [0, 1].map((i) => ({
        attributes: serverSpan('https://app.example.com', false),
        startMs: nowMs - 60_000 + i * 1000,
        sampled: false,
      })),
    ),
    send(
      collector,
      'orders-api',
      [0, 1].map((i) => ({
        attributes: serverSpan('https://app.example.com', true),
        startMs: nowMs - 60_000 + i * 1000,
        sampled: false,
      })),
    ),
  ]);
  // billing-java's rows must be stored too: the 7-day service filter lists it from them.
  const from = new Date(nowMs - 7 * 24 * 3_600_000).toISOString();
  const deadline = Date.now() + 10_000;
  let last = '';
  while (Date.now() < deadline) {
    const [capture, services] = await Promise.all([
      getJson<{ services: ServiceCaptureStatus[] }>(collector, '/api/v1/services/capture'),
      getJson<{ services: { service: string }[] }>(collector, `/api/v1/services?from=${from}`),
    ]);
    last = JSON.stringify(capture.services);
    const stored = services.services.some((entry) => entry.service === CAPTURED_SERVICE);
    if (
      stored &&
      Object.entries(EXPECTED_CAPTURE).every(([service, want]) => matches(capture, service, want))
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the collector did not take in the seeded HTTP spans within 10 s: ${last}`);
}

async function getJson<T>(collector: RunningCollector, path: string): Promise<T> {
  return (await (await fetch(`${collector.httpUrl}${path}`)).json()) as T;
}

function matches(
  answer: { services: readonly ServiceCaptureStatus[] },
  service: string,
  want: Omit<ServiceCaptureStatus, 'service'>,
): boolean {
  const status = answer.services.find((entry) => entry.service === service);
  return (
    status !== undefined &&
    status.capture === want.capture &&
    status.httpSpans === want.httpSpans &&
    status.judged === want.judged &&
    status.estimated === want.estimated
  );
}
