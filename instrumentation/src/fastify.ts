// The Fastify plugin: `await app.register(corsight, { serviceName, policy, sampling })`.
//
// It watches each request with an Origin until its response's head is written (observe/head-watch.ts),
// takes the status and headers right there, inside writeHead, and hands the exchange to the CorsObserver,
// which judges it with the others of the same turn of the event loop, counts and emits. At writeHead the
// status and headers are final, those added by hooks registered after this plugin included (Fastify writes
// the head after every onSend hook), so nothing has to wait for I/O: no list, 'close' listener or map entry
// per request, also for replies sent after an await; and a response whose client left before its head was
// written is simply never observed.
// Judged in a batch, not inside writeHead: measured in the paired bench (fastify-paired.bench.ts, same run),
// judging each exchange inside writeHead kept 76.3 % of @fastify/cors's GET throughput, judging the same
// exchanges in a batch after the turn 86.3 % (CorsObserver.observe says why).
// Hooks, as few and as cheap as can see everything, since each costs every request of the app:
// - onRoute: records route templates, so a preflight can be attributed to the route of the method it asks
//   for (fastify-route.ts); routes added before the plugin are not seen, so register it before the routes;
// - onRequest: starts watching the request (its OpenTelemetry context and start time; fastify-in-flight.ts);
// - onSend: starts watching requests the onRequest hook did not see (preflights @fastify/cors answers in an
//   onRequest hook that runs before Corsight's);
// - onClose: ends the observer, so the last summaries are emitted before the app's tracer provider stops.
// There is no onResponse hook, though it runs once every header is final: with the logger off, any
// onResponse hook makes Fastify add 'finish' and 'error' listeners and two timestamps to every response of
// the app (lib/route.js), which cost 5–10 % of a small app's throughput in the app bench.
//
// Encapsulation: wrapped with fastify-plugin, so its hooks belong to the context it is registered in and to
// that context's children. Registered at the root it observes the whole app; registered in a child context
// it observes that context's routes only. Preflights are answered by the route that matches them (an
// OPTIONS route, @fastify/cors's `OPTIONS *`, or the 404 handler), which usually lives at the root: register
// Corsight where @fastify/cors is, normally the root. Registered twice on one path of the context tree, the
// registration whose hooks run first observes the requests both see, so none is counted twice; a warning
// says so when it can tell at registration.
//
// The policy fingerprint comes from the `policy` option, the same object passed to @fastify/cors. Reading
// @fastify/cors's own options is not possible robustly: it keeps them in closures, routes override them
// (`config.cors`), and a delegator computes them per request.
import type { IncomingMessage } from 'node:http';
import type {
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  RouteOptions,
} from 'fastify';
import fp from 'fastify-plugin';
import { context } from '@opentelemetry/api';
import { requestHost, serialisedOriginOf } from './core/index.js';
import { type ExchangeWatcher, FastifyExchange } from './fastify-in-flight.js';
import { routeTemplate } from './fastify-internals.js';
import { RouteTemplates } from './fastify-route.js';
import { RememberedRoutes } from './remembered-routes.js';
import { dismissHead, headWatcherOf, watchHead } from './observe/head-watch.js';
import { CorsObserver, type CorsightOptions } from './observe/index.js';
import { ROUTE_UNMATCHED } from './schema.js';

export type { CorsightOptions } from './observe/index.js';

// Marks a context (and, through the prototype chain, its children) as observed.
const kObserved = Symbol('corsight.observed');

