// Which request headers make a browser send a preflight (Fetch Standard §2.2.2 "CORS-safelisted
// request-header", "CORS-unsafe request-header names"), as Chromium implements it
// (services/network/public/cpp/cors/cors.cc IsCorsSafelistedHeader). See ../shared/CORS-REFERENCE.md §1.2.

import { boundedMemo } from './bounded-memo.js';
import { combineValue } from './http-syntax.js';

/** How a request header name counts when deciding whether a browser had to preflight the request. */
export type HeaderRole =
  /** Only the browser sets it (Fetch's forbidden request-header names, plus User-Agent in Chromium). */
  | 'forbidden'
  /**
   * A page may set it, but on a request a server receives it is far more likely the browser's (cache modes,
   * revalidation, Priority) or a proxy's (X-Forwarded-*): the server's view does not count it.
   */
  | 'browser-added'
  /** Safelisted by the Fetch Standard when its value passes the rule for the name. */
  | 'safelisted'
  /** Safelisted by Chromium only (client hints): no preflight in Chromium, a preflight in Firefox and Safari. */
  | 'chromium-safelisted';

/**
 * The role of a lower-cased header name; undefined means a page-set, CORS-unsafe name. A switch, not a Map:
 * it runs for every header of every request, and V8 compiles it to pointer comparisons (3× a Map lookup).
 */
export function headerRole(name: string): HeaderRole | undefined {
  // V8 compares a string switch case by case in source order: the names on nearly every browser request
  // come first.
  switch (name) {
    // Forbidden request-header names (Fetch §2.2.2): pages cannot set them.
    case 'host':
    case 'connection':
    case 'user-agent': // Chromium refuses a page-set User-Agent.
    case 'sec-ch-ua': // The sec-* names sent on nearly every request: cheaper here than the prefix test.
    case 'sec-ch-ua-mobile':
    case 'sec-ch-ua-platform':
    case 'origin':
    case 'sec-fetch-site':
    case 'sec-fetch-mode':
    case 'sec-fetch-dest':
    case 'referer':
    case 'accept-encoding':
    case 'content-length':
    case 'cookie':
      return 'forbidden';
    case 'accept':
    case 'accept-language':
    case 'content-type':
      return 'safelisted';
    case 'accept-charset':
    case 'access-control-request-headers':
    case 'access-control-request-method':
    case 'cookie2':
    case 'date':
    case 'dnt':
    case 'expect':
    case 'keep-alive':
    case 'set-cookie':
    case 'te':
    case 'trailer':
    case 'transfer-encoding':
    case 'upgrade':
    case 'via':
    case 'sec-fetch-user':
      return 'forbidden';
    // Chromium adds Priority itself. Cache-Control, Pragma, If-None-Match and If-Modified-Since are added below
    // the CORS layer for cache modes and revalidation and never cause a preflight (CORS-REFERENCE §1.2,
    // verified N01–N05; Chromium exempts them in cors_util.cc). Forwarded, X-Forwarded-* and X-Real-IP come
    // from proxies and load balancers in front of the API, not from the page.
    case 'priority':
    case 'cache-control':
    case 'pragma':
    case 'if-none-match':
    case 'if-modified-since':
    case 'forwarded':
    case 'x-forwarded-for':
    case 'x-forwarded-host':
    case 'x-forwarded-port':
    case 'x-forwarded-proto':
    case 'x-forwarded-prefix':
    case 'x-real-ip':
    case 'upgrade-insecure-requests':
      return 'browser-added';
    case 'content-language':
    case 'range':
      return 'safelisted';
    case 'device-memory':
    case 'dpr':
    case 'downlink':
    case 'ect':
    case 'intervention':
    case 'rtt':
    case 'save-data':
    case 'viewport-width':
    case 'width':
      return 'chromium-safelisted';
    default:
      return prefixRole(name);
  }
}

/**
 * `sec-*` and `proxy-*` are forbidden prefixes: only the browser or a proxy sets them. Names starting with
 * `:` are HTTP/2 and HTTP/3 pseudo-headers (`:authority`, `:method`, `:path`, `:scheme`; RFC 9113 §8.3),
 * which Node hands over among the request headers: the protocol's framing, never the page's (`:` is not a
 * token character, so Headers refuses such a name).
 */
export function prefixRole(name: string): 'forbidden' | undefined {
  return name.startsWith('sec-') || name.startsWith('proxy-') || name.startsWith(':')
    ? 'forbidden'
    : undefined;
}

/** Fetch Standard: a safelisted value may be at most 128 bytes; all safelisted values together at most 1024. */
export const SAFELIST_VALUE_LIMIT = 128;
export const SAFELIST_TOTAL_LIMIT = 1024;

// Byte classes as lookup tables: these run on the Accept and Accept-Language of nearly every request.
const UNSAFE_BYTE = new Uint8Array(256);
const LANGUAGE_BYTE = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) if (c !== 0x09) UNSAFE_BYTE[c] = 1;
/** CORS-unsafe request-header byte: CTLs other than HT, `"():<>?@[\]{}` and DEL. */
for (const c of '"():<>?@[\\]{}\u007f') UNSAFE_BYTE[c.charCodeAt(0)] = 1;
/** accept-language / content-language: only `0-9 A-Z a-z`, space and `*,-.;=`. */
for (const c of '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz *,-.;=') {
  LANGUAGE_BYTE[c.charCodeAt(0)] = 1;
}

