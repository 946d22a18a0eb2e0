// Where the plugin looks (the Fastify context it is registered in and that context's children, each request
// counted once however it is registered) and whom its detail spans belong to (the HTTP server span active
// when the request arrived, also for preflights @fastify/cors answers before Corsight's own hooks run).
import { Writable } from 'node:stream';
import cors from '@fastify/cors';
import { context, propagation, SpanKind, type Span, trace } from '@opentelemetry/api';
import { node } from '@opentelemetry/sdk-node';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import Fastify, { type FastifyHttpOptions, type FastifyInstance } from 'fastify';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import corsight from './fastify.js';
import { ATTR, ROUTE_UNMATCHED } from './schema.js';

const A = 'https://a.example';

function collectSpans(): { tracerProvider: BasicTracerProvider; spans: () => ReadableSpan[] } {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { tracerProvider, spans: () => exporter.getFinishedSpans() };
}

const apps: FastifyInstance[] = [];

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function newApp(options: FastifyHttpOptions<Server> = {}): FastifyInstance {
  const app = Fastify(options);
  apps.push(app);
  return app;
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

function lineCollector(lines: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
}

const summaryCounts = (spans: readonly ReadableSpan[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const span of spans) {
    if (span.attributes[ATTR.spanRole] !== 'summary') continue;
    const key = `${String(span.attributes[ATTR.serviceName])} ${String(span.attributes[ATTR.httpRoute])}`;
    counts[key] = (counts[key] ?? 0) + (span.attributes[ATTR.sampleWeight] as number);
  }
  return counts;
};

describe('encapsulation', () => {
  it('registered in a child context, observes that context’s routes only', async () => {
    const { tracerProvider, spans } = collectSpans();
    const app = newApp();
    await app.register(
      async (child) => {
        await child.register(corsight, { tracerProvider, serviceName: 'v1' });
        child.get('/orders/:id', () => 'order');
      },
      { prefix: '/v1' },
    );
    app.get('/health', () => 'ok');
    for (const url of ['/v1/orders/1', '/v1/orders/2', '/health']) {
      await app.inject({ method: 'GET', url, headers: { origin: A } });
    }
    await app.close();
    expect(summaryCounts(spans())).toEqual({ 'v1 /v1/orders/:id': 2 });
  });

  it('registered at the root, observes children and the 404 handler too', async () => {
    const { tracerProvider, spans } = collectSpans();
    const app = newApp();
    await app.register(corsight, { tracerProvider, serviceName: 'root' });
    await app.register(
      (child, _options, done) => {
        child.get('/orders/:id', () => 'order');
        done();
      },
      { prefix: '/v1' },
    );
    for (const url of ['/v1/orders/1', '/v1/nowhere']) {
      await app.inject({ method: 'GET', url, headers: { origin: A } });
    }
    await app.close();
    expect(summaryCounts(spans())).toEqual({ 'root /v1/orders/:id': 1, [`root ${ROUTE_UNMATCHED}`]: 1 });
  });

  it.each([
    ['the root first', true, 'root'],
    // A child context takes its parent's hooks when it is created: the root's, added later, never reach it.
    ['the child first', false, 'child'],
  ])(
    'registered at the root and in a child (%s), counts each request once',
    async (_name, rootFirst, inner) => {
      const { tracerProvider, spans } = collectSpans();
      const app = newApp();
      if (rootFirst) await app.register(corsight, { tracerProvider, serviceName: 'root' });
      await app.register(async (child) => {
        await child.register(corsight, { tracerProvider, serviceName: 'child' });
        child.get('/inner', () => 'inner');
      });
      if (!rootFirst) await app.register(corsight, { tracerProvider, serviceName: 'root' });
      app.get('/outer', () => 'outer');
      for (const url of ['/inner', '/outer'])
        await app.inject({ method: 'GET', url, headers: { origin: A } });
      await app.close();
      // The registration whose hooks run first observes what both see.
      expect(summaryCounts(spans())).toEqual({ [`${inner} /inner`]: 1, 'root /outer': 1 });
    },
  );

  it('in sibling contexts, each registration observes its own routes', async () => {
    const { tracerProvider, spans } = collectSpans();
    const app = newApp();
    for (const name of ['orders', 'users']) {
      await app.register(async (child) => {
        await child.register(corsight, { tracerProvider, serviceName: name });
        child.get(`/${name}/:id`, () => name);
      });
    }
    for (const url of ['/orders/1', '/users/1', '/users/2']) {
      await app.inject({ method: 'GET', url, headers: { origin: A } });
    }
    await app.close();
    expect(summaryCounts(spans())).toEqual({ 'orders /orders/:id': 1, 'users /users/:id': 2 });
  });

  it('warns once, and reports (unmatched), for preflights to routes added before it', async () => {
    const { tracerProvider, spans } = collectSpans();
    const lines: string[] = [];
    const app = newApp({ logger: { level: 'warn', stream: lineCollector(lines) } });
    app.put('/early/:id', () => 'early');
    await app.register(corsight, { tracerProvider, sampling: 1 });
    app.put('/late/:id', () => 'late');
    for (const url of ['/early/1', '/early/2', '/late/1']) {
      await app.inject({
        method: 'OPTIONS',
        url,
        headers: { origin: A, 'access-control-request-method': 'PUT' },
      });
    }
    await app.close();
    expect(spans().map((span) => span.attributes[ATTR.httpRoute])).toEqual([
      ROUTE_UNMATCHED,
      ROUTE_UNMATCHED,
      '/late/:id',
    ]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('Register Corsight before your routes');
  });

  it('registered twice in one context, warns and counts each request once', async () => {
    const { tracerProvider, spans } = collectSpans();
    const lines: string[] = [];
    const app = newApp({ logger: { level: 'warn', stream: lineCollector(lines) } });
    await app.register(corsight, { tracerProvider, serviceName: 'first' });
    await app.register(corsight, { tracerProvider, serviceName: 'second' });
    app.get('/orders/:id', () => 'order');
    await app.inject({ method: 'GET', url: '/orders/1', headers: { origin: A } });
    await app.close();
    expect(summaryCounts(spans())).toEqual({ 'first /orders/:id': 1 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('registered twice');
  });

  it('rejects invalid options at registration', async () => {
    const app = newApp();
    await expect(app.register(corsight, { sampling: 2 })).rejects.toMatchObject({
      code: 'CORSIGHT_INVALID_OPTION',
      message: expect.stringContaining('sampling must be a probability') as unknown,
    });
  });
});

describe('trace context', () => {
  afterEach(() => {
    trace.disable();
    context.disable();
    propagation.disable();
  });

  /**
   * What the OpenTelemetry HTTP instrumentation does to a server: each 'request' event runs inside a new
   * SERVER span's context, ended when the response finishes.
   */
  function instrumentServer(app: FastifyInstance): Span[] {
    const tracer = trace.getTracer('http-test');
    const server = app.server;
    const emit = server.emit.bind(server);
    const serverSpans: Span[] = [];
    server.emit = (event: string | symbol, ...args: unknown[]): boolean => {
      if (event !== 'request') return emit(event as string, ...args);
      const span = tracer.startSpan('HTTP', { kind: SpanKind.SERVER });
      serverSpans.push(span);
      const response = args[1] as NodeJS.EventEmitter;
      response.once('finish', () => {
        span.end();
      });
      return context.with(trace.setSpan(context.active(), span), () => emit(event, ...args));
    };
    return serverSpans;
  }

  it('makes detail spans children of the HTTP server span, preflights answered by @fastify/cors included', async () => {
    const exporter = new InMemorySpanExporter();
    // Registered globally, with Node's context manager: Corsight uses the global provider by default.
    new node.NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();
    const app = newApp();
    // @fastify/cors first: no hook registered after it runs before it answers a preflight.
    await app.register(cors, { origin: A, methods: ['GET', 'PUT'] });
    await app.register(corsight, { sampling: 1 });
    app.put('/orders/:id', () => 'ok');
    app.get('/orders/:id', () => 'ok');
    const serverSpans = instrumentServer(app);
    const base = await listen(app);
    await fetch(`${base}/orders/1`, {
      method: 'OPTIONS',
      headers: { origin: A, 'access-control-request-method': 'PUT' },
    });
    await fetch(`${base}/orders/1`, { headers: { origin: A } });
    await app.close();

    const details = exporter.getFinishedSpans().filter((span) => span.attributes[ATTR.spanRole] === 'detail');
    expect(details.map((span) => span.name)).toEqual(['CORS preflight', 'CORS GET']);
    expect(details.map((span) => span.parentSpanContext?.spanId)).toEqual(
      serverSpans.map((span) => span.spanContext().spanId),
    );
    expect(details.map((span) => span.spanContext().traceId)).toEqual(
      serverSpans.map((span) => span.spanContext().traceId),
    );
  });

  // A tracing plugin that starts its request span in an onRequest hook and runs the rest inside it.
  function traceInHook(app: FastifyInstance): Span[] {
    const tracer = trace.getTracer('hook-tracing-test');
    const requestSpans: Span[] = [];
    app.addHook('onRequest', (_request, _reply, done) => {
      const span = tracer.startSpan('request', { kind: SpanKind.SERVER });
      requestSpans.push(span);
      context.with(trace.setSpan(context.active(), span), done);
      span.end();
    });
    return requestSpans;
  }

  it.each([
    ['an actual request', false],
    ['a preflight @fastify/cors answers in its onRequest hook', true],
  ])('takes the context a tracing hook set: %s', async (_name, isPreflight) => {
    const exporter = new InMemorySpanExporter();
    new node.NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();
    const app = newApp();
    const requestSpans = traceInHook(app);
    await app.register(cors, { origin: A, methods: ['GET', 'PUT'] });
    await app.register(corsight, { sampling: 1 });
    app.get('/orders/:id', () => 'ok');
    app.put('/orders/:id', () => 'ok');
    await app.inject(
      isPreflight
        ? {
            method: 'OPTIONS',
            url: '/orders/1',
            headers: { origin: A, 'access-control-request-method': 'PUT' },
          }
        : { method: 'GET', url: '/orders/1', headers: { origin: A } },
    );
    await app.close();
    const [detail] = exporter
      .getFinishedSpans()
      .filter((span) => span.attributes[ATTR.spanRole] === 'detail');
    expect(detail?.attributes[ATTR.kind]).toBe(isPreflight ? 'preflight' : 'actual');
    expect(detail?.parentSpanContext?.spanId).toBe(requestSpans[0]?.spanContext().spanId);
  });

  // The start time comes from the reply's elapsed time, whichever registration order.
  // (light-my-request dispatches outside the caller's OpenTelemetry context, so injected requests have no
  // parent unless a hook sets one, as in the test above.)
  it.each([
    ['Corsight first', true],
    ['@fastify/cors first', false],
  ])('times injected preflights (%s) from their arrival', async (_name, corsightFirst) => {
    const { tracerProvider, spans } = collectSpans();
    const app = newApp();
    if (corsightFirst) await app.register(corsight, { tracerProvider, sampling: 1 });
    await app.register(cors, { origin: A, methods: ['PUT'] });
    if (!corsightFirst) await app.register(corsight, { tracerProvider, sampling: 1 });
    app.put('/orders/:id', () => 'ok');
    await app.ready();
    const before = Date.now();
    await app.inject({
      method: 'OPTIONS',
      url: '/orders/1',
      headers: { origin: A, 'access-control-request-method': 'PUT' },
    });
    // The end is read when the exchange is judged, in a setImmediate queued when its head was written: one
    // queued now runs after it, so the judging lies between the request's arrival and this moment.
    await new Promise((resolve) => setImmediate(resolve));
    const after = Date.now();
    await app.close();
    const [detail] = spans();
    const start = detail === undefined ? 0 : detail.startTime[0] * 1000 + detail.startTime[1] / 1e6;
    const end = detail === undefined ? 0 : detail.endTime[0] * 1000 + detail.endTime[1] / 1e6;
    expect(start).toBeGreaterThanOrEqual(before - 1);
    expect(start).toBeLessThanOrEqual(end);
    expect(end).toBeLessThanOrEqual(after + 1);
  });

  it('never fails a request, even when the app’s context manager throws; logs the first failure', async () => {
    context.setGlobalContextManager({
      active: () => {
        throw new Error('broken context manager');
      },
      with: (_context, fn, thisArg, ...args) => fn.apply(thisArg, args),
      bind: (_context, target) => target,
      enable() {
        return this;
      },
      disable() {
        return this;
      },
    });
    const { tracerProvider } = collectSpans();
    const lines: string[] = [];
    const app = newApp({ logger: { level: 'error', stream: lineCollector(lines) } });
    await app.register(cors, { origin: A });
    await app.register(corsight, { tracerProvider });
    app.get('/orders/:id', () => 'order');
    const answers = [
      await app.inject({ method: 'GET', url: '/orders/1', headers: { origin: A } }),
      await app.inject({
        method: 'OPTIONS',
        url: '/orders/1',
        headers: { origin: A, 'access-control-request-method': 'GET' },
      }),
    ];
    await app.close();
    expect(
      answers.map((answer) => [answer.statusCode, answer.headers['access-control-allow-origin']]),
    ).toEqual([
      [200, A],
      [204, A],
    ]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('broken context manager');
  });
});
