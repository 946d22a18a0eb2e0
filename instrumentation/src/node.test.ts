// The Node middleware against real servers: Express apps and bare node:http servers on 127.0.0.1, requests
// over a real socket with Node's fetch (which, unlike a browser, lets a test set Origin), spans from the real
// SDK. Attribute keys come from schema.ts, so a renamed key breaks these tests, not a dashboard.
import http, { IncomingMessage, ServerResponse } from 'node:http';
import { type AddressInfo, Socket } from 'node:net';
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type Attributes,
  type Context,
  type ContextManager,
  context,
  diag,
  DiagLogLevel,
  ROOT_CONTEXT,
  trace,
} from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import cors, { type CorsOptions } from 'cors';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CorsightControls, type CorsightNodeOptions, corsight } from './node.js';
import { describePolicy } from './observe/policy.js';
import { ATTR, ORIGIN_INVALID, ORIGIN_OTHER, ROUTE_UNMATCHED, SPAN_NAMES } from './schema.js';
import { wireHead } from './wire-head.fixture.js';

const APP = 'https://app.example.com';
const ADMIN = 'https://admin.example.com';
const PARTNER = 'https://partner.example.net';
const EVIL = 'https://evil.example';
/** Node's fetch sends `user-agent: node`; the server address is the Host without its port. */
const CLIENT = { [ATTR.userAgent]: 'node', [ATTR.serverAddress]: '127.0.0.1' };

// ---- harness ---------------------------------------------------------------------------------------------

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

interface Served {
  readonly base: string;
  /** Sends a request and resolves once the server has closed its response (so it has been observed). */
  send(method: string, path: string, headers?: Record<string, string>): Promise<Answer>;
  /** Resolves once every response the server started has closed. */
  settled(): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];
const diagErrors: unknown[][] = [];

beforeEach(() => {
  diag.setLogger(
    {
      error: (...args: unknown[]) => diagErrors.push(args),
      warn: () => undefined,
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    DiagLogLevel.ERROR,
  );
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  diag.disable();
  // Corsight never fails quietly: nothing it caught may go unnoticed by a test.
  expect(diagErrors.splice(0)).toEqual([]);
});

async function listen(listener: http.RequestListener): Promise<Served> {
  const server = http.createServer();
  let open = 0;
  let waiters: (() => void)[] = [];
  // Registered before the application's listener, so every response is counted before it can close.
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    open++;
    res.on('close', () => {
      if (--open > 0) return;
      const ready = waiters;
      waiters = [];
      for (const wake of ready) wake();
    });
  });
  server.on('request', listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  );
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const settled = (): Promise<void> =>
    open === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve));
  return {
    base,
    settled,
    async send(method, path, headers = {}) {
      const response = await fetch(base + path, { method, headers });
      const body = await response.text();
      await settled();
      return { status: response.status, headers: Object.fromEntries(response.headers), body };
    },
  };
}

interface Observed {
  /** Shuts the middleware down (emitting the last summaries) and returns every span. */
  spans(): Promise<readonly ReadableSpan[]>;
  details(): Promise<readonly ReadableSpan[]>;
  summaries(): Promise<readonly ReadableSpan[]>;
}

function tracing(): { tracerProvider: BasicTracerProvider; finished: () => ReadableSpan[] } {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  cleanups.push(() => tracerProvider.shutdown());
  return { tracerProvider, finished: () => exporter.getFinishedSpans() };
}

function observed(controls: CorsightControls, finished: () => ReadableSpan[]): Observed {
  cleanups.push(() => controls.shutdown());
  const spans = async (): Promise<readonly ReadableSpan[]> => {
    await controls.shutdown();
    return finished();
  };
  return {
    spans,
    details: async () => (await spans()).filter((s) => s.attributes[ATTR.spanRole] === 'detail'),
    summaries: async () => (await spans()).filter((s) => s.name === SPAN_NAMES.summary),
  };
}

/** An Express app with Corsight registered first, and whatever `build` adds after it. */
async function expressApp(
  options: CorsightNodeOptions<Request>,
  build: (app: Express) => void,
): Promise<Served & Observed> {
  const { tracerProvider, finished } = tracing();
  const middleware = corsight({ tracerProvider, ...options });
  const app = express();
  app.use(middleware);
  build(app);
  return { ...(await listen(app)), ...observed(middleware, finished) };
}

function withOrigin(origin: string, extra: Record<string, string> = {}): Record<string, string> {
  return { origin, ...extra };
}

function preflight(origin: string, method: string, headers?: string): Record<string, string> {
  const asked: Record<string, string> = { origin, 'access-control-request-method': method };
  if (headers !== undefined) asked['access-control-request-headers'] = headers;
  return asked;
}

function only(spans: readonly ReadableSpan[], where: (attributes: Attributes) => boolean): ReadableSpan {
  const found = spans.filter((s) => where(s.attributes));
  expect(found).toHaveLength(1);
  return found[0] as ReadableSpan;
}

const byOrigin =
  (origin: string) =>
  (attributes: Attributes): boolean =>
    attributes[ATTR.origin] === origin;

function weight(span: ReadableSpan): number {
  return span.attributes[ATTR.sampleWeight] as number;
}

function ok(_req: Request, res: Response): void {
  res.json({ ok: true });
}

// ---- 1. Express with the cors package ----------------------------------------------------------------------

