// What the plugin keeps about a request with an Origin from the first of its hooks that sees it until the
// response's headers are out: a FastifyExchange, which is also what the observer judges.
//
// Context. Taken by the first hook that sees the request: onRequest (the HTTP server span of the
// OpenTelemetry HTTP instrumentation, or whatever a tracing hook registered before Corsight set), or, for a
// preflight @fastify/cors answers in an onRequest hook that runs before Corsight's, onSend, which Fastify
// runs inside the same context.
//
// Times. Fastify times a reply (reply.elapsedTime) only when some onResponse hook exists or its logger is on,
// and the plugin has no onResponse hook (fastify.ts says why), so the exchange takes its own: the start when
// it is created, the end when its headers are seen out.
//
// Headers. Fastify writes a reply's headers itself, in one writeHead call with the reply's header object
// (or setHeader calls, for streams), right after the onSend hooks. For those replies the reply's headers
// are the headers as written, and copying and reading them costs a fraction of parsing the header block Node
// wrote (measured on this machine, copy and readResponse together: ~0.9 µs against 5–8 µs per request). A
// reply that never reached onSend (hijacked, or written through reply.raw) or whose headers were out by then
// is read from the header block.
import type { Context } from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CorsRequest, CorsResponse, ResponseHeaders } from './core/index.js';
import { replyHeaders } from './fastify-internals.js';
import { headersAsWritten, type ObservedExchange } from './observe/index.js';
import { TurnBatch } from './observe/turn-batch.js';

/** The registration that watches an exchange: what the exchange asks it, and what it is handed back. */
export interface ExchangeWatcher {
  routeOf(request: FastifyRequest): string | undefined;
  serverOriginOf(request: FastifyRequest): string | undefined;
  /** Judges an exchange whose headers are out, now (in the batch of its turn of the event loop). */
  judge(exchange: FastifyExchange): void;
  /** Judges an exchange whose headers are out, with the others that end in the same turn. */
  judgeSoon(exchange: FastifyExchange): void;
  failed(error: unknown): void;
}

/**
 * A request with an Origin, judged once its response's headers are out, in a batch with others
 * (CorsObserver.observe says why): the fields are read then, from request and reply objects that no longer
 * change.
 */
export class FastifyExchange implements ObservedExchange, CorsResponse {
  /** Fastify wrote the response's headers from the reply's header object (set by onSend). */
  headersInReply = false;
  /** Epoch milliseconds, set when the headers are seen out. */
  endTime = 0;

  constructor(
    readonly watcher: ExchangeWatcher,
    readonly fastifyRequest: FastifyRequest,
    readonly reply: FastifyReply,
    readonly context: Context,
    readonly startTime: number,
  ) {}

  /** Node's request is one already: its method, url and headers (lower-case names) are what the engine reads. */
  get request(): CorsRequest {
    return this.fastifyRequest.raw as CorsRequest;
  }

  get response(): CorsResponse {
    return this;
  }

  get status(): number {
    return this.reply.raw.statusCode;
  }

  get headers(): ResponseHeaders {
    return this.headersInReply ? replyHeaders(this.reply) : headersAsWritten(this.reply.raw);
  }

  get route(): string | undefined {
    return this.watcher.routeOf(this.fastifyRequest);
  }

  get serverOrigin(): string | undefined {
    return this.watcher.serverOriginOf(this.fastifyRequest);
  }
}

// The exchanges every registration started in the current turn of the event loop, looked at together right
// after it (settle), and those whose responses were still unwritten then, until their response closes.
// Shared by all registrations, so that a request two of them see is watched once. Nothing is stored on the
// request or reply objects: a slot declared with decorateRequest and set per request cost ~4 % of a small
// app's preflight throughput in the paired bench, and a Map from reply to exchange, set and deleted per
// request, more (page faults: its table is reallocated as it fills and empties). A hook finds the exchange
// of its reply by scanning the turn's list from its end: with synchronous hooks it is the last one.
const turn = new TurnBatch<FastifyExchange>(settleOne);
const unwritten = new Map<FastifyReply, FastifyExchange>();

/** The exchange some registration started for this reply, if any. */
export function exchangeOf(reply: FastifyReply): FastifyExchange | undefined {
  const started = turn.started;
  for (let i = started.length - 1; i >= 0; i--) {
    const exchange = started[i] as FastifyExchange;
    if (exchange.reply === reply) return exchange;
  }
  return unwritten.size === 0 ? undefined : unwritten.get(reply);
}

/** Starts watching an exchange; it is judged once its response's headers are out. */
export function watch(exchange: FastifyExchange): void {
  turn.add(exchange);
}

/**
 * Hands the exchanges of the turn whose headers are out to their watchers, to be judged together
 * (CorsObserver.observe says why a batch); the others wait for their response to close.
 */
export function settle(): void {
  turn.settle();
}

function settleOne(exchange: FastifyExchange, now: number): void {
  try {
    const reply = exchange.reply;
    // Ended or hijacked, with its headers out: nothing can change them or send them again. (Headers out
    // alone are not enough: after reply.raw.writeHead a handler may still call reply.send, which runs
    // the onSend hooks, and they must find this exchange.)
    if (reply.sent && reply.raw.headersSent) {
      exchange.endTime = now;
      exchange.watcher.judge(exchange);
    } else {
      // Waiting for I/O (or for an async onSend hook): a closure per request will do.
      unwritten.set(reply, exchange);
      reply.raw.on('close', () => {
        closed(exchange);
      });
    }
  } catch (error) {
    exchange.watcher.failed(error);
  }
}

function closed(exchange: FastifyExchange): void {
  try {
    unwritten.delete(exchange.reply);
    // Nothing reached the browser: the connection closed before the headers were written.
    if (!exchange.reply.raw.headersSent) return;
    exchange.endTime = Date.now();
    exchange.watcher.judgeSoon(exchange);
  } catch (error) {
    exchange.watcher.failed(error);
  }
}
