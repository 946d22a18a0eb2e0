// Watches one request/response pair from the moment the middleware sees it to the moment its response's head
// is written (observe/head-watch.ts, the mechanism the Fastify plugin uses too), then queues it to the
// observer, which judges it with the others of that turn of the event loop (CorsObserver.observe says why a
// batch). Nothing of the response is changed: the status and headers are read from what Node wrote, so
// headers set by later middleware, error handlers, or passed straight to writeHead all count. At writeHead
// they are final (Node writes a head once, and setHeader throws after it), whether the handler answered in
// the turn the request arrived in or after an await: no list, 'close' listener or timer per request.
//
// What a request costs, cheapest first (the middleware runs for every request of the app):
// - without an Origin, or same-origin by the request alone (Sec-Fetch-Site: same-origin, or an Origin equal
//   to the API's own): two or three header reads, nothing allocated. These are the requests evaluateCors
//   answers first with "not CORS", so leaving them out changes no count;
// - any other: one exchange object, set as its response's head watcher (one symbol-keyed property).
//
// Every instance (middleware or wrap, and the Fastify plugin) shares the one watcher slot of a response, so
// a request two of them see is observed once, by the first.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Context, context, diag } from '@opentelemetry/api';
import type { CorsRequest, CorsResponse, ResponseHeaders } from '../core/index.js';
import type { CorsObserver, ObservedExchange } from '../observe/cors-observer.js';
import { dismissHead, type HeadWatcher, headWatcherOf, watchHead } from '../observe/head-watch.js';
import { headersAsWritten } from '../observe/written-headers.js';
import { expressRoute } from './express-route.js';
import { requestServerOrigin } from './server-origin.js';

/** The route template of a request; `method` is the one to route by (for a preflight, the one it asks for). */
export type RouteResolver = (request: IncomingMessage, method: string) => string | undefined;

/** The method a preflight asks for (OPTIONS with Access-Control-Request-Method), else undefined. */
function askedMethod(request: IncomingMessage): string | undefined {
  if (request.method !== 'OPTIONS') return undefined;
  const asked = request.headers['access-control-request-method'];
  return typeof asked === 'string' ? asked : undefined;
}

/**
 * One request that may be CORS: its response's head watcher, then the exchange the observer judges. The
 * status is taken when the head is written; request, headers and route are read lazily, when judged (from
 * objects that no longer change by then), since the observer reads response and route only once it knows
 * the request is cross-origin, and not at all when it has judged the same inputs before.
 */
export class NodeExchange implements ObservedExchange, CorsResponse, HeadWatcher {
  status = 0;
  #request: CorsRequest | undefined = undefined;
  #headers: ResponseHeaders | undefined = undefined;
  #route: string | undefined = undefined;
  #routed = false;

  constructor(
    readonly watch: ExchangeWatch,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly startTime: number,
    readonly context: Context,
    readonly serverOrigin: string | undefined,
  ) {}

  headWritten(response: ServerResponse): void {
    try {
      this.status = response.statusCode;
      this.watch.observe(this);
    } catch (error) {
      this.watch.failed('observing a response failed', error);
    }
  }

  get request(): CorsRequest {
    const req = this.req;
    return (this.#request ??= {
      method: req.method ?? 'GET',
      // Express and Connect rewrite req.url inside mounted routers; originalUrl is what the client asked.
      url: (req as { originalUrl?: string }).originalUrl ?? req.url,
      headers: req.headers,
    });
  }

  get response(): CorsResponse {
    return this;
  }

  get headers(): ResponseHeaders {
    return (this.#headers ??= headersAsWritten(this.res));
  }

  /** Read when judged, right after the turn the head was written in (only for the rare detail span). */
  get endTime(): number {
    return Date.now();
  }

  get route(): string | undefined {
    if (!this.#routed) {
      this.#routed = true;
      this.#route = this.watch.routeOf(this.req, this.request.url ?? '/');
    }
    return this.#route;
  }
}

export class ExchangeWatch {
  readonly #observer: CorsObserver;
  readonly #route: RouteResolver | undefined;
  /** The API's own origin when the options fix it; else each request's, from its Host. */
  readonly #serverOrigin: string | undefined;
  #failures = 0;
  #stopped = false;
  #warnedLate = false;

  constructor(observer: CorsObserver, route: RouteResolver | undefined) {
    this.#observer = observer;
    this.#route = route;
    this.#serverOrigin = observer.serverOrigin;
  }

  /** Errors caught in the adapter itself (the observer counts its own). */
  get failures(): number {
    return this.#failures;
  }

  /** Requests arriving from now on pass through untouched. */
  stop(): void {
    this.#stopped = true;
  }

  /** Starts watching a request that may be CORS; allocates nothing for one that cannot be. Never throws. */
  watch(req: IncomingMessage, res: ServerResponse): void {
    try {
      const headers = req.headers;
      const origin = headers.origin;
      if (origin === undefined || this.#stopped) return;
      // evaluateCors's own first answers, which need nothing of the response (verdict.ts).
      if (headers['sec-fetch-site'] === 'same-origin') return;
      const fixed = this.#serverOrigin;
      const own = fixed ?? requestServerOrigin(req);
      if (origin === own) return;
      // Installed twice (middleware and wrap, or two app.use): the first one observes.
      if (headWatcherOf(res) !== undefined) return;
      if (!this.#warnedLate && res.hasHeader('access-control-allow-origin')) this.#warnLate();
      const exchange = new NodeExchange(
        this,
        req,
        res,
        Date.now(),
        context.active(),
        fixed === undefined ? own : undefined,
      );
      if (res.headersSent) {
        // Written by a middleware that ran before this one and went on: its head is final already.
        dismissHead(res);
        exchange.headWritten(res);
      } else {
        watchHead(res, exchange);
      }
    } catch (error) {
      this.failed('watching a request failed', error);
    }
  }

  /** Takes an exchange whose head was just written, to be judged with the others of the turn. */
  observe(exchange: NodeExchange): void {
    this.#observer.observe(exchange);
  }

  routeOf(req: IncomingMessage, target: string): string | undefined {
    const asked = askedMethod(req);
    if (this.#route !== undefined) {
      try {
        const route = this.#route(req, asked ?? req.method ?? 'GET');
        if (typeof route === 'string' && route !== '') return route;
      } catch (error) {
        this.failed('the route option threw; finding the route without it', error);
      }
    }
    return expressRoute(req, target, asked);
  }

  /**
   * A CORS middleware ran before this one: it answers preflights itself and never passes them on, so none of
   * them is seen. Said once, on Node's warning channel (stderr unless the app handles 'warning' events): the
   * app still works, but its preflights are missing from every count.
   */
  #warnLate(): void {
    this.#warnedLate = true;
    process.emitWarning(
      'A response already had Access-Control-Allow-Origin when the Corsight middleware saw its request: a CORS middleware runs before it, and the preflights it answers never reach Corsight. Put app.use(corsight(...)) first in the chain, before cors().',
      { code: 'CORSIGHT_AFTER_CORS_MIDDLEWARE' },
    );
  }

  failed(what: string, error: unknown): void {
    if (this.#failures++ === 0) diag.error(`@corsight/instrumentation: ${what}`, error);
  }
}
