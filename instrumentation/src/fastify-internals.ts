// Two things the plugin reads for every observed request, which Fastify's public getters hand over only as
// fresh copies: the reply's header object (reply.getHeaders() spreads it and Node's store into a new object;
// the plugin only needs to know whether the object writeHead was handed is that one)
// and the route template (request.routeOptions builds a twelve-field object and asks the router about
// version constraints). Both copies together measured ~1 µs per request under load in the app benchmark.
//
// Fastify keeps both under symbols of its own (lib/symbols.js: 'fastify.reply.headers',
// 'fastify.context'). They are looked up once, by description, on the first object seen; when a Fastify
// version no longer has them, the public getters are used, so nothing breaks, it only costs the copies.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ResponseHeaders } from './core/index.js';

type Lookup = symbol | null | undefined;

let replyHeadersSymbol: Lookup;
let routeContextSymbol: Lookup;
let outHeadersSymbol: Lookup;

function symbolNamed(object: object, description: string): symbol | null {
  for (const symbol of Object.getOwnPropertySymbols(object)) {
    if (symbol.description === description) return symbol;
  }
  return null;
}

/**
 * The reply's own header object, which Fastify hands to writeHead after the onSend hooks; undefined when this
 * Fastify version keeps it elsewhere. It holds every header written unless setHeader also ran on the raw
 * response (hasNodeHeaders), in which case Node merged both into its own store.
 */
export function replyHeaderObject(reply: FastifyReply): ResponseHeaders | undefined {
  replyHeadersSymbol ??= symbolNamed(reply, 'fastify.reply.headers');
  if (replyHeadersSymbol === null) return undefined;
  const own = (reply as unknown as Record<symbol, unknown>)[replyHeadersSymbol];
  return typeof own === 'object' && own !== null ? (own as ResponseHeaders) : undefined;
}

/**
 * Whether setHeader ever ran on the raw response. Node keeps those headers under its own symbol (kOutHeaders,
 * lib/_http_outgoing.js), null until the first setHeader; reading it spares the array getHeaderNames() builds
 * for every reply. Without the symbol, getHeaderNames() answers.
 */
export function hasNodeHeaders(raw: FastifyReply['raw']): boolean {
  outHeadersSymbol ??= symbolNamed(raw, 'kOutHeaders');
  if (outHeadersSymbol === null) return raw.getHeaderNames().length > 0;
  return (raw as unknown as Record<symbol, unknown>)[outHeadersSymbol] != null;
}

interface RouteContext {
  readonly config?: { readonly url?: unknown } | undefined;
}

/** The template of the route that answered the request (`request.routeOptions.url`); undefined for 404s. */
export function routeTemplate(request: FastifyRequest): string | undefined {
  routeContextSymbol ??= symbolNamed(request, 'fastify.context');
  if (routeContextSymbol !== null) {
    const context = (request as unknown as Record<symbol, RouteContext | undefined>)[routeContextSymbol];
    if (typeof context === 'object') {
      const url = context.config?.url;
      return typeof url === 'string' ? url : undefined;
    }
  }
  return request.routeOptions.url;
}
