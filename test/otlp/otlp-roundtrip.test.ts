// The promise: spans exported over OTLP by the real exporters reach a receiver with the same names, ids,
// times and attributes the SDK held. Both processors sit on one provider, so every span is compared with its
// own in-memory twin, matched by span id.
import {
  ATTR,
  CorsObserver,
  type CorsightOptions,
  describePolicy,
  INSTRUMENTATION_SCOPE,
  type ObservedExchange,
  SPAN_NAMES,
} from '@corsight/instrumentation';
import { context, type HrTime, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type OtlpEncoding,
  type OtlpReceiver,
  type ReceivedSpan,
  startOtlpReceiver,
} from './otlp-receiver.ts';

const APP = 'https://app.example.com';
const POLICY = { origin: [APP], methods: ['GET', 'PUT'], allowedHeaders: ['content-type', 'x-trace'] };

function exchange(
  method: string,
  requestHeaders: Record<string, string>,
  status: number,
  responseHeaders: Record<string, string>,
  route: string | undefined = '/orders/:id',
): ObservedExchange {
  return {
    request: {
      method,
      url: '/orders/7',
      headers: { host: 'api.example.com:8443', 'user-agent': 'Mozilla/5.0 (roundtrip)', ...requestHeaders },
    },
    response: { status, headers: responseHeaders },
    route,
    startTime: Date.now() - 3,
    endTime: Date.now(),
    context: undefined,
  };
}

const allowedGet = exchange('GET', { origin: APP, cookie: 'session=1' }, 200, {
  'access-control-allow-origin': APP,
  'access-control-allow-credentials': 'true',
  vary: 'Origin',
});
const blockedGet = exchange('GET', { origin: 'https://evil.example' }, 200, {});
const preflight = exchange(
  'OPTIONS',
  {
    origin: APP,
    'access-control-request-method': 'PUT',
    'access-control-request-headers': 'content-type,x-trace',
  },
  204,
  {
    'access-control-allow-origin': APP,
    'access-control-allow-credentials': 'true',
    'access-control-allow-methods': 'GET, PUT',
    'access-control-allow-headers': 'content-type, x-trace',
    'access-control-max-age': '600',
    vary: 'Origin',
  },
);
const preflightedPut = exchange(
  'PUT',
  { origin: APP, 'content-type': 'application/json', 'x-trace': '1' },
  201,
  {
    'access-control-allow-origin': APP,
    'access-control-expose-headers': 'location',
    vary: 'Origin',
  },
);
const unmatched = exchange('GET', { origin: APP }, 404, { 'access-control-allow-origin': '*' }, undefined);

interface Transport {
  readonly name: string;
  readonly encoding: OtlpEncoding;
  readonly gzip: boolean;
  readonly exporter: (url: string) => OtlpProtoExporter | OtlpJsonExporter;
}

const TRANSPORTS: readonly Transport[] = [
  { name: 'protobuf', encoding: 'protobuf', gzip: false, exporter: (url) => new OtlpProtoExporter({ url }) },
  {
    name: 'protobuf + gzip',
    encoding: 'protobuf',
    gzip: true,
    exporter: (url) => new OtlpProtoExporter({ url }),
  },
  { name: 'JSON + gzip', encoding: 'json', gzip: true, exporter: (url) => new OtlpJsonExporter({ url }) },
];

function nanos(time: HrTime): bigint {
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
}

/** What the receiver should hold for a span the SDK ended. OTLP's SpanKind is the API's plus one. */
function onTheWire(span: ReadableSpan): Omit<ReceivedSpan, 'traceState'> {
  return {
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    name: span.name,
    kind: span.kind + 1,
    startTimeUnixNano: nanos(span.startTime),
    endTimeUnixNano: nanos(span.endTime),
    attributes: span.attributes as ReceivedSpan['attributes'],
    status: { code: span.status.code, message: span.status.message },
    resource: span.resource.attributes as ReceivedSpan['resource'],
    scope: { name: span.instrumentationScope.name, version: span.instrumentationScope.version },
  };
}

let receiver: OtlpReceiver;

beforeEach(async () => {
  receiver = await startOtlpReceiver();
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await receiver.close();
});

