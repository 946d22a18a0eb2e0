// The Fastify plugin on real apps: beside @fastify/cors (registered before or after it), beside hand-written
// CORS headers, with no CORS support at all, on errors, and never changing a response. Requests go through a
// real socket (fetch) unless a test says otherwise; spans come from the SDK's InMemorySpanExporter through
// the `tracerProvider` option, read after `app.close()` has flushed the summaries.
import { request } from 'node:http';
import { Readable } from 'node:stream';
import cors, { type FastifyCorsOptions } from '@fastify/cors';
import type { AttributeValue } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
// Through the package's public entry point, as users import it.
import corsight from '@corsight/instrumentation/fastify';
import { type CorsightOptions, describePolicy } from './observe/index.js';
import { ATTR, ROUTE_UNMATCHED, SPAN_NAMES } from './schema.js';
import { wireHead } from './wire-head.fixture.js';

const A = 'https://a.example';
const B = 'https://b.example';
const EVIL = 'https://evil.example';
const UA = 'corsight-test';

type Expected = Partial<Record<keyof typeof ATTR, AttributeValue>>;

/** Attributes keyed by ATTR's names, so a renamed key breaks the test, not a dashboard. */
function attrs(expected: Expected): Record<string, AttributeValue> {
  return Object.fromEntries(
    Object.entries(expected).map(([name, value]) => [ATTR[name as keyof typeof ATTR], value]),
  );
}

interface Spans {
  readonly tracerProvider: BasicTracerProvider;
  readonly details: () => ReadableSpan[];
  readonly summaries: () => ReadableSpan[];
}

function collectSpans(): Spans {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const all = (): ReadableSpan[] => exporter.getFinishedSpans();
  return {
    tracerProvider,
    details: () => all().filter((span) => span.attributes[ATTR.spanRole] === 'detail'),
    summaries: () => all().filter((span) => span.attributes[ATTR.spanRole] === 'summary'),
  };
}

const apps: FastifyInstance[] = [];

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

/** A fresh app, closed after the test unless the test closes it first. */
function newApp(): FastifyInstance {
  const app = Fastify();
  apps.push(app);
  return app;
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

async function send(base: string, path: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(base + path, {
    ...init,
    headers: { 'user-agent': UA, ...(init.headers as Record<string, string> | undefined) },
  });
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: await response.text(),
  };
}

function preflight(origin: string, method: string, headers: Record<string, string> = {}): RequestInit {
  return { method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, ...headers } };
}

function weights(
  spans: readonly ReadableSpan[],
  key: (span: ReadableSpan) => string,
): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const span of spans) {
    const name = key(span);
    totals[name] = (totals[name] ?? 0) + (span.attributes[ATTR.sampleWeight] as number);
  }
  return totals;
}

const byRouteOriginOutcome = (span: ReadableSpan): string =>
  [span.attributes[ATTR.httpRoute], span.attributes[ATTR.origin], span.attributes[ATTR.outcome]].join(' ');

const POLICY = {
  origin: [A, B, 'https://c.example'],
  methods: ['GET', 'PUT', 'POST'],
  credentials: true,
  maxAge: 600,
} satisfies FastifyCorsOptions;

function ordersRoutes(app: FastifyInstance): void {
  app.get('/orders/:id', () => ({ id: 1 }));
  app.put('/orders/:id', () => ({ ok: true }));
  app.delete('/orders/:id', () => ({ ok: true }));
  app.get('/users/:id', () => ({ id: 2 }));
}

