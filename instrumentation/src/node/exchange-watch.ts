// Watches one request/response pair from the moment the middleware sees it to the moment the response is on
// the wire, then hands it to the observer. Nothing on the response is wrapped or replaced: the headers are
// read from the block Node serialised (so headers set by later middleware, error handlers, or passed straight
// to writeHead all count), once the response has finished.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Context, context, diag } from '@opentelemetry/api';
import type { CorsRequest, CorsResponse, ResponseHeaders } from '../core/index.js';
import type { CorsObserver, ObservedExchange } from '../observe/cors-observer.js';
import { headersAsWritten } from '../observe/written-headers.js';
import { expressRoute } from './express-route.js';
import { requestServerOrigin } from './server-origin.js';

/** The route template of a request; `method` is the one to route by (for a preflight, the one it asks for). */
export type RouteResolver = (request: IncomingMessage, method: string) => string | undefined;

// A symbol, set non-enumerable: nothing that walks or serialises the response can see it.
const EXCHANGE = Symbol('corsight.exchange');

type WatchedResponse = ServerResponse & { readonly [EXCHANGE]?: PendingExchange };

const NO_REQUEST: CorsRequest = Object.freeze({ method: '', headers: Object.freeze({}) });

/** The method a preflight asks for (OPTIONS with Access-Control-Request-Method), else undefined. */
function askedMethod(request: IncomingMessage): string | undefined {
  if (request.method !== 'OPTIONS') return undefined;
  const asked = request.headers['access-control-request-method'];
  return typeof asked === 'string' ? asked : undefined;
}

/**
 * One request in flight, and the exchange the observer judges once it has ended. It is its own response
 * object, so that the response headers and the route are read lazily: the engine reads them only after it has
 * decided the request is cross-origin, so a same-origin request never pays for parsing the header block or a
 * route lookup, and no object is allocated for them.
 */
class PendingExchange implements ObservedExchange, CorsResponse {
  request: CorsRequest = NO_REQUEST;
  endTime = 0;
  serverOrigin: string | undefined = undefined;
  ended = false;
  #headers: ResponseHeaders | undefined = undefined;
  #route: string | undefined = undefined;
  #routed = false;

  constructor(
    readonly watch: ExchangeWatch,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly startTime: number,
    readonly context: Context,
  ) {}

  get response(): CorsResponse {
    return this;
  }

  get status(): number {
    return this.res.statusCode;
  }

  get headers(): ResponseHeaders {
    return (this.#headers ??= headersAsWritten(this.res));
  }

  get route(): string | undefined {
    if (!this.#routed) {
      this.#routed = true;
      this.#route = this.watch.routeOf(this.req, this.request.url ?? '/');
    }
    return this.#route;
  }
}

// One listener for every response, reading its request from the response's slot: no closure per request.
// 'close' ends every response, finished or cut off (Node emits it after 'finish'), so it is the only one.
function onResponseDone(this: ServerResponse): void {
  const exchange = (this as WatchedResponse)[EXCHANGE];
  if (exchange === undefined || exchange.ended) return;
  exchange.ended = true;
  exchange.watch.end(exchange);
}

export class ExchangeWatch {
  readonly #observer: CorsObserver;
  readonly #route: RouteResolver | undefined;
  readonly #deriveServerOrigin: boolean;
  #failures = 0;
  #stopped = false;

  constructor(observer: CorsObserver, route: RouteResolver | undefined, deriveServerOrigin: boolean) {
    this.#observer = observer;
    this.#route = route;
    this.#deriveServerOrigin = deriveServerOrigin;
  }

  /** Errors caught in the adapter itself (the observer counts its own). */
  get failures(): number {
    return this.#failures;
  }

  /** Requests arriving from now on pass through untouched. */
  stop(): void {
    this.#stopped = true;
  }

  /** Starts watching a request; cheap for the common case of a request without an Origin. Never throws. */
  watch(req: IncomingMessage, res: ServerResponse): void {
    try {
      if (req.headers.origin === undefined || this.#stopped) return;
      // Installed twice (middleware and wrap, or two app.use): the first one observes.
      if ((res as WatchedResponse)[EXCHANGE] !== undefined) return;
      const exchange = new PendingExchange(this, req, res, Date.now(), context.active());
      (res as { [EXCHANGE]?: PendingExchange })[EXCHANGE] = exchange;
      res.on('close', onResponseDone);
    } catch (error) {
      this.#failed('watching a request failed', error);
    }
  }

  end(exchange: PendingExchange): void {
    try {
      const { req, res } = exchange;
      // The client left before any header was written: no response reached a browser, nothing to judge.
      if (!res.headersSent) return;
      exchange.endTime = Date.now();
      exchange.request = {
        method: req.method ?? 'GET',
        // Express and Connect rewrite req.url inside mounted routers; originalUrl is what the client asked.
        url: (req as { originalUrl?: string }).originalUrl ?? req.url,
        headers: req.headers,
      };
      if (this.#deriveServerOrigin) exchange.serverOrigin = requestServerOrigin(req);
      this.#observer.observe(exchange);
    } catch (error) {
      this.#failed('observing a response failed', error);
    }
  }

  routeOf(req: IncomingMessage, target: string): string | undefined {
    const asked = askedMethod(req);
    if (this.#route !== undefined) {
      try {
        const route = this.#route(req, asked ?? req.method ?? 'GET');
        if (typeof route === 'string' && route !== '') return route;
      } catch (error) {
        this.#failed('the route option threw; finding the route without it', error);
      }
    }
    return expressRoute(req, target, asked);
  }

  #failed(what: string, error: unknown): void {
    if (this.#failures++ === 0) diag.error(`@corsight/instrumentation: ${what}`, error);
  }
}
