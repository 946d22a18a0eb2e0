// The moment a response's head is written: the one point where its status and headers are final (every
// framework, hook and handler has had its say), whether the response is written in the turn its request
// arrived in or after an await. An adapter that watches a response there needs no 'close' listener, timer or
// list entry per request to find out when its headers are out. Both adapters watch heads this way: the
// Fastify plugin (fastify-in-flight.ts) and the Node/Express middleware (node/exchange-watch.ts). Measured
// with an async GET handler, the Fastify plugin added 6.2–15.3 µs of CPU per request watching heads this way
// (fastify-paired.bench.ts, two runs), against 18.8–21.4 µs with a 'close' listener and a map entry per
// response (and 0.42 page faults per request, none now); the Express middleware +52 against +62 µs
// (express-middleware.bench.ts).
//
// Every way Node writes a head goes through writeHead: a direct call (Fastify hands its reply's header object
// to it after the onSend hooks; hijacked replies and reply.raw call it themselves) and the implicit head of
// write(), end() and flushHeaders() (`_implicitHeader` calls `this.writeHead(statusCode)`, for HTTP/1 and
// the HTTP/2 compatibility layer alike). So the prototype's writeHead is wrapped, once, by one shared
// function that looks for a watcher on the response and otherwise only forwards the call; nothing is
// patched until an adapter first watches a response.
//
// The watcher is one symbol-keyed property on the response, set only on responses an adapter watches (with
// Fastify, requests with an Origin). Watching without judging (the plugin's hooks, this property, the
// wrapper and the exchange handed to the observer) kept 99.3 and 100.6 % of @fastify/cors's preflight
// throughput in the paired bench (0.5–0.8 µs of CPU per request), two empty hooks 102.5 %, the whole plugin
// 90.8 and 94.8 % in the same run: what the plugin costs is judging, not watching. Keeping the watcher in a
// WeakMap instead of this property kept 86 % where the plugin as it is kept 89–94 % (same run).
import type { ServerResponse } from 'node:http';

/** Told once, right after a watched response's head was written, unless its client had already left. */
export interface HeadWatcher {
  /** `given` is the header object handed to writeHead, if any (Node may or may not have stored it). */
  headWritten(response: ServerResponse, given: unknown): void;
}

const kWatcher = Symbol('corsight.headWatcher');

/** A watched response: the watcher until its head is written, then null. */
interface Watched {
  [kWatcher]?: HeadWatcher | null;
}

type WriteHead = (this: ServerResponse, ...args: unknown[]) => ServerResponse;

const wrappers = new WeakSet<WriteHead>();

/**
 * node:http2's compatibility response has no `destroyed`: its stream has, and once the client cancelled the
 * stream writeHead returns without writing anything. Read only when `destroyed` is missing.
 */
function clientLeft(response: ServerResponse): boolean {
  const destroyed = response.destroyed as boolean | undefined;
  return destroyed ?? (response as { stream?: { destroyed?: boolean } }).stream?.destroyed === true;
}

function wrapWriteHead(original: WriteHead): WriteHead {
  // Declared with Node's parameters and forwarding exactly the arguments given (some writeHead wrappers
  // count them), without collecting them into an array: this runs for every response of the process.
  const wrapper = function writeHead(
    this: ServerResponse,
    statusCode: unknown,
    reason?: unknown,
    headers?: unknown,
  ): ServerResponse {
    // The original first: it may throw (headers already sent, an invalid status), and the head is only
    // written, with Node's store merged, once it returns. Another wrapper in the chain (a subclass's
    // writeHead that calls ServerResponse's) finds the watcher gone and does nothing.
    const given = arguments.length;
    const result =
      given <= 1
        ? original.call(this, statusCode)
        : given === 2
          ? original.call(this, statusCode, reason)
          : original.call(this, statusCode, reason, headers);
    const watched = this as Watched;
    const watcher = watched[kWatcher];
    if (watcher != null) {
      watched[kWatcher] = null;
      // Nothing reaches a client that left: such a response is not observed.
      // writeHead(status, headers) or writeHead(status, reason, headers), as Node reads them.
      if (!clientLeft(this))
        watcher.headWritten(this, typeof reason === 'string' ? headers : (headers ?? reason));
    }
    return result;
  };
  wrappers.add(wrapper);
  return wrapper;
}

/**
 * Wraps the writeHead the response's prototypes provide, unless it is wrapped already. A writeHead of the
 * response's own (a per-response wrapper, as on-headers sets) is left alone: it calls the prototype's.
 */
function wrapPrototypeOf(response: ServerResponse): void {
  for (
    let owner: unknown = Object.getPrototypeOf(response);
    owner !== null;
    owner = Object.getPrototypeOf(owner)
  ) {
    if (Object.hasOwn(owner as object, 'writeHead')) {
      const holder = owner as { writeHead: unknown };
      const current = holder.writeHead;
      if (typeof current === 'function' && !wrappers.has(current as WriteHead))
        holder.writeHead = wrapWriteHead(current as WriteHead);
      return;
    }
  }
}

// The writeHead last seen wrapped: nearly every response of a process has the same one, so the prototype
// chain is walked only when a response of another class (light-my-request's, HTTP/2's) comes by.
let lastWriteHead: unknown;

/** Tells `watcher` when the head of `response` is written. */
export function watchHead(response: ServerResponse, watcher: HeadWatcher): void {
  const writeHead = (response as { writeHead: unknown }).writeHead;
  if (writeHead !== lastWriteHead) {
    wrapPrototypeOf(response);
    lastWriteHead = (response as { writeHead: unknown }).writeHead;
  }
  (response as Watched)[kWatcher] = watcher;
}

/** The response's watcher; null once its head was written (or it was dismissed), undefined if never watched. */
export function headWatcherOf(response: ServerResponse): HeadWatcher | null | undefined {
  return (response as Watched)[kWatcher];
}

/** Stops watching a response without telling its watcher, and marks it as seen. */
export function dismissHead(response: ServerResponse): void {
  (response as Watched)[kWatcher] = null;
}