describe.each(['@fastify/cors first', 'Corsight first'] as const)('beside @fastify/cors (%s)', (order) => {
  async function corsApp(spans: Spans, policy: FastifyCorsOptions & CorsightOptions['policy'] = POLICY) {
    const app = newApp();
    const options: CorsightOptions = {
      tracerProvider: spans.tracerProvider,
      policy,
      serviceName: 'orders-api',
    };
    if (order === '@fastify/cors first') {
      await app.register(cors, policy);
      await app.register(corsight, options);
    } else {
      await app.register(corsight, options);
      await app.register(cors, policy);
    }
    ordersRoutes(app);
    return app;
  }

  const detail: Expected = {
    spanRole: 'detail',
    serviceName: 'orders-api',
    policyHash: describePolicy(POLICY).hash,
    credentials: 'unknown',
    warnings: [],
    sampleWeight: 0,
    userAgent: UA,
    serverAddress: '127.0.0.1',
  };

  it('reports an allowed GET and a GET from an origin off the allowlist, with the headers sent', async () => {
    const spans = collectSpans();
    const app = await corsApp(spans);
    const base = await listen(app);
    expect((await send(base, '/orders/1', { headers: { origin: A } })).status).toBe(200);
    expect((await send(base, '/orders/7?x=1', { headers: { origin: EVIL } })).status).toBe(200);
    await app.close();

    expect(spans.details().map((span) => [span.name, span.attributes])).toEqual([
      [
        'CORS GET',
        attrs({
          ...detail,
          kind: 'actual',
          httpRoute: '/orders/:id',
          origin: A,
          httpRequestMethod: 'GET',
          outcome: 'allowed',
          reasons: [],
          needsPreflight: false,
          httpResponseStatusCode: 200,
          responseAllowOrigin: A,
          responseAllowCredentials: 'true',
          responseVary: 'Origin',
        }),
      ],
      [
        'CORS GET',
        attrs({
          ...detail,
          kind: 'actual',
          httpRoute: '/orders/:id',
          origin: EVIL,
          httpRequestMethod: 'GET',
          outcome: 'blocked',
          reasons: ['missing_allow_origin'],
          needsPreflight: false,
          httpResponseStatusCode: 200,
          responseAllowCredentials: 'true',
          responseVary: 'Origin',
        }),
      ],
    ]);
    expect(weights(spans.summaries(), byRouteOriginOutcome)).toEqual({
      [`/orders/:id ${A} allowed`]: 1,
      [`/orders/:id ${EVIL} blocked`]: 1,
    });
  });

  it('attributes preflights to the route of the method they ask for, allowed or not', async () => {
    const spans = collectSpans();
    const app = await corsApp(spans);
    const base = await listen(app);
    const before = Date.now();
    const allowed = await send(
      base,
      '/orders/1',
      preflight(B, 'PUT', { 'access-control-request-headers': 'content-type,x-trace' }),
    );
    const after = Date.now();
    expect(allowed.status).toBe(204);
    expect((await send(base, '/orders/1', preflight(B, 'DELETE'))).status).toBe(204);
    expect((await send(base, '/users/2', preflight(A, 'GET'))).status).toBe(204);
    await app.close();

    const [put, del, users] = spans.details();
    const preflightDetail: Expected = {
      ...detail,
      kind: 'preflight',
      httpRoute: '/orders/:id',
      origin: B,
      httpRequestMethod: 'OPTIONS',
      httpResponseStatusCode: 204,
      responseAllowOrigin: B,
      responseAllowCredentials: 'true',
      responseAllowMethods: 'GET, PUT, POST',
      responseMaxAge: '600',
      responseVary: 'Origin, Access-Control-Request-Headers',
    };
    expect(put?.name).toBe(SPAN_NAMES.preflight);
    expect(put?.attributes).toEqual(
      attrs({
        ...preflightDetail,
        requestMethod: 'PUT',
        requestHeaders: ['content-type', 'x-trace'],
        outcome: 'allowed',
        reasons: [],
        preflightCacheChromium: 600,
        preflightCacheFirefox: 600,
        preflightCacheWebkit: 600,
        responseAllowHeaders: 'content-type,x-trace',
      }),
    );
    // The span covers the exchange even when @fastify/cors answered in its onRequest hook.
    const start = put === undefined ? 0 : put.startTime[0] * 1000 + put.startTime[1] / 1e6;
    expect(start).toBeGreaterThanOrEqual(before);
    expect(start).toBeLessThanOrEqual(after);
    // @fastify/cors 11 sends its methods list whatever the method asked for; the browser refuses DELETE.
    expect(del?.attributes).toEqual(
      attrs({
        ...preflightDetail,
        requestMethod: 'DELETE',
        outcome: 'blocked',
        reasons: ['method_not_allowed'],
        failedValue: 'DELETE',
        preflightCacheChromium: 0,
        preflightCacheFirefox: 0,
        preflightCacheWebkit: 0,
      }),
    );
    expect(users?.attributes).toMatchObject(
      attrs({ httpRoute: '/users/:id', origin: A, requestMethod: 'GET' }),
    );
    expect(
      weights(
        spans.summaries(),
        (span) => `${String(span.attributes[ATTR.requestMethod])} ${byRouteOriginOutcome(span)}`,
      ),
    ).toEqual({
      [`PUT /orders/:id ${B} allowed`]: 1,
      [`DELETE /orders/:id ${B} blocked`]: 1,
      [`GET /users/:id ${A} allowed`]: 1,
    });
  });

  it('fingerprints the policy it is told, and the fingerprint follows the policy', async () => {
    const changed = { ...POLICY, origin: [A] };
    const hashes: unknown[] = [];
    for (const policy of [POLICY, changed]) {
      const spans = collectSpans();
      const app = await corsApp(spans, policy);
      const base = await listen(app);
      await send(base, '/orders/1', { headers: { origin: A } });
      await app.close();
      hashes.push(...spans.summaries().map((span) => span.attributes[ATTR.policyHash]));
    }
    expect(hashes).toEqual([describePolicy(POLICY).hash, describePolicy(changed).hash]);
    expect(hashes[0]).not.toBe(hashes[1]);
  });
});