describe.each(TRANSPORTS)('CORS spans exported over OTLP ($name)', (transport) => {
  async function exportThroughBoth(
    options: CorsightOptions,
    observe: (observer: CorsObserver) => void,
  ): Promise<{ expected: ReadableSpan[]; received: readonly ReceivedSpan[] }> {
    if (transport.gzip) vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_COMPRESSION', 'gzip');
    const memory = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        'service.name': 'orders-api',
        'deployment.environment.name': 'test',
      }),
      spanProcessors: [
        new SimpleSpanProcessor(memory),
        new BatchSpanProcessor(transport.exporter(receiver.tracesUrl)),
      ],
    });
    const observer = new CorsObserver({ tracerProvider, ...options });
    observe(observer);
    await observer.shutdown();
    await tracerProvider.forceFlush();
    // Read before shutdown: shutting the in-memory exporter down empties it.
    const expected = [...memory.getFinishedSpans()];
    await tracerProvider.shutdown();
    expect(receiver.rejections).toEqual([]);
    expect(receiver.requests.map((r) => [r.encoding, r.gzip])).toEqual(
      receiver.requests.map(() => [transport.encoding, transport.gzip]),
    );
    return { expected, received: await receiver.waitForSpans(expected.length) };
  }

  function expectSameSpans(expected: readonly ReadableSpan[], received: readonly ReceivedSpan[]): void {
    expect(received).toHaveLength(expected.length);
    const bySpanId = new Map(received.map((span) => [span.spanId, span]));
    for (const span of expected) {
      expect(bySpanId.get(span.spanContext().spanId)).toMatchObject(onTheWire(span));
      // toMatchObject lets extra keys through; attribute maps must match exactly.
      expect(bySpanId.get(span.spanContext().spanId)?.attributes).toStrictEqual({ ...span.attributes });
    }
  }

  it('summary and detail spans decode to the attributes the SDK held, span by span', async () => {
    const parent = trace.wrapSpanContext({ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), traceFlags: 1 });
    const { expected, received } = await exportThroughBoth(
      { serviceName: 'orders-api', policy: POLICY },
      (observer) => {
        for (let i = 0; i < 3; i++) observer.observe(allowedGet);
        for (let i = 0; i < 4; i++) observer.observe(blockedGet);
        observer.observe(preflight);
        observer.observe({ ...preflightedPut, context: trace.setSpan(context.active(), parent) });
        observer.observe(unmatched);
      },
    );
    expectSameSpans(expected, received);

    // The scenario really produced the values that are easy to lose on the wire.
    expect(new Set(received.map((s) => s.name))).toEqual(
      new Set([SPAN_NAMES.summary, SPAN_NAMES.preflight, 'CORS GET', 'CORS PUT']),
    );
    expect(received.every((s) => s.scope.name === INSTRUMENTATION_SCOPE)).toBe(true);
    expect(received.every((s) => s.resource['service.name'] === 'orders-api')).toBe(true);
    const summaryOf = (outcome: string, kind = 'actual'): ReceivedSpan | undefined =>
      received.find(
        (s) =>
          s.name === SPAN_NAMES.summary &&
          s.attributes[ATTR.outcome] === outcome &&
          s.attributes[ATTR.kind] === kind,
      );
    expect(summaryOf('blocked')?.attributes).toMatchObject({
      [ATTR.sampleWeight]: 4,
      [ATTR.reasons]: ['missing_allow_origin', 'allow_credentials_not_true'],
      [ATTR.policyHash]: describePolicy(POLICY).hash,
    });
    expect(summaryOf('allowed', 'preflight')?.attributes).toMatchObject({
      [ATTR.requestMethod]: 'PUT',
      [ATTR.preflightCacheChromium]: 600,
      [ATTR.preflightCacheFirefox]: 600,
      [ATTR.preflightCacheWebkit]: 600,
    });
    const put = received.find((s) => s.name === 'CORS PUT');
    expect(put?.attributes).toMatchObject({
      [ATTR.needsPreflight]: true,
      [ATTR.requestHeaders]: ['content-type', 'x-trace'],
      [ATTR.sampleWeight]: 0,
      [ATTR.httpResponseStatusCode]: 201,
    });
    expect(put?.parentSpanId).toBe('cd'.repeat(8));
    expect(put?.traceId).toBe('ab'.repeat(16));
  });

  it('per-request spans keep a fractional sample weight as a double', async () => {
    // Sampling 0.8 weighs each sampled span 1.25; twenty requests all go unsampled once in 10^14 runs.
    const { expected, received } = await exportThroughBoth({ sampling: 0.8 }, (observer) => {
      for (let i = 0; i < 20; i++) observer.observe(blockedGet);
    });
    expect(expected.length).toBeGreaterThan(0);
    expectSameSpans(expected, received);
    expect(received.map((s) => s.attributes[ATTR.sampleWeight])).toEqual(received.map(() => 1.25));
  });
});