describe('Express with the cors package', () => {
  const policy = {
    origin: [APP, ADMIN, PARTNER],
    credentials: true,
    maxAge: 600,
    methods: ['GET', 'PUT'],
  } satisfies CorsOptions;
  const hash = describePolicy(policy).hash;

  async function ordersApi(corsPolicy: typeof policy = policy): Promise<Served & Observed> {
    return expressApp({ policy: corsPolicy, serviceName: 'orders-api' }, (app) => {
      app.use(cors(corsPolicy));
      app.get('/orders/:id', ok);
      app.put('/orders/:id', ok);
    });
  }

  it('sees an allowed GET with the headers cors wrote, under its route template', async () => {
    const api = await ordersApi();
    const answer = await api.send('GET', '/orders/42', withOrigin(APP));
    expect(answer.headers['access-control-allow-origin']).toBe(APP);
    const detail = only(await api.details(), byOrigin(APP));
    expect(detail.name).toBe('CORS GET');
    expect(detail.attributes).toEqual({
      [ATTR.serviceName]: 'orders-api',
      [ATTR.spanRole]: 'detail',
      [ATTR.kind]: 'actual',
      [ATTR.httpRoute]: '/orders/:id',
      [ATTR.origin]: APP,
      [ATTR.httpRequestMethod]: 'GET',
      [ATTR.outcome]: 'allowed',
      [ATTR.reasons]: [],
      // Express sends an ETag, which a page script cannot read without Access-Control-Expose-Headers.
      [ATTR.warnings]: ['header_not_exposed'],
      [ATTR.credentials]: 'unknown',
      [ATTR.needsPreflight]: false,
      [ATTR.policyHash]: hash,
      [ATTR.sampleWeight]: 0,
      [ATTR.httpResponseStatusCode]: 200,
      [ATTR.responseAllowOrigin]: APP,
      [ATTR.responseAllowCredentials]: 'true',
      [ATTR.responseVary]: 'Origin',
      ...CLIENT,
    });
  });

  // Its response is taken when its head is written, like any other (node/exchange-watch.ts): Corsight adds no
  // 'close' listener to it and still sees the status and headers the handler and cors wrote after the await.
  it('sees what an async handler wrote after an await, and adds no close listener', async () => {
    const listeners: number[] = [];
    const api = await expressApp({ sampling: 1 }, (app) => {
      app.use(cors({ origin: APP }));
      app.get('/orders/:id', async (_req, res) => {
        listeners.push(res.listenerCount('close'));
        await new Promise((resolve) => setTimeout(resolve, 5));
        listeners.push(res.listenerCount('close'));
        res.status(202).json({ later: true });
      });
    });
    const answer = await api.send('GET', '/orders/7', withOrigin(APP));
    expect(answer.status).toBe(202);
    const [span, ...others] = await api.spans();
    expect(others).toEqual([]);
    expect(span?.attributes).toMatchObject({
      [ATTR.httpRoute]: '/orders/:id',
      [ATTR.httpResponseStatusCode]: 202,
      [ATTR.responseAllowOrigin]: APP,
    });
    expect(listeners).toHaveLength(2);
    expect(listeners[1]).toBe(listeners[0]);
  });

  it('warns once, on Node’s warning channel, when a CORS middleware runs before it', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error & { code?: string }): void => {
      if (warning.code !== undefined) warnings.push(warning.code);
    };
    process.on('warning', onWarning);
    try {
      const first = await expressApp({ sampling: 1 }, (app) => {
        app.use(cors({ origin: APP }));
        app.get('/orders/:id', ok);
      });
      await first.send('GET', '/orders/1', withOrigin(APP));
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).toEqual([]);

      const { tracerProvider, finished } = tracing();
      const late = corsight({ tracerProvider, sampling: 1 });
      const app = express();
      app.use(cors({ origin: APP }));
      app.use(late);
      app.get('/orders/:id', ok);
      const api = { ...(await listen(app)), ...observed(late, finished) };
      // The preflight never reaches Corsight; the GETs show why.
      await api.send('OPTIONS', '/orders/1', preflight(APP, 'PUT'));
      await api.send('GET', '/orders/1', withOrigin(APP));
      await api.send('GET', '/orders/2', withOrigin(APP));
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).toEqual(['CORSIGHT_AFTER_CORS_MIDDLEWARE']);
      expect((await api.spans()).map((span) => span.attributes[ATTR.kind])).toEqual(['actual', 'actual']);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('counts an origin outside the allowlist as blocked for the missing Allow-Origin', async () => {
    const api = await ordersApi();
    const answer = await api.send('GET', '/orders/42', withOrigin(EVIL));
    expect(answer.status).toBe(200);
    const detail = only(await api.details(), byOrigin(EVIL));
    expect(detail.attributes).toEqual({
      [ATTR.serviceName]: 'orders-api',
      [ATTR.spanRole]: 'detail',
      [ATTR.kind]: 'actual',
      [ATTR.httpRoute]: '/orders/:id',
      [ATTR.origin]: EVIL,
      [ATTR.httpRequestMethod]: 'GET',
      [ATTR.outcome]: 'blocked',
      [ATTR.reasons]: ['missing_allow_origin'],
      [ATTR.warnings]: [],
      [ATTR.credentials]: 'unknown',
      [ATTR.needsPreflight]: false,
      [ATTR.policyHash]: hash,
      [ATTR.sampleWeight]: 0,
      [ATTR.httpResponseStatusCode]: 200,
      [ATTR.responseAllowCredentials]: 'true',
      [ATTR.responseVary]: 'Origin',
      ...CLIENT,
    });
  });

  it('attributes a preflight cors answers itself to the route of the method it asks for', async () => {
    const api = await ordersApi();
    const answer = await api.send('OPTIONS', '/orders/42', preflight(ADMIN, 'PUT', 'content-type'));
    expect(answer.status).toBe(204);
    const detail = only(await api.details(), byOrigin(ADMIN));
    expect(detail.name).toBe(SPAN_NAMES.preflight);
    expect(detail.attributes).toEqual({
      [ATTR.serviceName]: 'orders-api',
      [ATTR.spanRole]: 'detail',
      [ATTR.kind]: 'preflight',
      [ATTR.httpRoute]: '/orders/:id',
      [ATTR.origin]: ADMIN,
      [ATTR.httpRequestMethod]: 'OPTIONS',
      [ATTR.requestMethod]: 'PUT',
      [ATTR.requestHeaders]: ['content-type'],
      [ATTR.outcome]: 'allowed',
      [ATTR.reasons]: [],
      [ATTR.warnings]: [],
      [ATTR.credentials]: 'unknown',
      [ATTR.policyHash]: hash,
      // maxAge 600 is under every engine's cap (Chromium 7200, Firefox 86400, WebKit 600).
      [ATTR.preflightCacheChromium]: 600,
      [ATTR.preflightCacheFirefox]: 600,
      [ATTR.preflightCacheWebkit]: 600,
      [ATTR.sampleWeight]: 0,
      [ATTR.httpResponseStatusCode]: 204,
      [ATTR.responseAllowOrigin]: ADMIN,
      [ATTR.responseAllowCredentials]: 'true',
      [ATTR.responseAllowMethods]: 'GET,PUT',
      [ATTR.responseAllowHeaders]: 'content-type',
      [ATTR.responseMaxAge]: '600',
      [ATTR.responseVary]: 'Origin, Access-Control-Request-Headers',
      ...CLIENT,
    });
  });

  it('counts every request exactly in summaries keyed by route, origin and outcome', async () => {
    const api = await ordersApi();
    for (let i = 0; i < 3; i++) await api.send('GET', `/orders/${i}`, withOrigin(APP));
    await api.send('GET', '/orders/9', withOrigin(PARTNER));
    for (let i = 0; i < 2; i++) await api.send('PUT', `/orders/${i}`, withOrigin(EVIL));
    const summaries = await api.summaries();
    const counts = summaries.map((s) => [
      s.attributes[ATTR.httpRequestMethod],
      s.attributes[ATTR.origin],
      s.attributes[ATTR.outcome],
      weight(s),
    ]);
    expect(counts).toEqual(
      expect.arrayContaining([
        ['GET', APP, 'allowed', 3],
        ['GET', PARTNER, 'allowed', 1],
        ['PUT', EVIL, 'blocked', 2],
      ]),
    );
    expect(counts).toHaveLength(3);
    expect(summaries.every((s) => s.attributes[ATTR.policyHash] === hash)).toBe(true);
  });

  it('marks a policy change with a different policy hash', async () => {
    const changed = { ...policy, origin: [APP, ADMIN, PARTNER, 'https://new.example.org'] };
    const before = await ordersApi();
    await before.send('GET', '/orders/1', withOrigin(APP));
    const after = await ordersApi(changed);
    await after.send('GET', '/orders/1', withOrigin(APP));
    const [first] = await before.summaries();
    const [second] = await after.summaries();
    expect(first?.attributes[ATTR.policyHash]).toBe(hash);
    expect(second?.attributes[ATTR.policyHash]).toBe(describePolicy(changed).hash);
    expect(describePolicy(changed).hash).not.toBe(hash);
  });
});