describe('without a policy option', () => {
  it('leaves the fingerprint out', async () => {
    const spans = collectSpans();
    const app = newApp();
    await app.register(cors, POLICY);
    await app.register(corsight, { tracerProvider: spans.tracerProvider });
    ordersRoutes(app);
    await app.inject({ method: 'GET', url: '/orders/1', headers: { origin: A } });
    await app.close();
    expect(spans.details()).toHaveLength(1);
    for (const span of [...spans.details(), ...spans.summaries()]) {
      expect(span.attributes).not.toHaveProperty(ATTR.policyHash);
      expect(span.attributes).not.toHaveProperty(ATTR.serviceName);
    }
  });
});

describe('beside hand-written CORS headers', () => {
  async function handWrittenApp(spans: Spans): Promise<FastifyInstance> {
    const app = newApp();
    // Added before Corsight: allows A.
    app.addHook('onSend', (request, reply, payload, done) => {
      if (request.headers.origin === A) reply.header('access-control-allow-origin', A);
      done(null, payload);
    });
    await app.register(corsight, { tracerProvider: spans.tracerProvider });
    // Added after Corsight: its headers are written after Corsight's hooks ran, and still seen.
    app.addHook('onSend', (_request, reply, payload, done) => {
      reply.header('access-control-expose-headers', 'x-total').header('vary', 'Origin');
      done(null, payload);
    });
    app.get('/orders/:id', (_request, reply) => {
      reply.header('x-total', '3');
      return { id: 1 };
    });
    app.get('/open', (_request, reply) => {
      reply.header('access-control-allow-origin', '*');
      return 'open';
    });
    // Headers handed straight to writeHead never reach getHeaders(); Node's header block has them.
    app.get('/raw', (_request, reply) => {
      reply.hijack();
      reply.raw.writeHead(200, { 'Access-Control-Allow-Origin': B, 'Content-Type': 'text/plain' });
      reply.raw.end('raw');
    });
    return app;
  }

  it('sees headers set by hooks on either side of Corsight, by handlers, and given to writeHead', async () => {
    const spans = collectSpans();
    const app = await handWrittenApp(spans);
    const base = await listen(app);
    await send(base, '/orders/1', { headers: { origin: A } });
    await send(base, '/open', { headers: { origin: EVIL } });
    const raw = await send(base, '/raw', { headers: { origin: B } });
    expect(raw).toMatchObject({ status: 200, body: 'raw', headers: { 'access-control-allow-origin': B } });
    await app.close();

    expect(spans.details().map((span) => span.attributes)).toEqual([
      attrs({
        spanRole: 'detail',
        kind: 'actual',
        httpRoute: '/orders/:id',
        origin: A,
        httpRequestMethod: 'GET',
        outcome: 'blocked_if_credentialed',
        reasons: ['allow_credentials_not_true'],
        failedValue: '',
        warnings: [],
        credentials: 'unknown',
        needsPreflight: false,
        sampleWeight: 0,
        httpResponseStatusCode: 200,
        responseAllowOrigin: A,
        responseExposeHeaders: 'x-total',
        responseVary: 'Origin',
        userAgent: UA,
        serverAddress: '127.0.0.1',
      }),
      expect.objectContaining(
        attrs({
          httpRoute: '/open',
          origin: EVIL,
          outcome: 'blocked_if_credentialed',
          responseAllowOrigin: '*',
        }),
      ),
      expect.objectContaining(
        attrs({ httpRoute: '/raw', origin: B, outcome: 'blocked_if_credentialed', responseAllowOrigin: B }),
      ),
    ]);
  });

  it('reads the header block when reply.raw wrote the headers before reply.send', async () => {
    const spans = collectSpans();
    const app = newApp();
    await app.register(corsight, { tracerProvider: spans.tracerProvider, sampling: 1 });
    app.get('/stream', (_request, reply) => {
      // The reply's own headers never go out: the raw writeHead came first (Fastify warns, and streams on).
      void reply.header('access-control-allow-origin', '*');
      reply.raw.writeHead(200, { 'access-control-allow-origin': B });
      return reply.send(Readable.from(['streamed']));
    });
    const base = await listen(app);
    const answer = await send(base, '/stream', { headers: { origin: B } });
    expect(answer).toMatchObject({ body: 'streamed', headers: { 'access-control-allow-origin': B } });
    await app.close();
    expect(spans.details().map((span) => span.attributes[ATTR.responseAllowOrigin])).toEqual([B]);
  });

  it('reports the headers as written when the reply’s headers change after its head went out', async () => {
    const spans = collectSpans();
    const app = newApp();
    await app.register(corsight, { tracerProvider: spans.tracerProvider, sampling: 1 });
    // Fastify's reply.header()/removeHeader() still change the reply's header object once the head is
    // written; none of it reaches the client.
    app.addHook('onResponse', async (request, reply) => {
      if (request.url === '/late-remove') reply.removeHeader('access-control-allow-origin');
      else reply.header('access-control-allow-origin', A);
    });
    app.get('/late-remove', (_request, reply) => reply.header('access-control-allow-origin', A).send('ok'));
    app.get('/late-add', (_request, reply) => reply.send('ok'));
    app.get('/after-send', (_request, reply) => {
      reply.send('ok');
      reply.header('access-control-expose-headers', 'x-total');
    });
    const base = await listen(app);
    const heads = [];
    for (const path of ['/late-remove', '/late-add', '/after-send'])
      heads.push(await wireHead(base, path, { Origin: A }));
    await app.close();
    expect(heads.map((head) => /^access-control-allow-origin: (.*)$/im.exec(head)?.[1] ?? null)).toEqual([
      A,
      null,
      null,
    ]);
    expect(heads[2]).not.toMatch(/access-control-expose-headers/i);
    expect(
      spans
        .details()
        .map((span) => [
          span.attributes[ATTR.httpRoute],
          span.attributes[ATTR.responseAllowOrigin] ?? null,
          span.attributes[ATTR.responseExposeHeaders] ?? null,
          span.attributes[ATTR.outcome],
        ]),
    ).toEqual([
      ['/late-remove', A, null, 'blocked_if_credentialed'],
      ['/late-add', null, null, 'blocked'],
      ['/after-send', null, null, 'blocked'],
    ]);
  });

  it('sees writeHead headers under app.inject too (light-my-request writes a real header block)', async () => {
    const spans = collectSpans();
    const app = await handWrittenApp(spans);
    const response = await app.inject({ method: 'GET', url: '/raw', headers: { origin: B } });
    expect(response.headers['access-control-allow-origin']).toBe(B);
    await app.close();
    expect(spans.details().map((span) => span.attributes[ATTR.responseAllowOrigin])).toEqual([B]);
  });
});