/** One registration's state; its methods are created once, so the hot path allocates no closures. */
class FastifyCorsight implements ExchangeWatcher {
  readonly #fastify: FastifyInstance;
  readonly #observer: CorsObserver;
  readonly #templates = new RouteTemplates();
  /** Set by the options: then each request's own origin is not needed. */
  readonly #fixedServerOrigin: boolean;
  /** Some route is constrained (by host, say): findRoute then needs the request's constraints. */
  #constrained = false;
  #failures = 0;
  #unknownRoutes = 0;
  // An API answers on one or a few hosts: the last origin built is nearly always the next one.
  #lastHost = '';
  #lastProtocol = '';
  #lastOrigin: string | undefined = undefined;
  /** Preflight routes by URL, then asked method (a router lookup and template match cost ~0.4 µs). */
  readonly #preflightRoutes = new RememberedRoutes<IncomingMessage>((url, method, raw) =>
    this.#findPreflightRoute(method, url, raw),
  );

  constructor(fastify: FastifyInstance, options: CorsightOptions) {
    this.#fastify = fastify;
    this.#observer = new CorsObserver(options);
    this.#fixedServerOrigin = options.serverOrigin !== undefined;
  }

  readonly onRoute = (route: RouteOptions): void => {
    this.#templates.add(route.method, route.url);
    this.#preflightRoutes.clear();
    if (route.constraints !== undefined && Object.keys(route.constraints).length > 0)
      this.#constrained = true;
  };

  // Each hook catches what it calls (the context manager is the app's, the headers are the client's): the
  // app never sees Corsight fail, and the first failure is logged.
  readonly onRequest = (
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ): void => {
    // Another registration's hook may have started it already: the first one observes it.
    if (request.raw.headers.origin !== undefined && headWatcherOf(reply.raw) === undefined) {
      try {
        this.#watch(request, reply);
      } catch (error) {
        this.failed(error);
      }
    }
    done();
  };

  /**
   * Starts watching a request no onRequest hook started: a preflight @fastify/cors answered first. A reply
   * whose head is out already (reply.raw.writeHead, then reply.send) or whose client left can no longer be
   * observed, and is marked seen.
   */
  readonly onSend = (
    request: FastifyRequest,
    reply: FastifyReply,
    payload: unknown,
    done: (error: null, payload: unknown) => void,
  ): void => {
    if (request.raw.headers.origin !== undefined) {
      const raw = reply.raw;
      if (headWatcherOf(raw) === undefined) {
        try {
          if (raw.headersSent || raw.destroyed) dismissHead(raw);
          else this.#watch(request, reply);
        } catch (error) {
          this.failed(error);
        }
      }
    }
    done(null, payload);
  };

  /** Closing the app never fails because of Corsight; summaries it could not emit are logged. */
  readonly onClose = (_instance: FastifyInstance, done: HookHandlerDoneFunction): void => {
    this.#observer.shutdown().then(
      () => {
        done();
      },
      (error: unknown) => {
        this.#fastify.log.error(
          { err: error },
          '@corsight/instrumentation: emitting the last summaries failed',
        );
        done();
      },
    );
  };

  failed(error: unknown): void {
    if (this.#failures++ === 0) {
      this.#fastify.log.error({ err: error }, '@corsight/instrumentation: observing a request failed');
    }
  }

  #watch(request: FastifyRequest, reply: FastifyReply): void {
    watchHead(reply.raw, new FastifyExchange(this, request, reply, context.active(), Date.now()));
  }

  observe(exchange: FastifyExchange): void {
    this.#observer.observe(exchange);
  }

  /**
   * The route a request counts under: a preflight's is the route of the method it asks for, ROUTE_UNMATCHED
   * when the router has none (the observer then warns `preflight_unmatched_route`).
   */
  routeOf(request: FastifyRequest): string | undefined {
    const raw = request.raw;
    const requestMethod = raw.headers['access-control-request-method'];
    return raw.method === 'OPTIONS' && typeof requestMethod === 'string'
      ? this.#preflightRoute(requestMethod, raw)
      : routeTemplate(request);
  }

  /** The API's own origin, unless the options fix it. */
  serverOriginOf(request: FastifyRequest): string | undefined {
    return this.#fixedServerOrigin ? undefined : this.#ownOrigin(request);
  }

  /** The API's own origin as this request addressed it (Fastify reads X-Forwarded-* when it trusts a proxy). */
  #ownOrigin(request: FastifyRequest): string | undefined {
    // Typed as always set, but undefined when the request has no socket (some serverless adapters).
    const protocol = request.protocol as string | undefined;
    if (protocol === undefined) return undefined;
    const host = request.host;
    if (host !== this.#lastHost || protocol !== this.#lastProtocol) {
      this.#lastHost = host;
      this.#lastProtocol = protocol;
      // Serialised as a browser serialises the Origin it sends (case, default port, IDNA), so that
      // `Host: API.example:443` is the same origin as `https://api.example`; undefined for a Host no URL
      // can hold.
      this.#lastOrigin = serialisedOriginOf(`${protocol}://${host}`);
    }
    return this.#lastOrigin;
  }

  #preflightRoute(method: string, raw: IncomingMessage): string | undefined {
    const url = raw.url ?? '/';
    // With routes constrained by host the answer also depends on the Host: not remembered.
    if (this.#constrained) return this.#findPreflightRoute(method, url, raw);
    return this.#preflightRoutes.route(url, method, raw);
  }

  #findPreflightRoute(method: string, url: string, raw: IncomingMessage): string | undefined {
    // A preflight carries the Host the actual request will, but none of the headers other strategies read
    // (Accept-Version is set by the page, so the browser leaves it out of the preflight). Over HTTP/2 the
    // host is :authority, which the router reads too (find-my-way: Host, else :authority).
    const found = (
      this.#constrained
        ? this.#fastify.findRoute({
            method,
            url,
            constraints: { host: requestHost(raw.headers) ?? '' },
          })
        : this.#fastify.findRoute({ method, url })
    ) as { params: Readonly<Record<string, unknown>> } | null; // typed as always found, but null when no route matches (fastify 5.12)
    if (found === null) return ROUTE_UNMATCHED;
    const route = this.#templates.resolve(method, url, found.params);
    if (route === undefined && this.#unknownRoutes++ === 0) {
      this.#fastify.log.warn(
        { method: method.slice(0, 32), path: url.slice(0, 256) },
        '@corsight/instrumentation: a preflight asked for a route added before Corsight was registered, so its route is reported as "(unmatched)". Register Corsight before your routes.',
      );
    }
    return route;
  }
}

const plugin: FastifyPluginCallback<CorsightOptions> = (fastify, options, done) => {
  let corsight: FastifyCorsight;
  try {
    corsight = new FastifyCorsight(fastify, options);
  } catch (error) {
    done(error as Error);
    return;
  }
  if (fastify.hasDecorator(kObserved)) {
    fastify.log.warn(
      '@corsight/instrumentation is registered twice in one Fastify context or in a context and its parent; the first to see a request observes it, the other ignores it. Register it once, normally at the root.',
    );
  } else {
    fastify.decorate(kObserved, true);
  }
  fastify.addHook('onRoute', corsight.onRoute);
  fastify.addHook('onRequest', corsight.onRequest);
  fastify.addHook('onSend', corsight.onSend);
  fastify.addHook('onClose', corsight.onClose);
  done();
};

/** Observes the CORS requests of the Fastify context it is registered in (and its children). */
const corsight = fp(plugin, { fastify: '5.x', name: '@corsight/instrumentation' });

export default corsight;
