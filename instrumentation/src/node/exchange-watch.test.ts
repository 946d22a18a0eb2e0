// What the watch does per request, on real IncomingMessage / ServerResponse objects (no socket, so each test
// decides when a response's head is written, and when it ends or closes) and a real observer with the SDK's in-memory exporter.
// node.test.ts covers the same paths over the wire.
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { CorsObserver } from '../observe/cors-observer.js';
import { headWatcherOf } from '../observe/head-watch.js';
import type { CorsightOptions } from '../observe/options.js';
import { ATTR } from '../schema.js';
import { ExchangeWatch, type RouteResolver } from './exchange-watch.js';

const APP = 'https://app.example.com';
const observers: CorsObserver[] = [];

/** Whether some instance watches, or has watched, this response. */
function isWatched(res: ServerResponse): boolean {
  return headWatcherOf(res) !== undefined;
}

afterEach(async () => {
  for (const observer of observers.splice(0)) await observer.shutdown();
});

interface Watching {
  readonly watch: ExchangeWatch;
  /** Ends the interval and returns every span (sampling 1: one per counted request). */
  readonly spans: () => Promise<ReadableSpan[]>;
  /** The methods the route option was called with. */
  readonly routed: string[];
}

function watching(options: CorsightOptions = {}): Watching {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const observer = new CorsObserver({ tracerProvider, sampling: 1, ...options });
  observers.push(observer);
  const routed: string[] = [];
  const route: RouteResolver = (_req, method) => {
    routed.push(method);
    return '/orders/:id';
  };
  return {
    watch: new ExchangeWatch(observer, route),
    routed,
    spans: async () => {
      await observer.shutdown();
      return exporter.getFinishedSpans();
    },
  };
}

function exchange(
  headers: Record<string, string>,
  method = 'GET',
): { req: IncomingMessage; res: ServerResponse } {
  const req = new IncomingMessage(new Socket());
  req.method = method;
  req.url = '/orders/1';
  req.headers = { host: 'api.example.com', ...headers };
  return { req, res: new ServerResponse(req) };
}

/** What Node does once a response is written and its socket done with it. */
function finish(res: ServerResponse): void {
  res.emit('finish');
  res.emit('close');
}

describe('requests that cannot be CORS', () => {
  it.each([
    ['without an Origin', {}],
    ['with Sec-Fetch-Site: same-origin', { origin: APP, 'sec-fetch-site': 'same-origin' }],
    ['from the origin the Host names', { origin: 'http://api.example.com' }],
    [
      'from the origin the Host names behind a TLS proxy',
      { origin: 'https://api.example.com', 'x-forwarded-proto': 'https' },
    ],
  ])('are not watched, routed or counted: %s', async (_name, headers) => {
    const { watch, spans, routed } = watching();
    const { req, res } = exchange(headers);
    watch.watch(req, res);
    expect(isWatched(res)).toBe(false);
    res.end('ok');
    finish(res);
    expect(await spans()).toEqual([]);
    expect(routed).toEqual([]);
  });

  it('are not watched when they come from the configured serverOrigin', async () => {
    const { watch, spans } = watching({ serverOrigin: APP });
    const { req, res } = exchange({ origin: APP });
    watch.watch(req, res);
    expect(isWatched(res)).toBe(false);
    res.end();
    expect(await spans()).toEqual([]);
  });

  it('are watched when only the scheme differs from the origin the Host names', async () => {
    const { watch, spans } = watching();
    const { req, res } = exchange({ origin: 'https://api.example.com' });
    watch.watch(req, res);
    expect(isWatched(res)).toBe(true);
    res.end();
    expect((await spans()).map((s) => s.attributes[ATTR.origin])).toEqual(['https://api.example.com']);
  });
});

describe('a cross-origin request', () => {
  it('is judged once its head is written, with no close listener', async () => {
    const { watch, spans, routed } = watching();
    const { req, res } = exchange({ origin: APP });
    const listeners = res.listenerCount('close');
    watch.watch(req, res);
    res.setHeader('Access-Control-Allow-Origin', APP);
    res.end('ok');
    expect(res.listenerCount('close')).toBe(listeners);
    finish(res);
    const [span, ...others] = await spans();
    expect(others).toEqual([]);
    expect(span?.attributes).toMatchObject({
      [ATTR.httpRoute]: '/orders/:id',
      [ATTR.responseAllowOrigin]: APP,
      [ATTR.httpResponseStatusCode]: 200,
    });
    // Looked up once the engine knew the request was cross-origin, once.
    expect(routed).toEqual(['GET']);
  });

  it('sees the status and headers an async handler writes in a later turn, with no close listener', async () => {
    const { watch, spans } = watching();
    const { req, res } = exchange({ origin: APP });
    const listeners = res.listenerCount('close');
    watch.watch(req, res);
    await nextTurn();
    await nextTurn();
    expect(isWatched(res)).toBe(true);
    res.statusCode = 503;
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.end();
    expect(res.listenerCount('close')).toBe(listeners);
    // Judged after the turn its head was written in, before (and without) the response closing.
    await nextTurn();
    await nextTurn();
    const written = await spans();
    expect(
      written.map((s) => [s.attributes[ATTR.httpResponseStatusCode], s.attributes[ATTR.responseAllowOrigin]]),
    ).toEqual([[503, '*']]);
  });

  it('takes the status written, not one assigned after the head', async () => {
    const { watch, spans } = watching();
    const { req, res } = exchange({ origin: APP });
    watch.watch(req, res);
    res.writeHead(204, { 'Access-Control-Allow-Origin': APP });
    res.statusCode = 500;
    res.end();
    expect((await spans()).map((s) => s.attributes[ATTR.httpResponseStatusCode])).toEqual([204]);
  });

  it('is judged as written when a middleware before it wrote the head already', async () => {
    const { watch, spans } = watching();
    const { req, res } = exchange({ origin: APP });
    res.writeHead(403, { 'Access-Control-Allow-Origin': APP });
    watch.watch(req, res);
    res.end();
    expect(isWatched(res)).toBe(true);
    expect(
      (await spans()).map((s) => [
        s.attributes[ATTR.httpResponseStatusCode],
        s.attributes[ATTR.responseAllowOrigin],
      ]),
    ).toEqual([[403, APP]]);
  });

  it('is counted once when a second instance sees it after its first turn', async () => {
    const first = watching();
    const second = watching();
    const { req, res } = exchange({ origin: APP });
    first.watch.watch(req, res);
    await nextTurn();
    // An async middleware between the two instances: the second runs in a later turn.
    second.watch.watch(req, res);
    res.end();
    finish(res);
    second.watch.watch(req, res);
    expect(await first.spans()).toHaveLength(1);
    expect(await second.spans()).toEqual([]);
  });

  it('is not judged when the response is destroyed before any header is written', async () => {
    const { watch, spans } = watching();
    const { req, res } = exchange({ origin: APP });
    watch.watch(req, res);
    await nextTurn();
    res.destroy();
    res.emit('close');
    // What an application that does not notice the client left does.
    res.end('late');
    expect(await spans()).toEqual([]);
  });

  it('is judged with the others of its turn, each under its own response', async () => {
    const { watch, spans } = watching();
    const statuses = [200, 404, 500];
    for (const status of statuses) {
      const { req, res } = exchange({ origin: APP });
      watch.watch(req, res);
      res.statusCode = status;
      res.end();
    }
    expect((await spans()).map((s) => s.attributes[ATTR.httpResponseStatusCode])).toEqual(statuses);
  });
});