// Responses that are not written in the turn of the event loop their request arrived in: Corsight looks at
// a turn's requests right after it, and waits for the others to close.
describe('responses written after I/O', () => {
  const later = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

  it('sees what an async onSend hook after it adds, and replies sent or hijacked after a wait', async () => {
    const spans = collectSpans();
    const app = newApp();
    await app.register(corsight, { tracerProvider: spans.tracerProvider, sampling: 1 });
    app.addHook('onSend', async (request, reply) => {
      await later();
      if (request.headers.origin === A) void reply.header('access-control-allow-origin', A);
    });
    app.get('/slow', async () => {
      await later();
      return 'slow';
    });
    app.get('/hijacked', async (_request, reply) => {
      reply.hijack();
      await later();
      reply.raw.writeHead(200, { 'access-control-allow-origin': B }).end('raw');
    });
    const base = await listen(app);
    expect((await send(base, '/orders/1', { headers: { origin: A } })).status).toBe(404);
    expect((await send(base, '/slow', { headers: { origin: A } })).body).toBe('slow');
    expect((await send(base, '/hijacked', { headers: { origin: B } })).body).toBe('raw');
    await app.close();
    expect(
      spans
        .details()
        .map((span) => [
          span.attributes[ATTR.httpRoute],
          span.attributes[ATTR.httpResponseStatusCode],
          span.attributes[ATTR.responseAllowOrigin],
          span.attributes[ATTR.outcome],
        ]),
    ).toEqual([
      [ROUTE_UNMATCHED, 404, A, 'blocked_if_credentialed'],
      ['/slow', 200, A, 'blocked_if_credentialed'],
      ['/hijacked', 200, B, 'blocked_if_credentialed'],
    ]);
  });

  it('counts once a reply whose headers reply.raw wrote before a later reply.send', async () => {
    const spans = collectSpans();
    const app = newApp();
    await app.register(corsight, { tracerProvider: spans.tracerProvider });
    app.get('/stream', async (_request, reply) => {
      reply.raw.writeHead(200, { 'access-control-allow-origin': B });
      await later();
      return reply.send(Readable.from(['streamed']));
    });
    const base = await listen(app);
    expect((await send(base, '/stream', { headers: { origin: B } })).body).toBe('streamed');
    await app.close();
    expect(spans.details().map((span) => span.attributes[ATTR.responseAllowOrigin])).toEqual([B]);
    expect(weights(spans.summaries(), byRouteOriginOutcome)).toEqual({
      [`/stream ${B} blocked_if_credentialed`]: 1,
    });
  });

  it('counts each request of a burst once, fast and slow replies mixed', async () => {
    const spans = collectSpans();
    const app = newApp();
    await app.register(corsight, { tracerProvider: spans.tracerProvider });
    app.get('/mixed/:n', async (request) => {
      if (Number((request.params as { n: string }).n) % 2 === 1) await later();
      return 'ok';
    });
    // More requests in one turn than Corsight looks at together: it looks early, and the slow replies'
    // onSend hooks must still find the exchanges their onRequest hooks started.
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, n) =>
        app.inject({ method: 'GET', url: `/mixed/${String(n)}`, headers: { origin: A } }),
      ),
    );
    expect(answers.every((answer) => answer.statusCode === 200)).toBe(true);
    await app.close();
    expect(weights(spans.summaries(), byRouteOriginOutcome)).toEqual({ [`/mixed/:n ${A} blocked`]: 300 });
  });

  it('does not count a request whose client left before any header was written', async () => {
    const spans = collectSpans();
    const app = newApp();
    await app.register(corsight, { tracerProvider: spans.tracerProvider });
    let arrived: () => void = () => undefined;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    let answered: () => void = () => undefined;
    const answer = new Promise<void>((resolve) => (answered = resolve));
    app.get('/slow', async () => {
      arrived();
      await answer;
      return 'late';
    });
    const base = await listen(app);
    const client = request(`${base}/slow`, { headers: { origin: A } });
    client.on('error', () => undefined).end();
    await arrival;
    client.destroy();
    await later();
    answered();
    await later();
    await send(base, '/orders/1', { headers: { origin: A } });
    await app.close();
    expect(weights(spans.summaries(), byRouteOriginOutcome)).toEqual({
      [`${ROUTE_UNMATCHED} ${A} blocked`]: 1,
    });
  });
});

