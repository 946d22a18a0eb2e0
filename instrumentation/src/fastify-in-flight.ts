// What the plugin keeps about a request with an Origin until its response is written: the OpenTelemetry
// context it ran in (the parent of its detail span) and where the response's headers can be read.
//
// Context. Every reply Fastify sends itself goes through reply.send(), which runs the onSend hooks inside
// the request's context: the HTTP server span of the OpenTelemetry HTTP instrumentation, or whatever a
// tracing hook set, including for preflights @fastify/cors answers in its onRequest hook, before any hook
// registered after it. So the context is taken in onSend. A reply written past it (hijacked, or through
// reply.raw) falls back to the context active at onResponse. An onRequest hook would see the context earlier
// (a handler that sends its reply inside a span of its own parents the detail span there, not on the server
// span), but it would cost every request of the app a hook call; onSend already runs for nearly all.
//
// Start time. reply.elapsedTime counts from the moment Fastify set up the reply, just before the first
// onRequest hook, and stops when the response finished, before the onResponse hooks: the start is read from
// it when the exchange is judged, so the hooks do not take the time.
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

  constructor(public context: Context) {}
}

// A symbol, not a property name: it cannot collide with the app's or show up in serialised requests.
const kInFlight = Symbol('corsight.inFlight');

interface WithInFlight {
  [kInFlight]?: InFlight;
}

/** What the hooks read of a reply (FastifyReply has it). */
interface ReplyState {
  readonly raw: { readonly headersSent: boolean };
}

function start(request: IncomingMessage): InFlight {
  const inFlight = new InFlight(context.active());
  (request as WithInFlight)[kInFlight] = inFlight;
  return inFlight;
}

/** onSend: Fastify is about to write the reply's headers, unless they are out already. */
export function recordSend(request: IncomingMessage, reply: ReplyState): void {
  if (request.headers.origin === undefined) return;
  const inFlight = (request as WithInFlight)[kInFlight] ?? start(request);
  // reply.raw.writeHead and then reply.send(stream) (Fastify warns of it): the raw call's headers went out.
  inFlight.headersInReply = !reply.raw.headersSent;
}

/** The request's state, for the first registration to ask at onResponse; undefined for any other. */
export function claimInFlight(request: IncomingMessage): InFlight | undefined {
  let inFlight = (request as WithInFlight)[kInFlight];
  if (inFlight === undefined) inFlight = start(request);
  else if (inFlight.claimed) return undefined;
  inFlight.claimed = true;
  return inFlight;
}
