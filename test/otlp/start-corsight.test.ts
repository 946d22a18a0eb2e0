// startCorsight against a real OTLP/HTTP receiver: the NodeSDK it starts exports to the endpoint given, or to the
// one the standard OTEL_* variables name, and Corsight's own spans travel the same way.
import {
  ATTR,
  CorsObserver,
  type CorsightSdk,
  type ObservedExchange,
  SPAN_NAMES,
  startCorsight,
} from '@corsight/instrumentation';
import { context, propagation, trace } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver } from './otlp-receiver.ts';

let receiver: OtlpReceiver;
let corsight: CorsightSdk | undefined;

beforeEach(async () => {
  receiver = await startOtlpReceiver();
});

afterEach(async () => {
  await corsight?.shutdown();
  corsight = undefined;
  // The SDK registered globals; the next test starts from none.
  trace.disable();
  context.disable();
  propagation.disable();
  vi.unstubAllEnvs();
  await receiver.close();
});

/** A GET from `origin` answered without any CORS header: blocked. */
function getWithoutCors(origin: string): ObservedExchange {
  return {
    request: { method: 'GET', url: '/orders/1', headers: { origin, host: 'api.test' } },
    response: { status: 200, headers: {} },
    route: '/orders/:id',
    startTime: Date.now() - 2,
    endTime: Date.now(),
    context: undefined,
  };
}

function endSpan(name: string): void {
  trace.getTracer('start-corsight.test').startSpan(name).end();
}

describe('startCorsight', () => {
  it('exports spans made through @opentelemetry/api to <endpoint>/v1/traces, service.name on the resource', async () => {
    corsight = await startCorsight({
      serviceName: 'orders-api',
      endpoint: receiver.url,
      headers: { authorization: 'Bearer s3cret' },
    });
    expect(corsight.enabled).toBe(true);
    endSpan('checkout');
    await corsight.shutdown();
    expect(receiver.spans.map((s) => [s.name, s.resource['service.name']])).toEqual([
      ['checkout', 'orders-api'],
    ]);
    expect(receiver.requests.map((r) => [r.encoding, r.headers.authorization])).toEqual([
      ['protobuf', 'Bearer s3cret'],
    ]);
  });

  it('takes the endpoint, service name, resource attributes and headers from OTEL_* when no option is given', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', receiver.url);
    vi.stubEnv('OTEL_SERVICE_NAME', 'billing-api');
    vi.stubEnv('OTEL_RESOURCE_ATTRIBUTES', 'deployment.environment.name=staging,service.version=1.4.2');
    vi.stubEnv('OTEL_EXPORTER_OTLP_HEADERS', 'x-corsight-token=abc123');
    corsight = await startCorsight();
    endSpan('invoice');
    await corsight.shutdown();
    expect(receiver.spans.map((s) => s.name)).toEqual(['invoice']);
    expect(receiver.spans[0]?.resource).toMatchObject({
      'service.name': 'billing-api',
      'service.version': '1.4.2',
      'deployment.environment.name': 'staging',
    });
    expect(receiver.requests[0]?.headers['x-corsight-token']).toBe('abc123');
  });

  it('lets explicit options win over OTEL_* variables', async () => {
    const elsewhere = await startOtlpReceiver();
    try {
      vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', elsewhere.url);
      vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', elsewhere.tracesUrl);
      vi.stubEnv('OTEL_SERVICE_NAME', 'from-env');
      corsight = await startCorsight({ serviceName: 'from-options', endpoint: receiver.url });
      endSpan('explicit');
      await corsight.shutdown();
      expect(receiver.spans.map((s) => [s.name, s.resource['service.name']])).toEqual([
        ['explicit', 'from-options'],
      ]);
      expect(elsewhere.requests).toEqual([]);
    } finally {
      await elsewhere.close();
    }
  });

  it("carries Corsight's CORS spans from the plugin's observer to the receiver", async () => {
    corsight = await startCorsight({ serviceName: 'orders-api', endpoint: receiver.url });
    // No tracerProvider option: the observer uses the global one startCorsight registered.
    const observer = new CorsObserver();
    observer.observe(getWithoutCors('https://evil.example'));
    await observer.shutdown();
    await corsight.shutdown();
    expect(receiver.spans.map((s) => s.name).sort()).toEqual(['CORS GET', SPAN_NAMES.summary]);
    for (const span of receiver.spans) {
      expect(span.resource['service.name']).toBe('orders-api');
      expect(span.attributes).toMatchObject({
        [ATTR.outcome]: 'blocked',
        [ATTR.origin]: 'https://evil.example',
        [ATTR.httpRoute]: '/orders/:id',
      });
    }
  });

  it('emits what observers counted since their last flush when the SDK shuts down first', async () => {
    corsight = await startCorsight({ serviceName: 'orders-api', endpoint: receiver.url });
    // A minute's interval, and no observer.shutdown(): the app's SIGTERM handler stops only the SDK.
    const observer = new CorsObserver({ flushIntervalMs: 60_000 });
    for (let i = 0; i < 3; i++) observer.observe(getWithoutCors('https://app.example'));
    await corsight.shutdown();
    const summaries = receiver.spans.filter((span) => span.name === SPAN_NAMES.summary);
    expect(summaries.map((span) => span.attributes[ATTR.sampleWeight])).toEqual([3]);
    await observer.shutdown();
  });

  it('stays off when OTEL_SDK_DISABLED=true: nothing registered, nothing sent', async () => {
    vi.stubEnv('OTEL_SDK_DISABLED', 'true');
    corsight = await startCorsight({ serviceName: 'orders-api', endpoint: receiver.url });
    expect(corsight.enabled).toBe(false);
    const span = trace.getTracer('start-corsight.test').startSpan('dropped');
    expect(span.isRecording()).toBe(false);
    span.end();
    await corsight.forceFlush();
    await corsight.shutdown();
    expect(receiver.requests).toEqual([]);
  });

  it('reports itself disabled when OTEL_TRACES_EXPORTER=none leaves the SDK without a tracer provider', async () => {
    vi.stubEnv('OTEL_TRACES_EXPORTER', 'none');
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', receiver.url);
    corsight = await startCorsight({ serviceName: 'orders-api' });
    expect(corsight.enabled).toBe(false);
    endSpan('dropped');
    await corsight.shutdown();
    expect(receiver.requests).toEqual([]);
  });

  it('flushes on demand without shutting down', async () => {
    corsight = await startCorsight({ serviceName: 'orders-api', endpoint: receiver.url });
    endSpan('first');
    await corsight.forceFlush();
    expect(receiver.spans.map((s) => s.name)).toEqual(['first']);
    endSpan('second');
    await corsight.shutdown();
    await corsight.shutdown();
    expect(receiver.spans.map((s) => s.name)).toEqual(['first', 'second']);
  });
});