describe('with no CORS support', () => {
  async function plainApp(spans: Spans): Promise<string> {
    const app = newApp();
    await app.register(corsight, { tracerProvider: spans.tracerProvider, sampling: 1 });
    ordersRoutes(app);
    app.post('/orders', () => ({ created: true }));
    return listen(app);
  }

  it('reports every cross-origin request as the browser rejects it', async () => {
    const spans = collectSpans();
    const base = await plainApp(spans);
    await send(base, '/orders/1', { headers: { origin: A } });
    await send(base, '/orders', {
      method: 'POST',
      headers: { origin: A, 'content-type': 'application/json' },
      body: '{}',
    });
    await apps[0]?.close();

    expect(spans.details().map((span) => span.attributes)).toEqual([
      attrs({
        spanRole: 'detail',
        kind: 'actual',
        httpRoute: '/orders/:id',
        origin: A,
        httpRequestMethod: 'GET',
        outcome: 'blocked',
        // A caller without credentials meets the first; one with credentials, both.
        reasons: ['missing_allow_origin', 'allow_credentials_not_true'],
        warnings: [],
        credentials: 'unknown',
        needsPreflight: false,
        sampleWeight: 1,
        httpResponseStatusCode: 200,
        userAgent: UA,
        serverAddress: '127.0.0.1',
      }),
      attrs({
        spanRole: 'detail',
        kind: 'actual',
        httpRoute: '/orders',
        origin: A,
        httpRequestMethod: 'POST',
        outcome: 'blocked',
        reasons: ['missing_allow_origin', 'allow_credentials_not_true'],
        warnings: [],
        credentials: 'unknown',
        needsPreflight: true,
        requestHeaders: ['content-type'],
        sampleWeight: 1,
        httpResponseStatusCode: 200,
        userAgent: UA,
        serverAddress: '127.0.0.1',
      }),
    ]);
  });

  it('reports 404 answers to preflights, under the asked route or (unmatched)', async () => {
    const spans = collectSpans();
    const base = await plainApp(spans);
    expect((await send(base, '/orders/1', preflight(A, 'PUT'))).status).toBe(404);
    expect((await send(base, '/nowhere/1', preflight(A, 'GET'))).status).toBe(404);
    expect((await send(base, '/orders/1', preflight(A, 'PATCH'))).status).toBe(404);
    await apps[0]?.close();

    const notOk = ['missing_allow_origin', 'preflight_status_not_ok'];
    const expected = (
      route: string,
      method: string,
      reasons: string[],
      warnings: string[] = [],
    ): Record<string, AttributeValue> =>
      attrs({
        spanRole: 'detail',
        kind: 'preflight',
        httpRoute: route,
        origin: A,
        httpRequestMethod: 'OPTIONS',
        requestMethod: method,
        outcome: 'blocked',
        reasons,
        warnings,
        credentials: 'unknown',
        sampleWeight: 1,
        preflightCacheChromium: 0,
        preflightCacheFirefox: 0,
        preflightCacheWebkit: 0,
        httpResponseStatusCode: 404,
        userAgent: UA,
        serverAddress: '127.0.0.1',
      });
    expect(spans.details().map((span) => span.attributes)).toEqual([
      expected('/orders/:id', 'PUT', [...notOk, 'method_not_allowed', 'allow_credentials_not_true']),
      // The router has no route for what these ask: only the adapter can tell (CORS.md §6).
      expected(
        ROUTE_UNMATCHED,
        'GET',
        [...notOk, 'allow_credentials_not_true'],
        ['preflight_unmatched_route'],
      ),
      // The path has routes, but none for the method asked.
      expected(
        ROUTE_UNMATCHED,
        'PATCH',
        [...notOk, 'method_not_allowed', 'allow_credentials_not_true'],
        ['preflight_unmatched_route'],
      ),
    ]);
  });
});