// ---- 2. Hand-written headers -------------------------------------------------------------------------------

describe('hand-written CORS headers', () => {
  async function handWritten(): Promise<Served & Observed> {
    return expressApp({}, (app) => {
      // X-Powered-By set beforehand would make Node merge writeHead's raw array through setHeader, which
      // keeps the last of two equal names: the duplicate would never reach the wire.
      app.disable('x-powered-by');
      // Registered after Corsight: what it sets must still be seen.
      app.use('/late', (req, res, next) => {
        res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '');
        res.setHeader('Vary', 'Origin');
        next();
      });
      app.get('/late/:id', ok);
      // Headers handed straight to writeHead never reach getHeaders(); only the written block has them.
      app.get('/direct', (_req, res) => {
        res.writeHead(200, { 'Access-Control-Allow-Origin': APP, 'Content-Type': 'text/plain' });
        res.end('direct');
      });
      app.get('/twice', (_req, res) => {
        res.writeHead(200, ['Access-Control-Allow-Origin', APP, 'Access-Control-Allow-Origin', APP]);
        res.end('twice');
      });
    });
  }

  it('sees headers set by a middleware registered after it', async () => {
    const api = await handWritten();
    await api.send('GET', '/late/7', withOrigin(APP));
    const [detail] = await api.details();
    expect(detail?.attributes).toMatchObject({
      [ATTR.httpRoute]: '/late/:id',
      [ATTR.outcome]: 'blocked_if_credentialed',
      [ATTR.reasons]: ['allow_credentials_not_true'],
      [ATTR.responseAllowOrigin]: APP,
      [ATTR.responseVary]: 'Origin',
    });
  });

  it('sees headers passed straight to writeHead', async () => {
    const api = await handWritten();
    const answer = await api.send('GET', '/direct', withOrigin(APP));
    expect(answer.body).toBe('direct');
    const [detail] = await api.details();
    expect(detail?.attributes).toMatchObject({
      [ATTR.httpRoute]: '/direct',
      [ATTR.outcome]: 'blocked_if_credentialed',
      [ATTR.responseAllowOrigin]: APP,
      [ATTR.httpResponseStatusCode]: 200,
    });
    expect(detail?.attributes[ATTR.reasons]).toEqual(['allow_credentials_not_true']);
  });

  it('sees two Access-Control-Allow-Origin headers written as a raw array', async () => {
    const api = await handWritten();
    await api.send('GET', '/twice', withOrigin(APP));
    const [detail] = await api.details();
    expect(detail?.attributes).toMatchObject({
      [ATTR.httpRoute]: '/twice',
      [ATTR.outcome]: 'blocked',
      [ATTR.responseAllowOrigin]: `${APP}, ${APP}`,
    });
    expect(detail?.attributes[ATTR.reasons]).toContain('multiple_allow_origin');
  });
});

