// The CORS-relevant parts of a response as the browser receives them: duplicate headers combined with ", "
// (Fetch "get" a header value), optional whitespace trimmed, names case-insensitive.
import { combineValue } from './http-syntax.js';

export type ResponseHeaderValue = string | readonly string[] | number | undefined;
export type ResponseHeaders = Readonly<Record<string, ResponseHeaderValue>>;

export interface CorsResponse {
  readonly status: number;
  /** The headers as actually written (Node's `res.getHeaders()` works as is). */
  readonly headers: ResponseHeaders;
}

export interface ResponseFacts {
  readonly status: number;
  readonly allowOrigin: string | undefined;
  readonly allowCredentials: string | undefined;
  readonly allowMethods: string | undefined;
  readonly allowHeaders: string | undefined;
  readonly maxAge: string | undefined;
  readonly exposeHeaders: string | undefined;
  readonly vary: string | undefined;
  readonly cacheControl: string | undefined;
  readonly location: string | undefined;
  /** Application headers a page script may want to read (for `header_not_exposed`). */
  readonly appHeaders: readonly string[] | undefined;
}

// `x-*` headers that exist for browsers, proxies or crawlers rather than for page scripts.
const INFRASTRUCTURE_HEADERS = new Set([
  'x-powered-by',
  'x-content-type-options',
  'x-frame-options',
  'x-xss-protection',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-permitted-cross-domain-policies',
  'x-robots-tag',
  'x-ua-compatible',
  'x-cache',
  'x-served-by',
  'x-timer',
]);
const APP_HEADERS = new Set([
  'etag',
  'link',
  'retry-after',
  'content-disposition',
  'content-range',
  'www-authenticate',
  'ratelimit',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'ratelimit-policy',
]);

const enum Slot {
  AllowOrigin = 1,
  AllowCredentials,
  AllowMethods,
  AllowHeaders,
  MaxAge,
  ExposeHeaders,
  Vary,
  CacheControl,
  Location,
  App,
  Other,
}
const SLOTS = new Map<string, Slot>([
  ['access-control-allow-origin', Slot.AllowOrigin],
  ['access-control-allow-credentials', Slot.AllowCredentials],
  ['access-control-allow-methods', Slot.AllowMethods],
  ['access-control-allow-headers', Slot.AllowHeaders],
  ['access-control-max-age', Slot.MaxAge],
  ['access-control-expose-headers', Slot.ExposeHeaders],
  ['vary', Slot.Vary],
  ['cache-control', Slot.CacheControl],
  ['location', Slot.Location],
]);
// Common headers no check reads: a map hit is cheaper than the case and application-header tests.
for (const name of [
  'content-type',
  'content-length',
  'date',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'server',
]) {
  SLOTS.set(name, Slot.Other);
}
for (const name of INFRASTRUCTURE_HEADERS) SLOTS.set(name, Slot.Other);
for (const name of APP_HEADERS) SLOTS.set(name, Slot.App);
const UPPER_CASE = /[A-Z]/;

export function readResponse(response: CorsResponse): ResponseFacts {
  const headers = response.headers;
  let allowOrigin: string | undefined;
  let allowCredentials: string | undefined;
  let allowMethods: string | undefined;
  let allowHeaders: string | undefined;
  let maxAge: string | undefined;
  let exposeHeaders: string | undefined;
  let vary: string | undefined;
  let cacheControl: string | undefined;
  let location: string | undefined;
  let appHeaders: string[] | undefined;

  for (const rawName in headers) {
    const rawValue = headers[rawName];
    if (rawValue === undefined) continue;
    let name = rawName;
    let slot = SLOTS.get(name);
    if (slot === undefined && UPPER_CASE.test(name)) {
      name = name.toLowerCase();
      slot = SLOTS.get(name);
    }
    switch (slot) {
      case Slot.AllowOrigin:
        allowOrigin = combineValue(rawValue);
        break;
      case Slot.AllowCredentials:
        allowCredentials = combineValue(rawValue);
        break;
      case Slot.AllowMethods:
        allowMethods = combineValue(rawValue);
        break;
      case Slot.AllowHeaders:
        allowHeaders = combineValue(rawValue);
        break;
      case Slot.MaxAge:
        maxAge = combineValue(rawValue);
        break;
      case Slot.ExposeHeaders:
        exposeHeaders = combineValue(rawValue);
        break;
      case Slot.Vary:
        vary = combineValue(rawValue);
        break;
      case Slot.CacheControl:
        cacheControl = combineValue(rawValue);
        break;
      case Slot.Location:
        location = combineValue(rawValue);
        break;
      case Slot.Other:
        break;
      case Slot.App:
        (appHeaders ??= []).push(name);
        break;
      case undefined:
        // Anything else is an application header when it is an `x-*` one.
        if (name.startsWith('x-')) (appHeaders ??= []).push(name);
    }
  }
  return {
    status: response.status,
    allowOrigin,
    allowCredentials,
    allowMethods,
    allowHeaders,
    maxAge,
    exposeHeaders,
    vary,
    cacheControl,
    location,
    appHeaders,
  };
}