describe('on errors', () => {
  it('reports the status and headers actually sent for thrown errors and an auth hook’s 401', async () => {
    const spans = collectSpans();
    const app = newApp();
    await app.register(cors, POLICY);
    await app.register(corsight, { tracerProvider: spans.tracerProvider, sampling: 1 });
    app.addHook('onRequest', async (request, reply) => {
      if (request.url.startsWith('/private')) await reply.code(401).send({ error: 'who are you' });
    });
    app.get('/boom', () => {
      throw new Error('boom');
    });
    app.get('/private/:id', () => 'secret');
    const base = await listen(app);
    expect((await send(base, '/boom', { headers: { origin: A } })).status).toBe(500);
    expect((await send(base, '/private/1', { headers: { origin: EVIL } })).status).toBe(401);
    await app.close();

    expect(spans.details().map((span) => span.attributes)).toEqual([
      expect.objectContaining(
        attrs({
          httpRoute: '/boom',
          outcome: 'allowed',
          httpResponseStatusCode: 500,
          responseAllowOrigin: A,
          responseAllowCredentials: 'true',
        }),
      ),
      expect.objectContaining(
        attrs({
          httpRoute: '/private/:id',
          outcome: 'blocked',
          reasons: ['missing_allow_origin'],
          httpResponseStatusCode: 401,
          responseAllowCredentials: 'true',
        }),
      ),
    ]);
  });
});