// ---- 3. No CORS support ------------------------------------------------------------------------------------

describe('an API without CORS support', () => {
  async function plainApi(): Promise<Served & Observed> {
    return expressApp({ sampling: 1 }, (app) => {
      app.get('/orders/:id', ok);
      app.put('/orders/:id', ok);
      app.get('/reports/:year', ok);
    });
  }

  it('counts cross-origin requests as blocked for the missing Allow-Origin', async () => {
    const api = await plainApi();
    await api.send('GET', '/orders/1', withOrigin(APP));
    const [span] = await api.spans();
    expect(span?.attributes).toEqual({
      [ATTR.spanRole]: 'detail',
      [ATTR.kind]: 'actual',
      [ATTR.httpRoute]: '/orders/:id',
      [ATTR.origin]: APP,
      [ATTR.httpRequestMethod]: 'GET',
      [ATTR.outcome]: 'blocked',
      // What a credentialed caller would also meet is listed after the first reason.
      [ATTR.reasons]: ['missing_allow_origin', 'allow_credentials_not_true'],
      [ATTR.warnings]: [],
      [ATTR.credentials]: 'unknown',
      [ATTR.needsPreflight]: false,
      [ATTR.sampleWeight]: 1,
      [ATTR.httpResponseStatusCode]: 200,
      ...CLIENT,
    });
  });

  it("attributes Express's automatic OPTIONS answer to the route of the method asked for", async () => {
    const api = await plainApi();
    const answer = await api.send('OPTIONS', '/orders/1', preflight(APP, 'PUT'));
    expect(answer).toMatchObject({ status: 200, body: 'GET, HEAD, PUT' });
    const [span] = await api.spans();
    expect(span?.attributes).toMatchObject({
      [ATTR.kind]: 'preflight',
      [ATTR.httpRoute]: '/orders/:id',
      [ATTR.requestMethod]: 'PUT',
      [ATTR.outcome]: 'blocked',
      [ATTR.httpResponseStatusCode]: 200,
      [ATTR.preflightCacheChromium]: 0,
    });
    expect(span?.attributes[ATTR.reasons]).toContain('missing_allow_origin');
  });

  it('attributes a preflight a catch-all 404 handler answers to the route of the method asked for', async () => {
    const api = await expressApp({ sampling: 1 }, (app) => {
      app.get('/orders/:id', ok);
      // The usual custom 404 runs before Express's automatic OPTIONS answer could.
      app.use((_req, res) => {
        res.status(404).json({ error: 'not found' });
      });
    });
    const answer = await api.send('OPTIONS', '/orders/1', preflight(APP, 'GET'));
    expect(answer.status).toBe(404);
    const [span] = await api.spans();
    expect(span?.attributes).toMatchObject({
      [ATTR.kind]: 'preflight',
      [ATTR.httpRoute]: '/orders/:id',
      [ATTR.requestMethod]: 'GET',
      [ATTR.outcome]: 'blocked',
      [ATTR.httpResponseStatusCode]: 404,
    });
    expect(span?.attributes[ATTR.reasons]).toEqual(
      expect.arrayContaining(['missing_allow_origin', 'preflight_status_not_ok']),
    );
  });

  it('counts paths and methods no route matches as (unmatched)', async () => {
    const api = await plainApi();
    expect((await api.send('OPTIONS', '/nowhere/1', preflight(APP, 'GET'))).status).toBe(404);
    expect((await api.send('GET', '/nowhere/1', withOrigin(APP))).status).toBe(404);
    // A path that exists, asked for a method it has no route for.
    expect((await api.send('OPTIONS', '/reports/2024', preflight(APP, 'DELETE'))).status).toBe(200);
    const spans = await api.spans();
    expect(
      spans.map((s) => [
        s.name,
        s.attributes[ATTR.httpRoute],
        s.attributes[ATTR.outcome],
        (s.attributes[ATTR.warnings] as string[]).includes('preflight_unmatched_route'),
      ]),
    ).toEqual([
      // Express's router says no route matches: the preflights carry the adapter's warning.
      [SPAN_NAMES.preflight, ROUTE_UNMATCHED, 'blocked', true],
      ['CORS GET', ROUTE_UNMATCHED, 'blocked', false],
      [SPAN_NAMES.preflight, ROUTE_UNMATCHED, 'blocked', true],
    ]);
  });

  it('does not claim a preflight to a sub-application matched no route', async () => {
    const api = await expressApp({ sampling: 1 }, (app) => {
      const admin = express();
      admin.get('/panel', ok);
      app.use('/admin', admin);
    });
    await api.send('OPTIONS', '/admin/panel', preflight(APP, 'GET'));
    const [span] = await api.spans();
    expect(span?.attributes[ATTR.httpRoute]).toBe(ROUTE_UNMATCHED);
    expect(span?.attributes[ATTR.warnings]).not.toContain('preflight_unmatched_route');
  });
});

