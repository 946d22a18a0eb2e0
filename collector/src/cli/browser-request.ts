// The requests a browser sends for a page's fetch(): the actual request with the Origin it would carry, and,
// when the method or headers are not CORS-safelisted, the preflight before it (Fetch Standard §4.8
// "CORS-preflight fetch"; ../shared/CORS-REFERENCE.md §1.2–1.3). Pure: the sending is elsewhere.
import {
  type CorsRequest,
  type CorsResponse,
  corsUnsafeRequestHeaderNames,
  evaluateCors,
  isSafelistedMethod,
  type RequestHeaders,
} from '@corsight/instrumentation';
import { headerSource } from './page-headers.js';

export type HeaderEntry = readonly [name: string, value: string];
/** Header fields in the order they are sent; a name appears once (fetch()'s Headers combines repeats). */
export type HeaderList = readonly HeaderEntry[];

/** One request on the wire. */
export interface BrowserRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: HeaderList;
}

/** The fetch() a page makes, as it stands at one URL of its redirect chain. */
export interface PageFetch {
  readonly url: string;
  /** Already normalised (normaliseMethod). */
  readonly method: string;
  /** The headers the person gave (page-set, browser-set and Cookie), combined per name. */
  readonly headers: HeaderList;
  /** The page's serialised origin, or `null` for an opaque one. */
  readonly origin: string;
  /** Fetch "tainted origin flag": set by a cross-origin redirect hop; Origin is then sent as `null`. */
  readonly taintedOrigin: boolean;
  readonly credentials: 'include' | 'omit';
}

/** Whether and why the browser sends a preflight before the actual request. */
export interface PreflightNeed {
  /** The request crosses origins, so CORS applies at all. */
  readonly cors: boolean;
  readonly needed: boolean;
  /** The method is not CORS-safelisted (GET, HEAD, POST). */
  readonly unsafeMethod: boolean;
  /** Page-set header names a browser does not safelist, lower-cased and sorted: the preflight's ACRH. */
  readonly unsafeHeaders: readonly string[];
}

// Fetch "normalize a method": only these are byte-upper-cased; `patch` is sent, and must be allowed, as `patch`.
const NORMALISED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);

export function normaliseMethod(method: string): string {
  const upper = method.toUpperCase();
  return NORMALISED_METHODS.has(upper) ? upper : method;
}

/** Identifies the tool to the server; a browser would send its own User-Agent here. */
export const USER_AGENT = 'corsight-check';

/** The Origin a browser sends at this point of the chain. */
export function requestOrigin(fetch: PageFetch): string {
  return fetch.taintedOrigin ? 'null' : fetch.origin;
}

export function urlOrigin(url: string): string {
  return new URL(url).origin;
}

function hasHeader(headers: HeaderList, lowerName: string): boolean {
  return headers.some(([name]) => name.toLowerCase() === lowerName);
}

export function buildActualRequest(fetch: PageFetch): BrowserRequest {
  const origin = requestOrigin(fetch);
  const headers: HeaderEntry[] = [];
  // Fetch "append a request Origin header": always for CORS, and for same-origin requests other than GET/HEAD.
  if (origin !== urlOrigin(fetch.url) || (fetch.method !== 'GET' && fetch.method !== 'HEAD')) {
    headers.push(['Origin', origin]);
  }
  if (!hasHeader(fetch.headers, 'accept')) headers.push(['Accept', '*/*']);
  for (const entry of fetch.headers) {
    if (headerSource(entry[0].toLowerCase()) !== 'credential' || fetch.credentials === 'include') {
      headers.push(entry);
    }
  }
  if (!hasHeader(fetch.headers, 'user-agent')) headers.push(['User-Agent', USER_AGENT]);
  return { method: fetch.method, url: fetch.url, headers };
}

/**
 * The request as the verdict engine takes it: lower-cased names, repeated names as arrays. Sec-Fetch-* given
 * with --header still go on the wire but not to the engine: the check knows it is a cors-mode fetch() with
 * the credentials of --credentials, and a hand-written `Sec-Fetch-Mode: navigate` must not make it not-CORS.
 */
export function toCorsRequest(request: BrowserRequest): CorsRequest {
  const judged = request.headers.filter(([name]) => !name.toLowerCase().startsWith('sec-fetch-'));
  return { method: request.method, url: request.url, headers: toHeaderRecord(judged) };
}

export function toHeaderRecord(headers: HeaderList): RequestHeaders {
  const record: Record<string, string | string[]> = {};
  for (const [rawName, value] of headers) {
    const name = rawName.toLowerCase();
    const previous = record[name];
    if (previous === undefined) record[name] = value;
    else if (typeof previous === 'string') record[name] = [previous, value];
    else previous.push(value);
  }
  return record;
}

const NO_RESPONSE: CorsResponse = { status: 0, headers: {} };
const NOT_CORS: PreflightNeed = { cors: false, needed: false, unsafeMethod: false, unsafeHeaders: [] };

export function decidePreflight(fetch: PageFetch, actual: BrowserRequest): PreflightNeed {
  // The engine decides what the browser safelists; only the request side of its verdict is read here.
  const verdict = evaluateCors(toCorsRequest(actual), NO_RESPONSE, {
    credentials: fetch.credentials,
    serverOrigin: urlOrigin(fetch.url),
  });
  if (verdict.kind === 'not-cors') return NOT_CORS;
  // The page's view, not the server's: a page-set Cache-Control or X-Forwarded-For is as unsafe as any other
  // unlisted name, where a server must assume the browser or a proxy added it.
  const pageSet = fetch.headers.filter(([name]) => headerSource(name.toLowerCase()) === 'page');
  const unsafeHeaders = corsUnsafeRequestHeaderNames(toHeaderRecord(pageSet));
  const unsafeMethod = !isSafelistedMethod(fetch.method);
  return {
    cors: true,
    needed: unsafeMethod || unsafeHeaders.length > 0,
    unsafeMethod,
    unsafeHeaders,
  };
}

/** The OPTIONS request a browser sends first: no cookies, no page-set headers, only their names in ACRH. */
export function buildPreflight(fetch: PageFetch, need: PreflightNeed): BrowserRequest {
  const headers: HeaderEntry[] = [
    ['Origin', requestOrigin(fetch)],
    ['Access-Control-Request-Method', fetch.method],
  ];
  // Chromium joins the names with ',' and no space (verified H01).
  if (need.unsafeHeaders.length > 0) {
    headers.push(['Access-Control-Request-Headers', need.unsafeHeaders.join(',')]);
  }
  headers.push(['Accept', '*/*']);
  for (const entry of fetch.headers) {
    if (headerSource(entry[0].toLowerCase()) === 'browser') headers.push(entry);
  }
  if (!hasHeader(fetch.headers, 'user-agent')) headers.push(['User-Agent', USER_AGENT]);
  return { method: 'OPTIONS', url: fetch.url, headers };
}
