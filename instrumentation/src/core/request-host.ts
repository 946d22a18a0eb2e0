// The host a request was sent to. HTTP/2 and HTTP/3 carry it in the `:authority` pseudo-header, and a client
// that builds the request itself (every browser) sends no Host header beside it (RFC 9113 §8.3.1, RFC 9114
// §4.3.1); Node's HTTP/2 compatibility API hands the headers over as received, with no Host added. Fastify
// reads the same two, in the same order (Request#host).
import type { RequestHeaders } from './request-facts.js';

/** Host, else `:authority`; undefined when neither is a non-empty string. */
export function requestHost(headers: RequestHeaders): string | undefined {
  const host = headers.host ?? headers[':authority'];
  return typeof host === 'string' && host !== '' ? host : undefined;
}
