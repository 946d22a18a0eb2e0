// Both adapters on servers that speak HTTP/2: Fastify with `http2: true` (h2c) beside @fastify/cors, and
// node:http2's compatibility API with corsight.wrap, in clear text (h2c) and over TLS. An HTTP/2 request carries its host in the `:authority`
// pseudo-header and usually no Host header at all (RFC 9113 §8.3.1: a client that makes the request itself
// leaves Host out), so these tests prove that the API's own origin, the response headers and the server
// address are still found. Requests go through Node's http2 client on 127.0.0.1; spans come from the real
// SDK's InMemorySpanExporter.
import { generateKeyPairSync, sign } from 'node:crypto';
import https from 'node:https';
import http2, {
  type ClientHttp2Session,
  type Http2SecureServer,
  type Http2Server,
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
import Fastify, { type FastifyInstance } from 'fastify';
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

interface Spans {
  readonly tracerProvider: BasicTracerProvider;
  readonly details: () => ReadableSpan[];
}

function collectSpans(): Spans {
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

/**
 * A self-signed Ed25519 certificate for IP 127.0.0.1, built by hand: node:crypto signs but cannot issue
 * certificates, and a DER encoder of a dozen lines spares a dependency or a binary checked in.
 */
function selfSignedCertificate(): { key: string; cert: string } {
  const der = (tag: number, ...parts: Buffer[]): Buffer => {
    const body = Buffer.concat(parts);
    // DER lengths are minimal: short form below 128, else the count of length bytes first.
    const n = body.length;
    const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
    return Buffer.concat([Buffer.from([tag, ...length]), body]);
  };
  const sequence = (...parts: Buffer[]): Buffer => der(0x30, ...parts);
  const ed25519 = sequence(der(0x06, Buffer.from([0x2b, 0x65, 0x70]))); // 1.3.101.112
  const commonName = der(0x06, Buffer.from([0x55, 0x04, 0x03])); // 2.5.4.3
  const name = sequence(der(0x31, sequence(commonName, der(0x0c, Buffer.from('127.0.0.1')))));
  const subjectAltName = der(0x06, Buffer.from([0x55, 0x1d, 0x11])); // 2.5.29.17
  const ip = der(0x87, Buffer.from([127, 0, 0, 1])); // iPAddress [7]
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const tbs = sequence(
    der(0xa0, der(0x02, Buffer.from([2]))), // v3
    der(0x02, Buffer.from([1])),
    ed25519,
    name,
    sequence(der(0x17, Buffer.from('250101000000Z')), der(0x17, Buffer.from('491231235959Z'))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    der(0xa3, sequence(sequence(subjectAltName, der(0x04, sequence(ip))))),
  );
  const certificate = sequence(tbs, ed25519, der(0x03, Buffer.from([0]), sign(null, tbs, privateKey)));
  const base64 = certificate.toString('base64').replace(/.{64}/g, '$&\n');
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    cert: `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`,
  };
}

const tls = selfSignedCertificate();

/** An HTTP/1.1 GET over TLS (a server that allows HTTP/1 beside HTTP/2). */
function sendHttp1(base: string, origin: string): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const request = https.request(`${base}/orders/1`, { ca: tls.cert, headers: { origin } }, (answer) => {
      answer.resume();
      answer.on('end', () => {
        resolve({ status: answer.statusCode ?? 0, headers: answer.headers });
      });
    });
    request.on('error', reject);
    request.end();
  });
}