// ---- 4. Errors ---------------------------------------------------------------------------------------------

describe('error responses', () => {
  function boom(): never {
    throw new Error('boom');
  }

  it("sees a 500 from the application's error handler, with the CORS headers cors set before", async () => {
    const api = await expressApp({ sampling: 1 }, (app) => {
      app.use(cors({ origin: APP }));
      app.get('/orders/:id', boom);
      app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
        if (res.headersSent) next(error);
        else res.status(500).json({ error: 'internal' });
      });
    });
    const answer = await api.send('GET', '/orders/1', withOrigin(APP));
    expect(answer.status).toBe(500);
    const [span] = await api.spans();
    expect(span?.attributes).toMatchObject({
      [ATTR.httpRoute]: '/orders/:id',
      [ATTR.httpResponseStatusCode]: 500,
      // Readable by a page that sends no credentials: cors was configured without them.
      [ATTR.outcome]: 'blocked_if_credentialed',
      [ATTR.reasons]: ['allow_credentials_not_true'],
      [ATTR.responseAllowOrigin]: APP,
    });
  });

  it("sees Express's default 500 for a rejected async handler, without CORS headers", async () => {
    const api = await expressApp({ sampling: 1 }, (app) => {
      // Keeps Express's default handler from logging the stack.
      app.set('env', 'test');
      app.get('/orders/:id', async () => {
        await Promise.resolve();
        boom();
      });
    });
    const answer = await api.send('GET', '/orders/1', withOrigin(APP));
    expect(answer.status).toBe(500);
    const [span] = await api.spans();
    expect(span?.attributes).toMatchObject({
      [ATTR.httpRoute]: '/orders/:id',
      [ATTR.httpResponseStatusCode]: 500,
      [ATTR.outcome]: 'blocked',
      [ATTR.reasons]: ['missing_allow_origin', 'allow_credentials_not_true'],
    });
  });

  it('attributes a 401 from auth middleware that ran before any route to the route it guards', async () => {
    const api = await expressApp({ sampling: 1 }, (app) => {
      app.use((req, res, next) => {
        if (req.headers.authorization === undefined) res.status(401).json({ error: 'unauthorised' });
        else next();
      });
      app.use(cors({ origin: APP }));
      app.get('/orders/:id', ok);
    });
    expect((await api.send('GET', '/orders/1', withOrigin(APP))).status).toBe(401);
    const [span] = await api.spans();
    expect(span?.attributes).toMatchObject({
      [ATTR.httpRoute]: '/orders/:id',
      [ATTR.httpResponseStatusCode]: 401,
      [ATTR.outcome]: 'blocked',
      [ATTR.reasons]: ['missing_allow_origin', 'allow_credentials_not_true'],
    });
  });
});

// ---- 5. Nested routers -------------------------------------------------------------------------------------

describe('nested routers', () => {
  async function nestedApi(): Promise<Served & Observed> {
    return expressApp({ sampling: 1 }, (app) => {
      const api = express.Router();
      const v1 = express.Router();
      v1.get('/items/:item', ok);
      v1.delete('/items/:item', ok);
      api.use('/v1', v1);
      api.get('/orders/:id', ok);
      api.get('/fail/:id', () => {
        throw new Error('fail');
      });
      app.use('/api', api);
      const tenant = express.Router({ mergeParams: true });
      tenant.get('/orders/:id', ok);
      app.use('/tenants/:tenant', tenant);
      // Outside the nested router: by the time it runs, req.baseUrl is back to ''.
      app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
        if (res.headersSent) next(error);
        else res.status(500).end();
      });
    });
  }

  it('includes every mount path in the route template', async () => {
    const api = await nestedApi();
    await api.send('GET', '/api/orders/5', withOrigin(APP));
    await api.send('GET', '/api/v1/items/3?full=1', withOrigin(APP));
    await api.send('OPTIONS', '/api/v1/items/3', preflight(APP, 'DELETE'));
    const routes = (await api.spans()).map((s) => s.attributes[ATTR.httpRoute]);
    expect(routes).toEqual(['/api/orders/:id', '/api/v1/items/:item', '/api/v1/items/:item']);
  });

  it('keeps a parametrised mount path as its template, never its raw value', async () => {
    const api = await nestedApi();
    await api.send('GET', '/tenants/acme/orders/5', withOrigin(APP));
    await api.send('OPTIONS', '/tenants/acme/orders/5', preflight(APP, 'GET'));
    const routes = (await api.spans()).map((s) => s.attributes[ATTR.httpRoute]);
    expect(routes).toEqual(['/tenants/:tenant/orders/:id', '/tenants/:tenant/orders/:id']);
  });

  it('keeps the full template when an error handler outside the nested router answers', async () => {
    const api = await nestedApi();
    expect((await api.send('GET', '/api/fail/1', withOrigin(APP))).status).toBe(500);
    const [span] = await api.spans();
    expect(span?.attributes[ATTR.httpRoute]).toBe('/api/fail/:id');
  });
});

// ---- 6. node:http ------------------------------------------------------------------------------------------

