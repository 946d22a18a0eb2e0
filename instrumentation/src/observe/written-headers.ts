// The response headers as they went on the wire. Frameworks keep headers in several places (Fastify's reply,
// setHeader, an object handed straight to writeHead, which Node does not merge into getHeaders()), so the
// header block Node serialised is the one source that holds them all, duplicates included.
import type { ServerResponse } from 'node:http';
import type { ResponseHeaders } from '../core/index.js';

/** Node keeps the serialised status line and headers here once writeHead has run (used by on-headers, morgan). */
interface WithHeaderBlock {
  readonly _header?: unknown;
}

/** Parses `Name: value` lines after the status line; repeated names become arrays. */
export function parseHeaderBlock(block: string): Record<string, string | string[]> {
  // A plain object reads ~3× faster than a null-prototype one in readResponse; the one name that would reach
  // its prototype is dropped (no CORS rule reads it).
  const headers: Record<string, string | string[]> = {};
  let start = block.indexOf('\r\n');
  while (start !== -1) {
    start += 2;
    const end = block.indexOf('\r\n', start);
    const line = end === -1 ? block.slice(start) : block.slice(start, end);
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon > 0) {
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === '__proto__') {
        start = end;
        continue;
      }
      // Own properties only: a header named `constructor` must not meet Object.prototype's.
      const previous = Object.hasOwn(headers, name) ? headers[name] : undefined;
      if (previous === undefined) headers[name] = value;
      else if (typeof previous === 'string') headers[name] = [previous, value];
      else previous.push(value);
    }
    start = end;
  }
  return headers;
}

/** Whether the object has any own enumerable property. */
function hasAny(headers: object): boolean {
  for (const name in headers) if (Object.hasOwn(headers, name)) return true;
  return false;
}

export function headersAsWritten(response: ServerResponse): ResponseHeaders {
  // Once anything went through setHeader, Node merges writeHead's headers into the same store, so it holds
  // exactly what was written and nothing needs parsing (Express always sets X-Powered-By). Asked through the
  // copy itself rather than getHeaderNames(), which builds one more array per response.
  const stored = response.getHeaders();
  if (hasAny(stored)) return stored;
  const block = (response as WithHeaderBlock)._header;
  if (typeof block === 'string' && block !== '') return parseHeaderBlock(block);
  return stored;
}
