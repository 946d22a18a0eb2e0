// The demo browser against a real Fastify app with @fastify/cors: it preflights only when a browser would,
// reuses a passed preflight for Max-Age, and never sends the actual request after a failed preflight.
import fastifyCors from '@fastify/cors';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoBrowser, type PageCall } from './demo-browser.js';
import { type DemoHttp, openDemoHttp } from './demo-http.js';

const ALLOWED = 'https://app.example';
let app: FastifyInstance;
let base: string;
let http: DemoHttp;
const received: string[] = [];

beforeAll(async () => {
  app = Fastify();
  app.addHook('onRequest', (request, _reply, done) => {
    received.push(`${request.method} ${request.url}`);
    done();
  });
  await app.register(fastifyCors, {
    origin: [ALLOWED],
    methods: ['GET', 'PUT'],
    allowedHeaders: ['content-type'],
    maxAge: 60,
  });
  app.get('/items', () => []);
  app.put('/items/:id', () => ({ ok: true }));
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  http = openDemoHttp();
});

afterAll(async () => {
  await http.close();
  await app.close();
});

function call(overrides: Partial<PageCall> = {}): PageCall {
  return {
    url: `${base}/items/1`,
    method: 'PUT',
    headers: [['Content-Type', 'application/json']],
    body: '{"quantity":1}',
    credentials: 'omit',
    ...overrides,
  };
}

function requestsDuring(run: () => Promise<unknown>): Promise<string[]> {
  received.length = 0;
  return run().then(() => [...received]);
}

describe('DemoBrowser', () => {
  it('sends a simple GET without a preflight', async () => {
    const browser = new DemoBrowser(ALLOWED, undefined, (r) => http.send(r));
    let result;
    const seen = await requestsDuring(async () => {
      result = await browser.fetch(
        call({ url: `${base}/items`, method: 'GET', headers: [], body: undefined }),
        0,
      );
    });
    expect(result).toEqual({ preflight: 'none', outcome: 'allowed' });
    expect(seen).toEqual(['GET /items']);
  });

  it('preflights a JSON PUT once, then answers from its cache until Max-Age (60 s) has passed', async () => {
    const browser = new DemoBrowser(ALLOWED, undefined, (r) => http.send(r));
    const first = await requestsDuring(() => browser.fetch(call(), 0));
    expect(first).toEqual(['OPTIONS /items/1', 'PUT /items/1']);
    let cached;
    const second = await requestsDuring(async () => {
      cached = await browser.fetch(call(), 59_000);
    });
    expect(cached).toEqual({ preflight: 'cached', outcome: 'allowed' });
    expect(second).toEqual(['PUT /items/1']);
    const third = await requestsDuring(() => browser.fetch(call(), 61_000));
    expect(third).toEqual(['OPTIONS /items/1', 'PUT /items/1']);
    // The cache is per URL: another item needs its own preflight.
    const other = await requestsDuring(() => browser.fetch(call({ url: `${base}/items/2` }), 61_000));
    expect(other).toEqual(['OPTIONS /items/2', 'PUT /items/2']);
  });

  it('stops at a failed preflight (a header not allowed) and does not send the request', async () => {
    const browser = new DemoBrowser(ALLOWED, undefined, (r) => http.send(r));
    let result;
    const seen = await requestsDuring(async () => {
      result = await browser.fetch(call({ headers: [['X-Partner-Key', 'k']] }), 0);
    });
    expect(result).toEqual({ preflight: 'sent', outcome: 'blocked', stoppedAt: 'preflight' });
    expect(seen).toEqual(['OPTIONS /items/1']);
  });

  it('is blocked at the actual response when its origin is not allowed', async () => {
    const browser = new DemoBrowser('https://copycat.test', undefined, (r) => http.send(r));
    const result = await browser.fetch(
      call({ url: `${base}/items`, method: 'GET', headers: [], body: undefined }),
      0,
    );
    expect(result).toEqual({ preflight: 'none', outcome: 'blocked', stoppedAt: 'actual' });
  });

  it('sends its cookie only with credentials: include', async () => {
    const cookies: (string | undefined)[] = [];
    const browser = new DemoBrowser(ALLOWED, 'session=1', async (request) => {
      cookies.push(request.headers.find(([name]) => name === 'Cookie')?.[1]);
      return http.send(request);
    });
    const get = call({ url: `${base}/items`, method: 'GET', headers: [], body: undefined });
    await browser.fetch(get, 0);
    await browser.fetch({ ...get, credentials: 'include' }, 0);
    expect(cookies).toEqual([undefined, 'session=1']);
  });
});