describe('corsight.wrap for a bare node:http handler', () => {
  function handler(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '*');
    res.end('hello');
  }

  async function wrapped(options: CorsightNodeOptions = {}): Promise<Served & Observed> {
    const { tracerProvider, finished } = tracing();
    const listener = corsight.wrap(handler, { tracerProvider, sampling: 1, ...options });
    return { ...(await listen(listener)), ...observed(listener, finished) };
  }

  it('leaves out preflight_unmatched_route when it has no router to ask', async () => {
    const server = await wrapped();
    await server.send('OPTIONS', '/orders/1', preflight(APP, 'PUT'));
    const [span] = await server.spans();
    expect(span?.attributes[ATTR.httpRoute]).toBe(ROUTE_UNMATCHED);
    expect(span?.attributes[ATTR.warnings]).not.toContain('preflight_unmatched_route');
  });

  it('counts requests as (unmatched) when it has no way to know the route', async () => {
    const server = await wrapped();
    const answer = await server.send('GET', '/orders/1', withOrigin(APP));
    expect(answer).toMatchObject({ status: 200, body: 'hello' });
    const [span] = await server.spans();
    expect(span?.attributes).toEqual({
      [ATTR.spanRole]: 'detail',
      [ATTR.kind]: 'actual',
      [ATTR.httpRoute]: ROUTE_UNMATCHED,
      [ATTR.origin]: APP,
      [ATTR.httpRequestMethod]: 'GET',
      [ATTR.outcome]: 'blocked_if_credentialed',
      [ATTR.reasons]: ['allow_credentials_not_true'],
      // Chromium's failedParameter: the Access-Control-Allow-Credentials value, here absent.
      [ATTR.failedValue]: '',
      // The handler reflects the Origin without Vary: Origin.
      [ATTR.warnings]: ['missing_vary_origin'],
      [ATTR.credentials]: 'unknown',
      [ATTR.needsPreflight]: false,
      [ATTR.sampleWeight]: 1,
      [ATTR.httpResponseStatusCode]: 200,
      [ATTR.responseAllowOrigin]: APP,
      ...CLIENT,
    });
  });

  it('takes the route from the route option, with the asked method for a preflight', async () => {
    const calls: string[] = [];
    const server = await wrapped({
      route: (req, method) => {
        calls.push(method);
        return req.url?.startsWith('/orders/') === true ? '/orders/:id' : undefined;
      },
    });
    await server.send('GET', '/orders/1', withOrigin(APP));
    await server.send('OPTIONS', '/orders/1', preflight(APP, 'PATCH'));
    await server.send('GET', '/elsewhere', withOrigin(APP));
    const spans = await server.spans();
    expect(spans.map((s) => s.attributes[ATTR.httpRoute])).toEqual([
      '/orders/:id',
      '/orders/:id',
      ROUTE_UNMATCHED,
    ]);
    expect(calls).toEqual(['GET', 'PATCH', 'GET']);
  });

  it('falls back to (unmatched) when the route option throws, and logs it once', async () => {
    const server = await wrapped({
      route: () => {
        throw new Error('router broke');
      },
    });
    expect((await server.send('GET', '/orders/1', withOrigin(APP))).body).toBe('hello');
    await server.send('GET', '/orders/2', withOrigin(APP));
    const spans = await server.spans();
    expect(spans.map((s) => s.attributes[ATTR.httpRoute])).toEqual([ROUTE_UNMATCHED, ROUTE_UNMATCHED]);
    expect(diagErrors.splice(0).map(([message]) => message)).toEqual([
      '@corsight/instrumentation: the route option threw; finding the route without it',
    ]);
  });

  it('runs the handler with the server as `this`', async () => {
    const seenThis: unknown[] = [];
    const { tracerProvider } = tracing();
    const listener = corsight.wrap(
      function (this: unknown, _req: IncomingMessage, res: ServerResponse) {
        seenThis.push(this);
        res.end('ok');
      },
      { tracerProvider },
    );
    cleanups.push(() => listener.shutdown());
    const server = await listen(listener);
    expect((await server.send('GET', '/', withOrigin(APP))).body).toBe('ok');
    expect(seenThis).toHaveLength(1);
    expect(seenThis[0]).toBeInstanceOf(http.Server);
  });

  it("returns the handler's result, so an async handler's promise still reaches the caller", () => {
    const { tracerProvider } = tracing();
    const listener = corsight.wrap((req: IncomingMessage) => req.method, { tracerProvider });
    cleanups.push(() => listener.shutdown());
    const req = new IncomingMessage(new Socket());
    req.method = 'PATCH';
    expect(listener(req, new ServerResponse(req))).toBe('PATCH');
  });

  it('reads a header set as an empty array as absent: Node writes no line for it', async () => {
    const { tracerProvider, finished } = tracing();
    const listener = corsight.wrap(
      (_req: IncomingMessage, res: ServerResponse) => {
        // An allowlist that came out empty, say: setHeader keeps [], the head carries no such line.
        res.setHeader('Access-Control-Allow-Origin', []);
        res.setHeader('Vary', []);
        res.end('ok');
      },
      { tracerProvider, sampling: 1 },
    );
    const server = { ...(await listen(listener)), ...observed(listener, finished) };
    const head = await wireHead(server.base, '/', { Origin: APP });
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head).not.toMatch(/access-control-allow-origin|vary/i);
    await server.settled();
    const [span] = await server.spans();
    // Chromium: "No 'Access-Control-Allow-Origin' header is present on the requested resource."
    expect(span?.attributes[ATTR.reasons]).toEqual(['missing_allow_origin', 'allow_credentials_not_true']);
    expect(span?.attributes[ATTR.responseAllowOrigin]).toBeUndefined();
    expect(span?.attributes[ATTR.responseVary]).toBeUndefined();
  });

  it('rejects a route option that is not a function, at registration', () => {
    expect(() => corsight({ route: '/orders/:id' as never })).toThrow(/route must be a function/);
  });
});