describe('sampling', () => {
  it('with sampling 1 emits one span per request weighted 1, and no summaries', async () => {
    const spans = collectSpans();
    const app = newApp();
    await app.register(cors, POLICY);
    await app.register(corsight, { tracerProvider: spans.tracerProvider, sampling: 1 });
    ordersRoutes(app);
    const base = await listen(app);
    for (let i = 0; i < 5; i++) await send(base, `/orders/${i}`, { headers: { origin: A } });
    for (let i = 0; i < 3; i++) await send(base, '/orders/1', preflight(B, 'PUT'));
    await app.close();
    expect(spans.summaries()).toEqual([]);
    expect(spans.details().map((span) => [span.name, span.attributes[ATTR.sampleWeight]])).toEqual([
      ...Array<unknown>(5).fill(['CORS GET', 1]),
      ...Array<unknown>(3).fill([SPAN_NAMES.preflight, 1]),
    ]);
  });

  it('by default counts every request in summaries and keeps a few exemplars', async () => {
    const spans = collectSpans();
    const app = newApp();
    await app.register(corsight, { tracerProvider: spans.tracerProvider });
    ordersRoutes(app);
    for (let i = 0; i < 40; i++) {
      await app.inject({ method: 'GET', url: `/orders/${i}`, headers: { origin: A } });
    }
    await app.close();
    expect(weights(spans.summaries(), byRouteOriginOutcome)).toEqual({ [`/orders/:id ${A} blocked`]: 40 });
    expect(spans.details()).toHaveLength(10);
  });
});

describe('requests that are not CORS', () => {
  it('emits nothing for requests without Origin or from the API’s own origin', async () => {
    const spans = collectSpans();
    const app = newApp();
    await app.register(corsight, { tracerProvider: spans.tracerProvider, sampling: 1 });
    ordersRoutes(app);
    const base = await listen(app);
    await send(base, '/orders/1');
    await send(base, '/orders/1', { headers: { origin: base } });
    await send(base, '/orders/1', preflight(base, 'PUT'));
    await send(base, '/orders/1', { headers: { origin: A, 'sec-fetch-site': 'same-origin' } });
    await send(base, '/orders/1', { headers: { origin: A } });
    await app.close();
    expect(spans.details().map((span) => span.attributes[ATTR.origin])).toEqual([A]);
  });

  it('derives the API’s own origin behind a proxy Fastify trusts', async () => {
    const spans = collectSpans();
    const app = Fastify({ trustProxy: true });
    apps.push(app);
    await app.register(corsight, { tracerProvider: spans.tracerProvider, sampling: 1 });
    ordersRoutes(app);
    const proxied = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example' };
    await app.inject({
      method: 'GET',
      url: '/orders/1',
      headers: { ...proxied, origin: 'https://api.example' },
    });
    await app.inject({
      method: 'GET',
      url: '/orders/1',
      headers: { ...proxied, origin: 'http://api.example' },
    });
    await app.close();
    expect(spans.details().map((span) => span.attributes[ATTR.origin])).toEqual(['http://api.example']);
  });

  it('compares the Host with the Origin as serialised origins (case, default port)', async () => {
    const spans = collectSpans();
    const app = newApp();
    await app.register(corsight, { tracerProvider: spans.tracerProvider, sampling: 1 });
    ordersRoutes(app);
    const get = (host: string, origin: string) =>
      app.inject({ method: 'GET', url: '/orders/1', headers: { host, origin } });
    await get('API.Example', 'http://api.example');
    await get('api.example:80', 'http://api.example');
    await get('api.example:8080', 'http://api.example');
    await app.close();
    expect(spans.details().map((span) => span.attributes[ATTR.origin])).toEqual(['http://api.example']);
  });

  it('takes the configured serverOrigin as the API’s own', async () => {
    const spans = collectSpans();
    const app = newApp();
    await app.register(corsight, {
      tracerProvider: spans.tracerProvider,
      sampling: 1,
      serverOrigin: 'https://api.example',
    });
    ordersRoutes(app);
    await app.inject({ method: 'GET', url: '/orders/1', headers: { origin: 'https://api.example' } });
    await app.inject({ method: 'GET', url: '/orders/1', headers: { origin: 'http://localhost:8080' } });
    await app.close();
    expect(spans.details().map((span) => span.attributes[ATTR.origin])).toEqual(['http://localhost:8080']);
  });
});

