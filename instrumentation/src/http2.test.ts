// Both adapters on servers that speak HTTP/2: Fastify with `http2: true` (h2c) beside @fastify/cors, and
// node:http2's compatibility API with corsight.wrap. An HTTP/2 request carries its host in the `:authority`
// pseudo-header and usually no Host header at all (RFC 9113 §8.3.1: a client that makes the request itself
// leaves Host out), so these tests prove that the API's own origin, the response headers and the server
// address are still found. Requests go through Node's http2 client on 127.0.0.1; spans come from the real
// SDK's InMemorySpanExporter.
import http2, {
  type ClientHttp2Session,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import cors, { type FastifyCorsOptions } from '@fastify/cors';
import type { Attributes } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import corsightPlugin from '@corsight/instrumentation/fastify';
import { corsight } from './node.js';
import { ATTR, detailSpanName, SPAN_NAMES } from './schema.js';

const A = 'https://a.example';
const EVIL = 'https://evil.example';

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function collectSpans(): { tracerProvider: BasicTracerProvider; details: () => ReadableSpan[] } {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  cleanups.push(() => tracerProvider.shutdown());
  return {
    tracerProvider,
    details: () => exporter.getFinishedSpans().filter((span) => span.attributes[ATTR.spanRole] === 'detail'),
  };
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
}

interface Client {
  readonly send: (headers: OutgoingHttpHeaders) => Promise<Answer>;
  readonly close: () => Promise<void>;
}

/** An HTTP/2 client session on `base`; only pseudo-headers name the target, as browsers send them. */
function connect(base: string): Client {
  const session: ClientHttp2Session = http2.connect(base);
  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (session.closed) resolve();
      else session.close(resolve);
    });
  cleanups.push(close);
  const send = (headers: OutgoingHttpHeaders): Promise<Answer> =>
    new Promise<Answer>((resolve, reject) => {
      const stream = session.request({ ':method': 'GET', ...headers });
      stream.on('error', reject);
      stream.on('response', (answer) => {
        stream.resume();
        stream.on('end', () => {
          resolve({ status: answer[':status'] ?? 0, headers: answer });
        });
      });
      stream.end();
    });
  return { send, close };
}

function port(address: AddressInfo | string | null): number {
  if (address === null || typeof address === 'string') throw new Error('the server has no TCP port');
  return address.port;
}

const get = (origin: string): OutgoingHttpHeaders => ({ ':path': '/orders/1', origin });
const preflight = (origin: string): OutgoingHttpHeaders => ({
  ':method': 'OPTIONS',
  ':path': '/orders/1',
  origin,
  'access-control-request-method': 'PUT',
  'access-control-request-headers': 'content-type,x-trace',
});

/** What each test checks of a detail span. */
function summary(span: ReadableSpan): Attributes {
  const pick = [
    ATTR.kind,
    ATTR.httpRoute,
    ATTR.origin,
    ATTR.outcome,
    ATTR.reasons,
    ATTR.warnings,
    ATTR.needsPreflight,
    ATTR.requestHeaders,
    ATTR.serverAddress,
    ATTR.responseAllowOrigin,
  ];
  return { name: span.name, ...Object.fromEntries(pick.map((key) => [key, span.attributes[key]])) };
}

const expected = [
  {
    name: detailSpanName('actual', 'GET'),
    [ATTR.kind]: 'actual',
    [ATTR.httpRoute]: '/orders/:id',
    [ATTR.origin]: A,
    [ATTR.outcome]: 'allowed',
    [ATTR.reasons]: [],
    [ATTR.warnings]: [],
    // Pseudo-headers are the protocol's, not the page's: a plain GET needs no preflight.
    [ATTR.needsPreflight]: false,
    [ATTR.requestHeaders]: undefined,
    [ATTR.serverAddress]: '127.0.0.1',
    [ATTR.responseAllowOrigin]: A,
  },
  {
    name: detailSpanName('actual', 'GET'),
    [ATTR.kind]: 'actual',
    [ATTR.httpRoute]: '/orders/:id',
    [ATTR.origin]: EVIL,
    [ATTR.outcome]: 'blocked',
    [ATTR.reasons]: ['missing_allow_origin'],
    [ATTR.warnings]: [],
    [ATTR.needsPreflight]: false,
    [ATTR.requestHeaders]: undefined,
    [ATTR.serverAddress]: '127.0.0.1',
    [ATTR.responseAllowOrigin]: undefined,
  },
  {
    name: SPAN_NAMES.preflight,
    [ATTR.kind]: 'preflight',
    [ATTR.httpRoute]: '/orders/:id',
    [ATTR.origin]: A,
    [ATTR.outcome]: 'allowed',
    [ATTR.reasons]: [],
    [ATTR.warnings]: [],
    [ATTR.needsPreflight]: undefined,
    [ATTR.requestHeaders]: ['content-type', 'x-trace'],
    [ATTR.serverAddress]: '127.0.0.1',
    [ATTR.responseAllowOrigin]: A,
  },
];

