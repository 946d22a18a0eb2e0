// What the plugin keeps about a request with an Origin between its arrival and its response: when Fastify
// started on it and in which OpenTelemetry context (the start and the parent of its detail span), and where
// the response's headers can be read.
//
// Context. Fastify runs onRequest hooks in the order they were added, and @fastify/cors answers a preflight
// inside its own onRequest hook without calling the next one (../shared/STACK.md), so with @fastify/cors
// registered first, Corsight's onRequest never runs for preflights. But answering means reply.send(), which
// runs the onSend hooks, synchronously and still inside the request's context (the HTTP server span of the
// OpenTelemetry HTTP instrumentation, or whatever a tracing hook before it set). So the context is taken
// in onRequest, or, for a reply sent before it (by @fastify/cors, an auth hook), in onSend. Only a reply
// written past both (hijacked or written through reply.raw by an earlier hook) falls back to the context
// active at onResponse. A listener put ahead of Fastify's on the server's 'request' event would see every
// request earlier still, but app.inject never emits that event, and onSend already covers what it would
// add, without a cost on every request of the server.
//
// Start time. reply.elapsedTime counts from the moment Fastify set up the reply, just before the first
// onRequest hook, whichever hook asks.
//
// Headers. Fastify writes a reply's headers itself, in one writeHead call with the reply's header object
// (or setHeader calls, for streams), right after the onSend hooks. For those replies the reply's headers
// are the headers as written, and copying and reading them costs a fraction of parsing the header block Node
// wrote (measured on this machine, copy and readResponse together: ~0.9 µs against 5–8 µs per request). A
// reply that never reached onSend (hijacked, or written through reply.raw) or whose headers were out by then
// is read from the header block.
import type { IncomingMessage } from 'node:http';
import { type Context, context } from '@opentelemetry/api';

export class InFlight {
  /** Taken by the registration that observes the request, so that a second one does not count it again. */
  claimed = false;
  /** Fastify wrote the response's headers from the reply's header object. */
  headersInReply = false;

  constructor(
    /** Epoch milliseconds. */
    readonly startTime: number,
    public context: Context,
  ) {}
}

// A symbol, not a property name: it cannot collide with the app's or show up in serialised requests.
const kInFlight = Symbol('corsight.inFlight');

interface WithInFlight {
  [kInFlight]?: InFlight;
}

/** What the hooks read of a reply (FastifyReply has it). */
interface ReplyState {
  /** Milliseconds since Fastify set up the reply, just before the onRequest hooks. */
  readonly elapsedTime: number;
  readonly raw: { readonly headersSent: boolean };
}

function start(request: IncomingMessage, reply: ReplyState): InFlight {
  const inFlight = new InFlight(Date.now() - reply.elapsedTime, context.active());
  (request as WithInFlight)[kInFlight] = inFlight;
  return inFlight;
}

/** onRequest: only requests with an Origin can be CORS requests; the others cost one header lookup. */
export function recordArrival(request: IncomingMessage, reply: ReplyState): void {
  if (request.headers.origin !== undefined) start(request, reply);
}

/** onSend: Fastify is about to write the reply's headers, unless they are out already. */
export function recordSend(request: IncomingMessage, reply: ReplyState): void {
  if (request.headers.origin === undefined) return;
  const inFlight = (request as WithInFlight)[kInFlight] ?? start(request, reply);
  // reply.raw.writeHead and then reply.send(stream) (Fastify warns of it): the raw call's headers went out.
  inFlight.headersInReply = !reply.raw.headersSent;
}

/** The request's state, for the first registration to ask at onResponse; undefined for any other. */
export function claimInFlight(request: IncomingMessage, reply: ReplyState): InFlight | undefined {
  let inFlight = (request as WithInFlight)[kInFlight];
  if (inFlight === undefined) inFlight = start(request, reply);
  else if (inFlight.claimed) return undefined;
  inFlight.claimed = true;
  return inFlight;
}
