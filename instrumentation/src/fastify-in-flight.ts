// What the plugin keeps about a request with an Origin from the first of its hooks that sees it until its
// response's head is written: a FastifyExchange, the response's head watcher (observe/head-watch.ts), which
// takes the status and headers inside writeHead and is then what the observer judges, after the turn.
//
// Context. Taken by the first hook that sees the request: onRequest (the HTTP server span of the
// OpenTelemetry HTTP instrumentation, or whatever a tracing hook registered before Corsight set), or, for a
// preflight @fastify/cors answers in an onRequest hook that runs before Corsight's, onSend, which Fastify
// runs inside the same context. Not the context writeHead runs in: a handler's own span may be active there.
//
// Times. Fastify times a reply (reply.elapsedTime) only when some onResponse hook exists or its logger is on,
// and the plugin has no onResponse hook (fastify.ts says why), so the exchange takes its own start when it is
// created; its end is read when it is judged, right after the turn its head was written in.
//
// Headers. Fastify writes a reply's headers in one writeHead call with the reply's own header object, right
// after the onSend hooks (streams: setHeader calls, then an implicit head). When writeHead is handed that
// very object and nothing went through setHeader, it holds the headers as written, and a shallow copy of it
// costs next to nothing, against 5–8 µs per request for parsing the header block Node wrote. A copy, not the
// object: it is the reply's own and stays live, and reply.header()/removeHeader() still change it after the
// head is out (in an onResponse hook, or right after reply.send), before the exchange is judged after the
// turn; the copy holds what went on the wire. Any other head (streams, hijacked replies,
// reply.raw.writeHead, headers set on reply.raw) is read as Node wrote it.
import type { ServerResponse } from 'node:http';
import type { Context } from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CorsRequest, CorsResponse, ResponseHeaders } from './core/index.js';
import { hasNodeHeaders, replyHeaderObject } from './fastify-internals.js';
import { headersAsWritten, type ObservedExchange } from './observe/index.js';
import type { HeadWatcher } from './observe/head-watch.js';

/** The registration that watches an exchange: what the exchange asks it, and what it is handed back. */
export interface ExchangeWatcher {
  routeOf(request: FastifyRequest): string | undefined;
  serverOriginOf(request: FastifyRequest): string | undefined;
  /** Takes an exchange whose head was just written, to be judged with the others of the turn. */
  observe(exchange: FastifyExchange): void;
  failed(error: unknown): void;
}

const NO_HEADERS: ResponseHeaders = {};

/**
 * A request with an Origin: status and headers are taken when its response's head is written, the route and
 * the API's own origin read when it is judged (from request objects that no longer change).
 */
export class FastifyExchange implements ObservedExchange, CorsResponse, HeadWatcher {
  status = 0;
  headers: ResponseHeaders = NO_HEADERS;

  constructor(
    readonly watcher: ExchangeWatcher,
    readonly fastifyRequest: FastifyRequest,
    readonly reply: FastifyReply,
    readonly context: Context,
    readonly startTime: number,
  ) {}

  headWritten(response: ServerResponse, given: unknown): void {
    try {
      this.status = response.statusCode;
      this.headers =
        given !== undefined && given === replyHeaderObject(this.reply) && !hasNodeHeaders(response)
          ? { ...(given as ResponseHeaders) }
          : headersAsWritten(response);
      this.watcher.observe(this);
    } catch (error) {
      this.watcher.failed(error);
    }
  }

  /** Node's request is one already: its method, url and headers (lower-case names) are what the engine reads. */
  get request(): CorsRequest {
    return this.fastifyRequest.raw as CorsRequest;
  }

  get response(): CorsResponse {
    return this;
  }

  /** Read when judged, right after the turn the head was written in (only for the rare detail span). */
  get endTime(): number {
    return Date.now();
  }

  get route(): string | undefined {
    return this.watcher.routeOf(this.fastifyRequest);
  }

  get serverOrigin(): string | undefined {
    return this.watcher.serverOriginOf(this.fastifyRequest);
  }
}