describe('Fastify with http2: true (h2c) and @fastify/cors', () => {
  const policy = {
    origin: [A],
    methods: ['GET', 'PUT'],
    credentials: true,
    maxAge: 600,
  } satisfies FastifyCorsOptions;

  it('reports allowed, blocked and preflight requests and leaves same-origin ones out', async () => {
    const spans = collectSpans();
    const app = Fastify({ http2: true });
    cleanups.push(() => app.close());
    await app.register(corsightPlugin, { tracerProvider: spans.tracerProvider, policy, sampling: 1 });
    await app.register(cors, policy);
    app.get('/orders/:id', () => ({ id: 1 }));
    app.put('/orders/:id', () => ({ ok: true }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${port(app.server.address()).toString()}`;
    const { send, close } = connect(base);

    expect((await send(get(A))).headers['access-control-allow-origin']).toBe(A);
    expect((await send(get(EVIL))).headers['access-control-allow-origin']).toBeUndefined();
    expect((await send(preflight(A))).status).toBe(204);
    expect((await send(get(base))).status).toBe(200);
    // Closing the app emits the last spans; Fastify waits for open HTTP/2 sessions first.
    await close();
    await app.close();

    expect(spans.details().map(summary)).toEqual(expected);
  });
});

describe('node:http2 createServer with corsight.wrap', () => {
  /** Writes CORS headers by hand (A allowed, with credentials): through setHeader, or all in writeHead. */
  function handler(via: 'setHeader' | 'writeHead') {
    return (req: Http2ServerRequest, res: Http2ServerResponse): void => {
      const headers: OutgoingHttpHeaders = { 'access-control-allow-credentials': 'true' };
      if (req.headers.origin === A) {
        headers['access-control-allow-origin'] = A;
        if (req.method === 'OPTIONS') {
          headers['access-control-allow-methods'] = 'GET, PUT';
          headers['access-control-allow-headers'] = 'content-type, x-trace';
          headers['access-control-max-age'] = '600';
        }
      }
      headers.vary = 'Origin';
      const status = req.method === 'OPTIONS' ? 204 : 200;
      if (via === 'setHeader') {
        for (const [name, value] of Object.entries(headers))
          if (value !== undefined) res.setHeader(name, value);
        res.statusCode = status;
      } else {
        res.writeHead(status, headers);
      }
      if (status === 204) res.end();
      else res.end('{"id":1}');
    };
  }

  it.each(['setHeader', 'writeHead'] as const)(
    'reports allowed, blocked and preflight requests and leaves same-origin ones out (headers via %s)',
    async (via) => {
      const spans = collectSpans();
      const listener = corsight.wrap(handler(via), {
        tracerProvider: spans.tracerProvider,
        sampling: 1,
        route: (req) => (req.url.startsWith('/orders/') ? '/orders/:id' : undefined),
      });
      cleanups.push(() => listener.shutdown());
      const server = http2.createServer(listener);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      cleanups.push(
        () =>
          new Promise<void>((resolve) => {
            server.close(() => {
              resolve();
            });
          }),
      );
      const base = `http://127.0.0.1:${port(server.address()).toString()}`;
      const { send, close } = connect(base);

      expect((await send(get(A))).headers['access-control-allow-origin']).toBe(A);
      expect((await send(get(EVIL))).headers['access-control-allow-origin']).toBeUndefined();
      expect((await send(preflight(A))).status).toBe(204);
      expect((await send(get(base))).status).toBe(200);
      await close();
      await listener.shutdown();

      expect(spans.details().map(summary)).toEqual(expected);
    },
  );
});
