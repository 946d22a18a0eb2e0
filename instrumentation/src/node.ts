// @corsight/instrumentation/node — CORS observability for node:http, Express and Connect.
//
//   import { corsight } from '@corsight/instrumentation/node';
//   const observe = corsight({ policy: corsOptions });
//   app.use(observe);                      // Express / Connect: first, before `cors` and the routes
//   app.use(cors(corsOptions));
//   process.on('SIGTERM', () => void observe.shutdown());
//
//   http.createServer(corsight.wrap(handler, { route: (req) => myRouter.templateOf(req) }));
//   http2.createServer(corsight.wrap(handler));   // HTTP/2 through Node's compatibility API, too
//
// Each request that may be CORS is watched until its response's head is written (node/exchange-watch.ts)
// and judged as a browser would, from the request as received and the response headers as actually written
// (whoever wrote them), with the others of that turn. Summary and detail spans go to the OpenTelemetry
// tracer provider (DESIGN.md §3). Express has no close hook: call `shutdown()` before the tracer provider
// shuts down, or the last interval's counts are lost.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { CorsObserver } from './observe/cors-observer.js';
import { type CorsightOptions, CorsightOptionError } from './observe/options.js';
import { ExchangeWatch, type RouteResolver } from './node/exchange-watch.js';

export { CorsightOptionError, type CorsightOptions } from './observe/options.js';
export type { CorsPolicy } from './observe/policy.js';

/**
 * The requests and responses Corsight reads: node:http's, or those of node:http2's compatibility API, which
 * have every member it uses (headers, method, url, socket; statusCode, getHeaders, headersSent, writeHead)
 * but are not subclasses of node:http's.
 */
export type NodeRequest = IncomingMessage | Http2ServerRequest;
export type NodeResponse = ServerResponse | Http2ServerResponse;

export interface CorsightNodeOptions<Req extends NodeRequest = IncomingMessage> extends CorsightOptions {
  /**
   * The route template of a request (`/orders/:id`), for routers Corsight cannot read. Called once the
   * response has been written; `method` is the method to route by, which for a preflight is the one it
   * asks for (Access-Control-Request-Method). Return undefined to let Corsight find the Express route
   * itself; with no route found the request counts under `(unmatched)`. Never return the raw path.
   */
  readonly route?: ((request: Req, method: string) => string | undefined) | undefined;
}

/** Lifecycle of a middleware or wrapped handler; safe to detach (`const { shutdown } = middleware`). */
export interface CorsightControls {
  /** Emits the summary spans counted so far now, rather than at the next interval. */
  readonly flush: () => void;
  /**
   * Stops the flush timer and emits every count made so far; resolves once they are with the tracer. Call
   * it before shutting the tracer provider down. Requests arriving afterwards pass through unobserved.
   */
  readonly shutdown: () => Promise<void>;
}

export type NextFunction = (error?: unknown) => void;

/** Express / Connect middleware. */
export type CorsightMiddleware<Req extends IncomingMessage = IncomingMessage> = ((
  req: Req,
  res: ServerResponse,
  next: NextFunction,
) => void) &
  CorsightControls;

/** A node:http request listener that observes, then runs the handler it wraps. */
export type CorsightRequestListener<Req extends NodeRequest, Res extends NodeResponse, Result> = ((
  req: Req,
  res: Res,
) => Result) &
  CorsightControls;

export interface Corsight {
  /** Middleware for Express (`app.use(corsight(options))`) and Connect. Register it first. */
  <Req extends IncomingMessage = IncomingMessage>(
    options?: CorsightNodeOptions<Req>,
  ): CorsightMiddleware<Req>;
  /** Wraps a node:http or node:http2 request handler: `http.createServer(corsight.wrap(handler, options))`. */
  wrap<Req extends NodeRequest, Res extends NodeResponse, Result>(
    handler: (req: Req, res: Res) => Result,
    options?: CorsightNodeOptions<Req>,
  ): CorsightRequestListener<Req, Res, Result>;
}

/** Validates the options once, at registration: a wrong value throws here, never on a request. */
function startWatching(options: CorsightNodeOptions<never>): {
  watch: ExchangeWatch;
  controls: CorsightControls;
} {
  const route: unknown = options.route;
  if (route !== undefined && typeof route !== 'function') {
    throw new CorsightOptionError(
      `corsight: route must be a function (request, method) => string | undefined, got ${typeof route}`,
    );
  }
  const observer = new CorsObserver(options);
  const watch = new ExchangeWatch(observer, route as RouteResolver | undefined);
  // Both include every response whose head is out (the observer first judges those it has queued); a
  // response whose head is not written yet counts in the interval its head is written in (after shutdown:
  // nowhere).
  const controls: CorsightControls = {
    flush: () => {
      observer.flush();
    },
    shutdown: () => {
      watch.stop();
      return observer.shutdown();
    },
  };
  return { watch, controls };
}

function middleware<Req extends IncomingMessage = IncomingMessage>(
  options: CorsightNodeOptions<Req> = {},
): CorsightMiddleware<Req> {
  const { watch, controls } = startWatching(options);
  function corsightMiddleware(req: Req, res: ServerResponse, next: NextFunction): void {
    // watch() never throws, and the rest of the chain runs outside Corsight: an error the application
    // raises from next() propagates exactly as it would without us.
    watch.watch(req, res);
    next();
  }
  return Object.assign(corsightMiddleware, controls);
}

function wrap<Req extends NodeRequest, Res extends NodeResponse, Result>(
  handler: (req: Req, res: Res) => Result,
  options: CorsightNodeOptions<Req> = {},
): CorsightRequestListener<Req, Res, Result> {
  if (typeof handler !== 'function') {
    throw new CorsightOptionError(
      `corsight.wrap: handler must be a function (req, res), got ${typeof handler}`,
    );
  }
  const { watch, controls } = startWatching(options);
  function corsightListener(this: unknown, req: Req, res: Res): Result {
    // An HTTP/2 pair is read through the members it shares with node:http's (NodeRequest says which).
    watch.watch(req as IncomingMessage, res as ServerResponse);
    return handler.call(this, req, res);
  }
  return Object.assign(corsightListener, controls);
}

export const corsight: Corsight = Object.assign(middleware, { wrap });
