// Attacker-controlled requests: values no browser sends, and floods of distinct origins. The app answers
// them as it would without Corsight, spans stay small, and the counts stay exact in bounded memory.
import { request, type Server } from 'node:http';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import Fastify, { type FastifyHttpOptions, type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import corsight from './fastify.js';
import type { CorsightOptions } from './observe/index.js';
import { ATTR, LIMITS, ORIGIN_INVALID, ORIGIN_OTHER, ROUTE_UNMATCHED } from './schema.js';

const apps: FastifyInstance[] = [];

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function observedApp(
  options: CorsightOptions = {},
  fastifyOptions: FastifyHttpOptions<Server> = {},
): Promise<{ app: FastifyInstance; spans: () => ReturnType<InMemorySpanExporter['getFinishedSpans']> }> {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const app: FastifyInstance = Fastify(fastifyOptions);
  apps.push(app);
  await app.register(corsight, { tracerProvider, ...options });
  app.get('/orders/:id', () => ({ id: 1 }));
  app.put('/orders/:id', () => ({ ok: true }));
  return { app, spans: () => exporter.getFinishedSpans() };
}

/** A raw request over a socket (fetch would refuse some of these headers). */
async function rawRequest(
  app: FastifyInstance,
  method: string,
  path: string,
  headers: Record<string, string>,
) {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return new Promise<number>((resolve, reject) => {
    request({ host: '127.0.0.1', port: address.port, method, path, headers }, (response) => {
      response.resume();
      response.on('end', () => {
        resolve(response.statusCode ?? 0);
      });
    })
      .on('error', reject)
      .end();
  });
}

describe('hostile requests', () => {
  it('labels a 64 KiB Origin `invalid` and answers it as usual', async () => {
    // Node's default header limit is 16 KiB; a server that raised it must still get a bounded span.
    const { app, spans } = await observedApp({ sampling: 1 }, { http: { maxHeaderSize: 256 * 1024 } });
    const origin = `https://${'a'.repeat(64 * 1024)}.example`;
    expect(await rawRequest(app, 'GET', '/orders/1', { origin })).toBe(200);
    await app.close();
    const [span] = spans();
    expect(span?.attributes[ATTR.origin]).toBe(ORIGIN_INVALID);
    expect(span?.attributes[ATTR.httpRoute]).toBe('/orders/:id');
    const longest = Math.max(
      ...Object.values(span?.attributes ?? {}).map((value) => JSON.stringify(value).length),
    );
    expect(longest).toBeLessThanOrEqual(LIMITS.headerValueLength + 2);
  });

  it('counts thousands of distinct origins exactly, keeping a bounded number of them apart', async () => {
    const { app, spans } = await observedApp({ limits: { originsPerRoute: 5 } });
    const requests = 2000;
    for (let i = 0; i < requests; i++) {
      await app.inject({ method: 'GET', url: `/orders/${i}`, headers: { origin: `https://r${i}.example` } });
    }
    await app.close();
    const summaries = spans().filter((span) => span.attributes[ATTR.spanRole] === 'summary');
    expect(summaries.map((span) => span.attributes[ATTR.origin])).toEqual([
      'https://r0.example',
      'https://r1.example',
      'https://r2.example',
      'https://r3.example',
      'https://r4.example',
      ORIGIN_OTHER,
    ]);
    const total = summaries.reduce((sum, span) => sum + (span.attributes[ATTR.sampleWeight] as number), 0);
    expect(total).toBe(requests);
    // Exemplars per key and interval are bounded too (10 for a blocked key by default).
    expect(spans().filter((span) => span.attributes[ATTR.spanRole] === 'detail').length).toBeLessThanOrEqual(
      60,
    );
  });

  it('keeps a bounded number of origins apart in per-request mode too, weights still exact', async () => {
    const { app, spans } = await observedApp({ sampling: 1, limits: { originsPerRoute: 5 } });
    const requests = 300;
    for (let i = 0; i < requests; i++) {
      await app.inject({ method: 'GET', url: `/orders/${i}`, headers: { origin: `https://s${i}.example` } });
    }
    await app.close();
    const origins = new Set(spans().map((span) => span.attributes[ATTR.origin]));
    expect([...origins]).toEqual([
      'https://s0.example',
      'https://s1.example',
      'https://s2.example',
      'https://s3.example',
      'https://s4.example',
      ORIGIN_OTHER,
    ]);
    const total = spans().reduce((sum, span) => sum + (span.attributes[ATTR.sampleWeight] as number), 0);
    expect(total).toBe(requests);
  });

  it('caps a preflight asking for thousands of headers, and an unknown method, and a long path', async () => {
    const { app, spans } = await observedApp({ sampling: 1 });
    const names = Array.from({ length: 2000 }, (_, i) => `x-h${i}`).join(',');
    const asks = [
      { url: '/orders/1', method: 'PUT', headers: names },
      { url: '/orders/1', method: 'X'.repeat(5000), headers: 'content-type' },
      { url: `/orders/${'9'.repeat(20_000)}`, method: 'PUT', headers: 'content-type' },
      { url: `/${'a/'.repeat(5000)}`, method: 'GET', headers: 'content-type' },
    ];
    for (const ask of asks) {
      await app.inject({
        method: 'OPTIONS',
        url: ask.url,
        headers: {
          origin: 'https://a.example',
          'access-control-request-method': ask.method,
          'access-control-request-headers': ask.headers,
        },
      });
    }
    await app.close();
    const details = spans();
    expect(details.map((span) => (span.attributes[ATTR.requestHeaders] as string[]).length)).toEqual([
      LIMITS.requestHeaderNames,
      1,
      1,
      1,
    ]);
    // find-my-way refuses a parameter past 100 characters (maxParamLength), so no route matches that path.
    expect(details.map((span) => span.attributes[ATTR.httpRoute])).toEqual([
      '/orders/:id',
      ROUTE_UNMATCHED,
      ROUTE_UNMATCHED,
      ROUTE_UNMATCHED,
    ]);
  });

  it('reads a repeated Origin, which no browser sends, as one invalid origin', async () => {
    const { app, spans } = await observedApp({ sampling: 1 });
    await app.inject({
      method: 'GET',
      url: '/orders/1',
      // Node joins a repeated Origin with ", "; inject takes the joined form as it is.
      headers: { origin: 'https://a.example, https://b.example' },
    });
    await app.close();
    expect(spans().map((span) => span.attributes[ATTR.origin])).toEqual([ORIGIN_INVALID]);
  });
});