/** An HTTP/2 client session on `base`; only pseudo-headers name the target, as browsers send them. */
function connect(base: string): Client {
  const session: ClientHttp2Session = http2.connect(base, { ca: tls.cert });
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

/** An allowed GET, a refused GET, a preflight and a same-origin GET, each answered as the policy says. */
async function sendEachKind(send: Client['send'], base: string): Promise<void> {
  expect((await send(get(A))).headers['access-control-allow-origin']).toBe(A);
  expect((await send(get(EVIL))).headers['access-control-allow-origin']).toBeUndefined();
  expect((await send(preflight(A))).status).toBe(204);
  expect((await send(get(base))).status).toBe(200);
}

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

describe('Fastify with http2: true and @fastify/cors', () => {
  const policy = {
    origin: [A],
    methods: ['GET', 'PUT'],
    credentials: true,
    maxAge: 600,
  } satisfies FastifyCorsOptions;

  async function start(app: FastifyInstance<Http2Server | Http2SecureServer>): Promise<Spans> {
    const spans = collectSpans();
    cleanups.push(() => app.close());
    await app.register(corsightPlugin, { tracerProvider: spans.tracerProvider, policy, sampling: 1 });
    await app.register(cors, policy);
    app.get('/orders/:id', () => ({ id: 1 }));
    app.put('/orders/:id', () => ({ ok: true }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    return spans;
  }

  it('reports allowed, blocked and preflight requests and leaves same-origin ones out (h2c)', async () => {
    const app = Fastify({ http2: true });
    const spans = await start(app);
    const base = `http://127.0.0.1:${port(app.server.address()).toString()}`;
    const { send, close } = connect(base);

    await sendEachKind(send, base);
    // Closing the app emits the last spans; Fastify waits for open HTTP/2 sessions first.
    await close();
    await app.close();

    expect(spans.details().map(summary)).toEqual(expected);
  });

  it('finds a route constrained by host for a preflight, from its :authority', async () => {
    const spans = collectSpans();
    const app = Fastify({ http2: true });
    cleanups.push(() => app.close());
    await app.register(corsightPlugin, { tracerProvider: spans.tracerProvider, sampling: 1 });
    // find-my-way derives the host constraint from Host, else :authority.
    app.put('/tenants/:id', { constraints: { host: /^127\.0\.0\.1(:\d+)?$/ } }, () => 'tenant');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { send, close } = connect(`http://127.0.0.1:${port(app.server.address()).toString()}`);
    await send({ ...preflight(A), ':path': '/tenants/1' });
    expect((await send({ ':method': 'PUT', ':path': '/tenants/1' })).status).toBe(200);
    await close();
    await app.close();
    expect(spans.details().map((span) => span.attributes[ATTR.httpRoute])).toEqual(['/tenants/:id']);
  });

  it('does the same over TLS, with HTTP/1.1 requests mixed in (allowHTTP1)', async () => {
    const app = Fastify({ http2: true, https: { allowHTTP1: true, ...tls } });
    const spans = await start(app);
    const base = `https://127.0.0.1:${port(app.server.address()).toString()}`;
    const { send, close } = connect(base);

    expect((await send(get(A))).headers['access-control-allow-origin']).toBe(A);
    expect((await sendHttp1(base, A)).headers['access-control-allow-origin']).toBe(A);
    expect((await send(get(EVIL))).headers['access-control-allow-origin']).toBeUndefined();
    expect((await send(preflight(A))).status).toBe(204);
    expect((await send(get(base))).status).toBe(200);
    expect((await sendHttp1(base, base)).status).toBe(200);
    await close();
    await app.close();

    const [first, ...rest] = expected;
    expect(spans.details().map(summary)).toEqual([first, first, ...rest]);
  });
});

describe('node:http2 with corsight.wrap', () => {
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

  it.each([
    ['createServer', 'setHeader'],
    ['createServer', 'writeHead'],
    ['createSecureServer', 'setHeader'],
    ['createSecureServer', 'writeHead'],
  ] as const)(
    'reports allowed, blocked and preflight requests and leaves same-origin ones out (%s, headers via %s)',
    async (create, via) => {
      const spans = collectSpans();
      const listener = corsight.wrap(handler(via), {
        tracerProvider: spans.tracerProvider,
        sampling: 1,
        route: (req) => (req.url.startsWith('/orders/') ? '/orders/:id' : undefined),
      });
      cleanups.push(() => listener.shutdown());
      const server =
        create === 'createServer' ? http2.createServer(listener) : http2.createSecureServer(tls, listener);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      cleanups.push(
        () =>
          new Promise<void>((resolve) => {
            server.close(() => {
              resolve();
            });
          }),
      );
      const scheme = create === 'createServer' ? 'http' : 'https';
      const base = `${scheme}://127.0.0.1:${port(server.address()).toString()}`;
      const { send, close } = connect(base);

      await sendEachKind(send, base);
      await close();
      await listener.shutdown();

      expect(spans.details().map(summary)).toEqual(expected);
    },
  );
});
