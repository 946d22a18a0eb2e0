// Spans made by the real OpenTelemetry SDK and sent by a real exporter, with the OtlpSpan each should
// decode to: what the receiver tests compare the sink's input against. The values are the ones that are
// easy to lose on the wire: integers and doubles, arrays, a parent, an error status, a trace state.
import {
  context,
  createTraceState,
  type HrTime,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
} from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import type { OtlpAttributes, OtlpSpan } from './otlp-span.js';
import type { AcceptResult, AcceptSpans, IngestAuth } from './span-sink.js';

function nanos(time: HrTime): bigint {
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
}

/**
 * Spans in span-id order. exportSdkSpans' SimpleSpanProcessor exports each span in its own request, and the
 * requests race (compression is asynchronous), so a receiver may hand them over in any order.
 */
export function bySpanId(spans: readonly OtlpSpan[]): OtlpSpan[] {
  return [...spans].sort((a, b) => a.spanId.localeCompare(b.spanId));
}

/** What a receiver should hand the sink for a span the SDK ended. OTLP's SpanKind is the API's plus one. */
export function expectedOtlpSpan(span: ReadableSpan): OtlpSpan {
  return {
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    traceState: span.spanContext().traceState?.serialize() || undefined,
    name: span.name,
    kind: span.kind + 1,
    startTimeUnixNano: nanos(span.startTime),
    endTimeUnixNano: nanos(span.endTime),
    attributes: { ...span.attributes } as OtlpAttributes,
    status: { code: span.status.code, message: span.status.message },
    resource: { ...span.resource.attributes } as OtlpAttributes,
    scope: { name: span.instrumentationScope.name, version: span.instrumentationScope.version },
  };
}

/** Ends three spans through `exporter` (one export call each) and returns them as the SDK held them. */
export async function exportSdkSpans(exporter: SpanExporter): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'orders-api', 'service.instance.id': 7 }),
    spanProcessors: [new SimpleSpanProcessor(memory), new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('@corsight/instrumentation', '0.1.0');
  tracer
    .startSpan('CORS summary', {
      kind: SpanKind.INTERNAL,
      attributes: {
        'cors.kind': 'actual',
        'cors.origin': 'https://app.example.com',
        'cors.sample_weight': 12,
        'cors.reasons': ['missing_allow_origin', 'allow_credentials_not_true'],
        'cors.needs_preflight': true,
        'cors.preflight.cache_seconds': 7200,
      },
    })
    .end();
  const server = tracer.startSpan('GET /orders/:id', {
    kind: SpanKind.SERVER,
    attributes: { 'http.response.status_code': 500, 'sampling.ratio': 0.25, 'ports.tried': [80, 443] },
  });
  server.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream timed out' });
  server.end();
  const remote = trace.setSpanContext(context.active(), {
    traceId: 'ab'.repeat(16),
    spanId: 'cd'.repeat(8),
    traceFlags: TraceFlags.SAMPLED,
    traceState: createTraceState('ot=th:8'),
  });
  tracer.startSpan('CORS PUT', { attributes: { 'cors.flags': [true, false] } }, remote).end();
  await provider.forceFlush();
  const spans = [...memory.getFinishedSpans()];
  await provider.shutdown();
  return spans;
}

export interface RecordingSink {
  readonly accept: AcceptSpans;
  /** Every call, in order. */
  readonly calls: { readonly spans: OtlpSpan[]; readonly auth: IngestAuth }[];
  /** What the next calls do; by default accept everything. */
  answer: (spans: OtlpSpan[], auth: IngestAuth) => Promise<AcceptResult>;
}

/** A sink that records what it was handed and answers as the test says. */
export function recordingSink(): RecordingSink {
  const sink: RecordingSink = {
    calls: [],
    answer: () => Promise.resolve({ rejectedSpans: 0 }),
    accept: (spans, auth) => {
      sink.calls.push({ spans, auth });
      return sink.answer(spans, auth);
    },
  };
  return sink;
}
