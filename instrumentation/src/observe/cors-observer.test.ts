import { context, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { ATTR, ORIGIN_INVALID, ORIGIN_OTHER, ROUTE_UNMATCHED, SPAN_NAMES } from '../schema.js';
import { CorsObserver, type ObservedExchange } from './cors-observer.js';
import type { CorsightOptions } from './options.js';
import { MAX_REMEMBERED } from './verdict-memo.js';

const O = 'https://app.example.com';
let observer: CorsObserver | undefined;

function setup(options: CorsightOptions = {}): { observer: CorsObserver; spans: () => ReadableSpan[] } {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  observer = new CorsObserver({ tracerProvider, ...options });
  return { observer, spans: () => exporter.getFinishedSpans() };
}

afterEach(async () => {
  await observer?.shutdown();
});

function exchange(origin: string, allowOrigin: string | undefined, route = '/orders/:id'): ObservedExchange {
  return {
    request: {
      method: 'GET',
      url: '/orders/1',
      headers: { origin, host: 'api.example.com', 'user-agent': 'UA' },
    },
    response: {
      status: 200,
      headers: allowOrigin === undefined ? {} : { 'access-control-allow-origin': allowOrigin },
    },
    route,
    startTime: 1_000,
    endTime: 1_002,
    context: undefined,
  };
}

describe('CorsObserver in summary mode', () => {
  it('counts every request exactly in summary spans and keeps a few exemplars with no weight', async () => {
    const { observer, spans } = setup({ serviceName: 'orders-api' });
    for (let i = 0; i < 7; i++) observer.observe(exchange(O, O));
    for (let i = 0; i < 12; i++) observer.observe(exchange('https://evil.example', undefined));
    observer.observe({ ...exchange(O, O), route: undefined });
    await observer.shutdown();
    const summaries = spans().filter((s) => s.name === SPAN_NAMES.summary);
    const details = spans().filter((s) => s.name === 'CORS GET');
    const weight = (s: ReadableSpan): number => s.attributes[ATTR.sampleWeight] as number;
    expect(summaries.map(weight).reduce((a, b) => a + b, 0)).toBe(20);
    expect(details.map(weight)).toEqual(Array(details.length).fill(0));
    // 2 exemplars for the allowed key, 10 for the blocked one, 1 for the unmatched route.
    expect(details).toHaveLength(13);
    const blocked = summaries.find((s) => s.attributes[ATTR.outcome] === 'blocked');
    expect(blocked?.attributes).toMatchObject({
      [ATTR.kind]: 'actual',
      [ATTR.origin]: 'https://evil.example',
      [ATTR.httpRoute]: '/orders/:id',
      [ATTR.reasons]: ['missing_allow_origin', 'allow_credentials_not_true'],
      [ATTR.sampleWeight]: 12,
      [ATTR.serviceName]: 'orders-api',
    });
    expect(summaries.some((s) => s.attributes[ATTR.httpRoute] === ROUTE_UNMATCHED)).toBe(true);
    const example = details.find((s) => s.attributes[ATTR.outcome] === 'blocked_if_credentialed');
    expect(example?.attributes).toMatchObject({
      [ATTR.responseAllowOrigin]: O,
      [ATTR.httpResponseStatusCode]: 200,
      [ATTR.userAgent]: 'UA',
      [ATTR.serverAddress]: 'api.example.com',
    });
  });

  it('keeps hostile origins from growing keys: invalid values and overflow fold away', async () => {
    const { observer, spans } = setup({ limits: { originsPerRoute: 3, exemplarsPerBlockedKey: 0 } });
    for (let i = 0; i < 1000; i++) observer.observe(exchange(`https://random-${i}.example`, undefined));
    observer.observe(exchange('x'.repeat(100_000), undefined));
    await observer.shutdown();
    const summaries = spans().filter((s) => s.name === SPAN_NAMES.summary);
    // The invalid origin is a key of its own (it also carries malformed_request_origin), folded all the same.
    expect(new Set(summaries.map((s) => s.attributes[ATTR.origin]))).toEqual(
      new Set([
        '(other)',
        'https://random-0.example',
        'https://random-1.example',
        'https://random-2.example',
      ]),
    );
    expect(summaries).toHaveLength(5);
    const total = summaries.reduce((n, s) => n + (s.attributes[ATTR.sampleWeight] as number), 0);
    expect(total).toBe(1001);
    expect(ORIGIN_OTHER).toBe('(other)');
    expect(ORIGIN_INVALID).toBe('invalid');
  });

  it('counts repeated exchanges exactly across intervals, past the judgements it remembers', async () => {
    const { observer, spans } = setup({ limits: { originsPerRoute: 1000, exemplarsPerBlockedKey: 1 } });
    const stream = (round: number): void => {
      for (let i = 0; i < MAX_REMEMBERED + 100; i++) {
        observer.observe(exchange(`https://o${i % 700}.example`, undefined, `/r${i % 3}`));
        observer.observe(exchange(O, O));
        // Same inputs as the first, another route: counted under its own key.
        observer.observe(exchange(O, O, '/other'));
        if (i === 300) observer.flush();
      }
      observer.observe({
        ...exchange(O, O),
        request: { method: 'GET', headers: { origin: `${O}x`.repeat(round) } },
      });
    };
    stream(1);
    observer.flush();
    stream(2);
    await observer.shutdown();
    const summaries = spans().filter((s) => s.name === SPAN_NAMES.summary);
    const sum = (route: string, origin: string): number =>
      summaries
        .filter((s) => s.attributes[ATTR.httpRoute] === route && s.attributes[ATTR.origin] === origin)
        .reduce((n, s) => n + (s.attributes[ATTR.sampleWeight] as number), 0);
    expect(sum('/orders/:id', O)).toBe(2 * (MAX_REMEMBERED + 100));
    expect(sum('/other', O)).toBe(2 * (MAX_REMEMBERED + 100));
    expect(sum('/r0', 'https://o0.example')).toBe(2);
    expect(sum('/r1', 'https://o601.example')).toBe(2);
    expect(sum('/r0', 'https://o601.example')).toBe(0);
    const all = summaries.reduce((n, s) => n + (s.attributes[ATTR.sampleWeight] as number), 0);
    expect(all).toBe(2 * (3 * (MAX_REMEMBERED + 100) + 1));
    // Exemplars: one per blocked key and interval (o5 is seen once per stream), two per allowed key and
    // interval (two intervals per stream).
    const details = spans().filter((s) => s.name === 'CORS GET');
    expect(details.filter((s) => s.attributes[ATTR.origin] === 'https://o5.example')).toHaveLength(2);
    expect(
      details.filter((s) => s.attributes[ATTR.origin] === O && s.attributes[ATTR.httpRoute] === '/other'),
    ).toHaveLength(8);
  });

  it('judges each response, not only the first of its kind: a changed header changes the verdict', async () => {
    const { observer, spans } = setup();
    observer.observe(exchange(O, O));
    observer.observe(exchange(O, undefined));
    observer.observe(exchange(O, '*'));
    observer.observe({
      ...exchange(O, O),
      request: { method: 'GET', headers: { origin: O, cookie: 'a=b' } },
    });
    await observer.shutdown();
    const outcomes = spans()
      .filter((s) => s.name === SPAN_NAMES.summary)
      .map((s) => [
        s.attributes[ATTR.outcome],
        s.attributes[ATTR.credentials],
        s.attributes[ATTR.sampleWeight],
      ]);
    expect(outcomes).toEqual([
      ['blocked_if_credentialed', 'unknown', 1],
      ['blocked', 'unknown', 1],
      ['blocked_if_credentialed', 'unknown', 1],
      ['blocked', 'include', 1],
    ]);
  });

  it('ignores requests that are not CORS', async () => {
    const { observer, spans } = setup();
    observer.observe({ ...exchange(O, O), request: { method: 'GET', headers: {} } });
    await observer.shutdown();
    expect(spans()).toEqual([]);
  });

  it('parents detail spans on the context active when the request arrived', async () => {
    const { observer, spans } = setup();
    const parent = trace.wrapSpanContext({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 });
    observer.observe({ ...exchange(O, O), context: trace.setSpan(context.active(), parent) });
    await observer.shutdown();
    const detail = spans().find((s) => s.name === 'CORS GET');
    expect(detail?.spanContext().traceId).toBe('a'.repeat(32));
    expect(detail?.parentSpanContext?.spanId).toBe('b'.repeat(16));
  });
});

describe('CorsObserver in per-request mode', () => {
  it('emits one span per request weighted 1/sampling and no summaries', async () => {
    const { observer, spans } = setup({ sampling: 1 });
    for (let i = 0; i < 5; i++) observer.observe(exchange(O, O));
    await observer.shutdown();
    expect(spans().map((s) => [s.name, s.attributes[ATTR.sampleWeight]])).toEqual(
      Array(5).fill(['CORS GET', 1]),
    );
  });

  it('rejects a sampling rate outside (0, 1]', () => {
    expect(() => new CorsObserver({ sampling: 0 })).toThrow(/sampling must be a probability/);
    expect(() => new CorsObserver({ serverOrigin: 'api.example.com' })).toThrow(/serverOrigin must be/);
  });

  it('refuses an option it does not know, naming the one meant', () => {
    const misspelt = { servicename: 'orders-api' } as CorsightOptions;
    expect(() => new CorsObserver(misspelt)).toThrow(
      /unknown option "servicename"; did you mean serviceName\?/,
    );
    expect(() => new CorsObserver({ limits: { originsperroute: 5 } } as CorsightOptions)).toThrow(
      /unknown option limits\."originsperroute"; did you mean originsPerRoute\?/,
    );
    expect(() => new CorsObserver({ colour: 'blue' } as CorsightOptions)).toThrow(
      /the options are serviceName,/,
    );
    // What Fastify's register() and the middleware also take is not refused.
    expect(
      () => new CorsObserver({ prefix: '/v1', route: () => undefined } as CorsightOptions),
    ).not.toThrow();
  });
});