// ---- 7, 8. Modes and what is not observed ------------------------------------------------------------------

describe('what gets observed', () => {
  it('emits one span per request weighted 1, and no summaries, with sampling 1', async () => {
    const api = await expressApp({ sampling: 1 }, (app) => {
      app.get('/orders/:id', ok);
    });
    for (let i = 0; i < 3; i++) await api.send('GET', `/orders/${i}`, withOrigin(APP));
    const spans = await api.spans();
    expect(spans.map((s) => [s.name, weight(s)])).toEqual([
      ['CORS GET', 1],
      ['CORS GET', 1],
      ['CORS GET', 1],
    ]);
  });

  it('ignores requests without an Origin and same-origin requests', async () => {
    const api = await expressApp({ sampling: 1 }, (app) => {
      app.get('/orders/:id', ok);
    });
    const host = new URL(api.base).host;
    await api.send('GET', '/orders/1');
    await api.send('GET', '/orders/1', withOrigin(api.base));
    await api.send('GET', '/orders/1', withOrigin(`https://${host}`, { 'x-forwarded-proto': 'https' }));
    await api.send('GET', '/orders/1', withOrigin(APP, { 'sec-fetch-site': 'same-origin' }));
    await api.send('GET', '/orders/1', withOrigin(APP));
    const spans = await api.spans();
    // Only the last request was cross-origin.
    expect(spans.map((s) => s.attributes[ATTR.origin])).toEqual([APP]);
  });

  it('observes a request once when two instances are installed, in the first one', async () => {
    const first = tracing();
    const second = tracing();
    const outer = corsight({ tracerProvider: first.tracerProvider, sampling: 1 });
    const inner = corsight({ tracerProvider: second.tracerProvider, sampling: 1 });
    const app = express();
    app.use(outer);
    app.use(inner);
    app.get('/orders/:id', ok);
    const served = await listen(app);
    await served.send('GET', '/orders/1', withOrigin(APP));
    expect(await observed(outer, first.finished).spans()).toHaveLength(1);
    expect(await observed(inner, second.finished).spans()).toEqual([]);
  });

  it('passes requests through unobserved after shutdown', async () => {
    const api = await expressApp({ sampling: 1 }, (app) => {
      app.get('/orders/:id', ok);
    });
    await api.send('GET', '/orders/1', withOrigin(APP));
    expect(await api.spans()).toHaveLength(1);
    const answer = await api.send('GET', '/orders/2', withOrigin(APP));
    expect(answer.status).toBe(200);
    expect(await api.spans()).toHaveLength(1);
  });

  it('uses a configured serverOrigin rather than the Host', async () => {
    const api = await expressApp({ sampling: 1, serverOrigin: 'https://api.example.com' }, (app) => {
      app.get('/orders/:id', ok);
    });
    await api.send('GET', '/orders/1', withOrigin('https://api.example.com'));
    await api.send('GET', '/orders/1', withOrigin(api.base));
    const spans = await api.spans();
    expect(spans.map((s) => s.attributes[ATTR.origin])).toEqual([api.base]);
  });

  it('parents detail spans on the server span active when the request arrived', async () => {
    const storage = new AsyncLocalStorage<Context>();
    const manager: ContextManager = {
      active: () => storage.getStore() ?? ROOT_CONTEXT,
      with: (ctx, fn, thisArg, ...args) => storage.run(ctx, () => fn.apply(thisArg, args)),
      bind: (_ctx, target) => target,
      enable() {
        return this;
      },
      disable() {
        storage.disable();
        return this;
      },
    };
    context.setGlobalContextManager(manager);
    cleanups.push(() => {
      context.disable();
      return Promise.resolve();
    });
    const { tracerProvider, finished } = tracing();
    const middleware = corsight({ tracerProvider, sampling: 1 });
    const app = express();
    app.use(middleware);
    app.get('/orders/:id', ok);
    const parent = trace.wrapSpanContext({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 });
    // What the HTTP server instrumentation does: run the application inside its span's context.
    const server = await listen((req, res) => {
      context.with(trace.setSpan(ROOT_CONTEXT, parent), () => {
        app(req, res);
      });
    });
    await server.send('GET', '/orders/1', withOrigin(APP));
    const [span] = await observed(middleware, finished).spans();
    expect(span?.spanContext().traceId).toBe('a'.repeat(32));
    expect(span?.parentSpanContext?.spanId).toBe('b'.repeat(16));
  });
});

// ---- 9. Never changes a response ---------------------------------------------------------------------------