describe('the response', () => {
  it('is the same with and without Corsight: status, headers and body', async () => {
    async function answers(withCorsight: boolean): Promise<Answer[]> {
      const app = newApp();
      await app.register(cors, POLICY);
      if (withCorsight) await app.register(corsight, { tracerProvider: collectSpans().tracerProvider });
      ordersRoutes(app);
      app.get('/boom', () => {
        throw new Error('boom');
      });
      app.get('/raw', (_request, reply) => {
        reply.hijack();
        reply.raw.writeHead(201, { 'access-control-allow-origin': '*' }).end('raw');
      });
      const base = await listen(app);
      const results = [
        await send(base, '/orders/1', { headers: { origin: A } }),
        await send(base, '/orders/1', { headers: { origin: EVIL } }),
        await send(base, '/orders/1', preflight(A, 'PUT', { 'access-control-request-headers': 'x-a' })),
        await send(base, '/orders/1', preflight(EVIL, 'DELETE')),
        await send(base, '/nowhere', { headers: { origin: A } }),
        await send(base, '/boom', { headers: { origin: A } }),
        await send(base, '/raw', { headers: { origin: A } }),
        await send(base, '/orders/1'),
      ];
      await app.close();
      for (const result of results) delete result.headers.date;
      return results;
    }
    expect(await answers(true)).toEqual(await answers(false));
  });
});

describe('preflight attribution', () => {
  it('finds routes constrained by host, with the Host the preflight carries', async () => {
    const spans = collectSpans();
    const app = newApp();
    await app.register(corsight, { tracerProvider: spans.tracerProvider, sampling: 1 });
    app.put('/tenants/:id', { constraints: { host: 'api.example.com' } }, () => 'tenant');
    app.put('/orders/:id', () => 'order');
    for (const [host, url] of [
      ['api.example.com', '/tenants/1'],
      ['other.example.com', '/tenants/1'],
      ['other.example.com', '/orders/1'],
    ] as const) {
      await app.inject({
        method: 'OPTIONS',
        url,
        headers: { host, origin: A, 'access-control-request-method': 'PUT' },
      });
    }
    await app.close();
    expect(spans.details().map((span) => span.attributes[ATTR.httpRoute])).toEqual([
      '/tenants/:id',
      ROUTE_UNMATCHED,
      '/orders/:id',
    ]);
  });

  it('answers repeated preflights to one URL by the method each asks for', async () => {
    const spans = collectSpans();
    const app = newApp();
    await app.register(corsight, { tracerProvider: spans.tracerProvider, sampling: 1 });
    app.put('/orders/:id', () => 'order');
    app.get('/orders/:id/items', () => 'items');
    for (const [method, url] of [
      ['PUT', '/orders/1'],
      ['PATCH', '/orders/1'],
      ['PUT', '/orders/1'],
      ['GET', '/orders/1/items?page=2'],
      ['PUT', '/orders/1/items?page=2'],
    ] as const) {
      await app.inject({
        method: 'OPTIONS',
        url,
        headers: { origin: A, 'access-control-request-method': method },
      });
    }
    await app.close();
    expect(spans.details().map((span) => span.attributes[ATTR.httpRoute])).toEqual([
      '/orders/:id',
      ROUTE_UNMATCHED,
      '/orders/:id',
      '/orders/:id/items',
      ROUTE_UNMATCHED,
    ]);
  });
});

describe('closing the app', () => {
  it('waits for requests in flight, then emits the last summaries', async () => {
    const spans = collectSpans();
    const app = newApp();
    await app.register(corsight, { tracerProvider: spans.tracerProvider });
    let arrived: () => void = () => undefined;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    app.get('/slow', async () => {
      arrived();
      await new Promise((resolve) => setTimeout(resolve, 50));
      return 'slow';
    });
    const base = await listen(app);
    // A connection that ends with the response: a kept-alive one would hold close() until its timeout.
    const status = new Promise<number | undefined>((resolve, reject) => {
      request(`${base}/slow`, { headers: { origin: A, connection: 'close' } }, (response) => {
        response.resume().on('end', () => {
          resolve(response.statusCode);
        });
      })
        .on('error', reject)
        .end();
    });
    await arrival;
    const closed = app.close();
    expect(await status).toBe(200);
    await closed;
    expect(weights(spans.summaries(), byRouteOriginOutcome)).toEqual({ [`/slow ${A} blocked`]: 1 });
  });
});