function hasUnsafeByte(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff || UNSAFE_BYTE[c] === 1) return true;
  }
  return false;
}

function isLanguageValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff || LANGUAGE_BYTE[c] === 0) return false;
  }
  return true;
}

const TOKEN_BYTE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * content-type: must parse as a MIME type (WHATWG "parse a MIME type": type "/" subtype, both tokens, then
 * optional parameters) whose essence is one of the three form/text types. Parameters may be anything the
 * unsafe-byte rule lets through.
 */
// Pages send a handful of distinct Content-Type values: parse each once.
const isSafelistedContentType = boundedMemo(parseSafelistedContentType);

function parseSafelistedContentType(value: string): boolean {
  if (hasUnsafeByte(value)) return false;
  const trimmed = value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
  const slash = trimmed.indexOf('/');
  if (slash <= 0) return false;
  const type = trimmed.slice(0, slash);
  const semicolon = trimmed.indexOf(';', slash + 1);
  const subtype = (semicolon === -1 ? trimmed.slice(slash + 1) : trimmed.slice(slash + 1, semicolon)).replace(
    /[\t\n\r ]+$/,
    '',
  );
  if (!TOKEN_BYTE.test(type) || !TOKEN_BYTE.test(subtype)) return false;
  const essence = `${type}/${subtype}`.toLowerCase();
  return (
    essence === 'application/x-www-form-urlencoded' ||
    essence === 'multipart/form-data' ||
    essence === 'text/plain'
  );
}

/**
 * range: a single `bytes=start-[end]` range, no whitespace, start <= end; suffix ranges are not safelisted
 * (Fetch "simple range header value"). Case-sensitive: Chromium 156 preflights `BYTES=0-1` (verified E06),
 * although it then sends the value lower-cased, so the server cannot tell.
 */
const SIMPLE_RANGE = /^bytes=(\d+)-(\d*)$/;
const INT64_MAX = 2n ** 63n - 1n;
function isSimpleRange(value: string): boolean {
  const match = SIMPLE_RANGE.exec(value);
  if (match === null) return false;
  const start = match[1];
  const end = match[2];
  if (start === undefined || BigInt(start) > INT64_MAX) return false;
  if (end === undefined || end === '') return true;
  // Exact, past 2^53 too: Chromium parses both as int64 and preflights a value beyond it (verified Chromium 150).
  const last = BigInt(end);
  return last <= INT64_MAX && BigInt(start) <= last;
}

const DECIMAL = /^\d+(?:\.\d+)?$/;
const DIGITS = /^\d+$/;
const ECT_VALUES = new Set(['slow-2g', '2g', '3g', '4g']);

/** Whether `value` passes the safelisting rule for the (lower-cased, safelisted or Chromium-safelisted) `name`. */
export function isSafelistedValue(name: string, value: string): boolean {
  if (value.length > SAFELIST_VALUE_LIMIT) return false;
  switch (name) {
    case 'accept':
      return !hasUnsafeByte(value);
    case 'accept-language':
    case 'content-language':
      return isLanguageValue(value);
    case 'content-type':
      return isSafelistedContentType(value);
    case 'range':
      return isSimpleRange(value);
    case 'intervention':
      return true;
    case 'device-memory':
    case 'dpr':
    case 'downlink':
      return DECIMAL.test(value);
    case 'width':
    case 'viewport-width':
    case 'rtt':
      return DIGITS.test(value);
    case 'ect':
      return ECT_VALUES.has(value);
    case 'save-data':
      // Chromium compares it without regard to case (`ON`, `On`: no preflight; verified Chromium 150).
      return value.toLowerCase() === 'on';
    default:
      return false;
  }
}

/** The Fetch Standard's CORS-safelisted methods; Chromium compares them upper-cased. */
export function isSafelistedMethod(method: string): boolean {
  switch (method) {
    case 'GET':
    case 'HEAD':
    case 'POST':
      return true;
    case 'PUT':
    case 'DELETE':
    case 'PATCH':
    case 'OPTIONS':
      return false;
    default:
      // Compared without upper-casing a copy: this runs on every request and every preflight.
      return (
        equalsUpperAscii(method, 'GET') ||
        equalsUpperAscii(method, 'HEAD') ||
        equalsUpperAscii(method, 'POST')
      );
  }
}

/** Whether `value`, with ASCII lower-case letters upper-cased, is `upper` (itself upper-case ASCII). */
function equalsUpperAscii(value: string, upper: string): boolean {
  if (value.length !== upper.length) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a ? c - 0x20 : c) !== upper.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Fetch "CORS-unsafe request-header names" for headers a page sets through fetch(): the lower-cased, sorted
 * names that make a browser preflight, as Chromium safelists them. Unlike a server's view of a received
 * request, Cache-Control, Pragma and the like count here, since the page set them.
 */
export function corsUnsafeRequestHeaderNames(
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
): string[] {
  const unsafe = new Set<string>();
  const safelisted: string[] = [];
  let size = 0;
  for (const rawName in headers) {
    const value = combineValue(headers[rawName]);
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    const role = headerRole(name);
    if (role === 'forbidden') continue;
    if ((role === 'safelisted' || role === 'chromium-safelisted') && isSafelistedValue(name, value)) {
      size += value.length;
      safelisted.push(name);
    } else {
      unsafe.add(name);
    }
  }
  if (size > SAFELIST_TOTAL_LIMIT) for (const name of safelisted) unsafe.add(name);
  return [...unsafe].sort();
}