describe('the application, with and without Corsight', () => {
  function build(app: Express): void {
    app.use('/cors', cors({ origin: [APP, ADMIN], credentials: true, maxAge: 60 }));
    app.get('/cors/orders/:id', ok);
    app.get('/direct', (_req, res) => {
      res.writeHead(201, { 'Access-Control-Allow-Origin': APP, 'X-Custom': '1' });
      res.end('direct');
    });
    app.get('/boom', () => {
      throw new Error('boom');
    });
    // Express's default handler would print the stack, which differs by one frame with Corsight.
    app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
      if (res.headersSent) next(error);
      else res.status(500).send('internal');
    });
  }

  const requests: [string, string, Record<string, string>][] = [
    ['GET', '/cors/orders/1', withOrigin(APP)],
    ['GET', '/cors/orders/1', withOrigin(EVIL)],
    ['OPTIONS', '/cors/orders/1', preflight(ADMIN, 'GET', 'x-requested-with')],
    ['GET', '/direct', withOrigin(APP)],
    ['GET', '/boom', withOrigin(APP)],
    ['GET', '/nowhere', withOrigin(APP)],
    ['POST', '/cors/orders/1', {}],
  ];

  async function answers(app: Express): Promise<Answer[]> {
    const served = await listen(app);
    const all: Answer[] = [];
    for (const [method, path, headers] of requests) {
      const { status, headers: sent, body } = await served.send(method, path, headers);
      const stable = { ...sent };
      delete stable.date;
      all.push({ status, headers: stable, body });
    }
    return all;
  }

  it('sends the same status, headers and body', async () => {
    const plain = express();
    build(plain);
    const { tracerProvider } = tracing();
    const middleware = corsight({ tracerProvider });
    cleanups.push(() => middleware.shutdown());
    const observedApp = express();
    observedApp.use(middleware);
    build(observedApp);
    const expected = await answers(plain);
    expect(expected.map((a) => a.status)).toEqual([200, 200, 204, 201, 500, 404, 404]);
    expect(await answers(observedApp)).toEqual(expected);
  });

  it('leaves no enumerable trace on the request or the response', async () => {
    const seen: string[][] = [];
    const api = await expressApp({}, (app) => {
      app.get('/orders/:id', (req, res) => {
        res.on('finish', () => {
          seen.push(Object.keys(res), Object.keys(req));
        });
        ok(req, res);
      });
    });
    await api.send('GET', '/orders/1', withOrigin(APP));
    expect(seen.flat().filter((key) => /corsight/i.test(key))).toEqual([]);
    expect((await api.spans()).length).toBeGreaterThan(0);
  });
});

// ---- 10, 11. Hostile input and aborted requests ------------------------------------------------------------

describe('hostile input', () => {
  it('keeps keys bounded and counts exact under many distinct origins', async () => {
    const api = await expressApp({ limits: { originsPerRoute: 3, exemplarsPerBlockedKey: 0 } }, (app) => {
      app.get('/orders/:id', ok);
      app.get('/big', ok);
    });
    for (let i = 0; i < 40; i++)
      await api.send('GET', '/orders/1', withOrigin(`https://random-${i}.example`));
    await api.send('GET', '/orders/1', withOrigin('https://random-0.example'));
    await api.send('GET', '/big', withOrigin(`https://${'x'.repeat(8192)}.example`));
    const summaries = await api.summaries();
    const count = (origin: string, route = '/orders/:id'): number =>
      summaries
        .filter((s) => s.attributes[ATTR.origin] === origin && s.attributes[ATTR.httpRoute] === route)
        .reduce((n, s) => n + weight(s), 0);
    expect(new Set(summaries.map((s) => s.attributes[ATTR.origin]))).toEqual(
      new Set([
        'https://random-0.example',
        'https://random-1.example',
        'https://random-2.example',
        ORIGIN_OTHER,
        ORIGIN_INVALID,
      ]),
    );
    expect(count('https://random-0.example')).toBe(2);
    expect(count('https://random-1.example')).toBe(1);
    expect(count(ORIGIN_OTHER)).toBe(37);
    expect(count(ORIGIN_INVALID, '/big')).toBe(1);
    expect(summaries.reduce((n, s) => n + weight(s), 0)).toBe(42);
    const invalid = only(summaries, byOrigin(ORIGIN_INVALID));
    expect(invalid.attributes[ATTR.warnings]).toContain('malformed_request_origin');
  });
});

describe('an aborted request', () => {
  async function abortedApi(flushHeaders: boolean): Promise<Served & Observed & { arrived: Promise<void> }> {
    let arrive: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => {
      arrive = resolve;
    });
    const api = await expressApp({ sampling: 1 }, (app) => {
      app.get('/slow', (_req, res) => {
        if (flushHeaders) {
          res.writeHead(200, { 'Access-Control-Allow-Origin': APP, 'Content-Type': 'text/plain' });
          res.write('partial');
        }
        arrive();
        // Never ends: the client leaves first.
      });
    });
    return { ...api, arrived };
  }

  function abandon(base: string, onResponse: boolean): http.ClientRequest {
    const request = http.get(`${base}/slow`, { headers: { origin: APP } });
    request.on('error', () => undefined);
    if (onResponse) {
      request.on('response', () => {
        request.destroy();
      });
    }
    return request;
  }

  it('observes nothing when the client leaves before any header was written', async () => {
    const api = await abortedApi(false);
    const request = abandon(api.base, false);
    await api.arrived;
    request.destroy();
    await api.settled();
    expect(await api.spans()).toEqual([]);
  });

  it('observes the written headers once when the client leaves mid-body', async () => {
    const api = await abortedApi(true);
    abandon(api.base, true);
    await api.arrived;
    await api.settled();
    const spans = await api.spans();
    expect(spans).toHaveLength(1);
    expect(spans[0]?.attributes).toMatchObject({
      [ATTR.httpRoute]: '/slow',
      [ATTR.httpResponseStatusCode]: 200,
      [ATTR.responseAllowOrigin]: APP,
      [ATTR.sampleWeight]: 1,
    });
  });
});
