// The API's own origin as one request addressed it, for servers that did not configure `serverOrigin`:
// requests from it are same-origin and not counted. Browsers that send Sec-Fetch-Site settle it on their own
// (`same-origin` is never CORS); this covers the others.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { requestHost, serialisedOriginOf } from '../core/index.js';

// An API answers on one or a few hosts: the last origin found is nearly always the next one, and comparing
// the Host with the last one spares building and hashing a string per request.
let lastHost = '';
let lastScheme = '';
let lastOrigin: string | undefined;

function forwardedScheme(value: string | string[] | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const comma = value.indexOf(',');
  const first = (comma === -1 ? value : value.slice(0, comma)).trim().toLowerCase();
  return first === 'https' || first === 'http' ? first : undefined;
}

/**
 * `http(s)://` + Host (HTTP/2: `:authority`). Behind a TLS-terminating proxy the socket is plain, so X-Forwarded-Proto, when it
 * names http or https, wins: trusting it costs nothing, since a client that forges it can only make its own
 * request look same-origin, which it could do by sending Sec-Fetch-Site as well.
 */
export function requestServerOrigin(request: IncomingMessage): string | undefined {
  const host = requestHost(request.headers);
  if (host === undefined) return undefined;
  const scheme =
    forwardedScheme(request.headers['x-forwarded-proto']) ??
    ((request.socket as TLSSocket | null)?.encrypted === true ? 'https' : 'http');
  if (host === lastHost && scheme === lastScheme) return lastOrigin;
  const origin = serialisedOriginOf(`${scheme}://${host}`);
  lastHost = host;
  lastScheme = scheme;
  lastOrigin = origin;
  return origin;
}
