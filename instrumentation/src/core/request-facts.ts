// What the server can tell about a request, read in one pass over its headers: the CORS request headers,
// the credentials evidence, and the page-set headers that decide whether a browser had to preflight it.
import { combineValue } from './http-syntax.js';
import {
  HEADER_ROLES,
  isSafelistedMethod,
  isSafelistedValue,
  prefixRole,
  SAFELIST_TOTAL_LIMIT,
} from './safelist.js';

export type RequestHeaderValue = string | readonly string[] | undefined;
export type RequestHeaders = Readonly<Record<string, RequestHeaderValue>>;

export interface CorsRequest {
  readonly method: string;
  /** Path (or absolute URL) the request was made to; used to resolve redirect locations. */
  readonly url?: string | undefined;
  /** Header names in any case; repeated headers as arrays (Node's `req.headers` works as is). */
  readonly headers: RequestHeaders;
}

export interface RequestFacts {
  readonly method: string;
  readonly origin: string | undefined;
  /** Access-Control-Request-Method (preflights). */
  readonly requestMethod: string | undefined;
  /** Access-Control-Request-Headers (preflights), raw. */
  readonly requestHeaders: string | undefined;
  readonly fetchMode: string | undefined;
  readonly fetchSite: string | undefined;
  /** A Cookie or Sec-Fetch-Storage-Access header: the browser sent credentials (CORS-REFERENCE §0.1). */
  readonly credentialEvidence: boolean;
  /** Page-set header names a browser does not safelist: lower-cased, de-duplicated, sorted. */
  readonly unsafeHeaders: readonly string[];
  /** Safelisted by Chromium only (client hints), with a valid value. */
  readonly chromiumOnlyHeaders: boolean;
  /** Method or headers make a browser preflight this request (when it is an actual request). */
  readonly needsPreflight: boolean;
}

const NO_NAMES: readonly string[] = Object.freeze([]);

// One hash lookup per header name decides what it is; small integers make the switch below a jump table.
const enum Slot {
  Origin = 1,
  RequestMethod,
  RequestHeaders,
  FetchMode,
  FetchSite,
  Credentials,
  Browser,
  Safelisted,
  ChromiumSafelisted,
}
const SLOTS = new Map<string, Slot>();
for (const [name, role] of HEADER_ROLES) {
  SLOTS.set(
    name,
    role === 'safelisted'
      ? Slot.Safelisted
      : role === 'chromium-safelisted'
        ? Slot.ChromiumSafelisted
        : Slot.Browser,
  );
}
// Sent on nearly every request: a map hit is cheaper than the prefix test.
for (const name of [
  'sec-ch-ua',
  'sec-ch-ua-mobile',
  'sec-ch-ua-platform',
  'sec-fetch-dest',
  'sec-fetch-user',
]) {
  SLOTS.set(name, Slot.Browser);
}
SLOTS.set('origin', Slot.Origin);
SLOTS.set('access-control-request-method', Slot.RequestMethod);
SLOTS.set('access-control-request-headers', Slot.RequestHeaders);
SLOTS.set('sec-fetch-mode', Slot.FetchMode);
SLOTS.set('sec-fetch-site', Slot.FetchSite);
SLOTS.set('cookie', Slot.Credentials);
SLOTS.set('sec-fetch-storage-access', Slot.Credentials);

const UPPER_CASE = /[A-Z]/;

/** The safelisted names of a request, for the rare request past the 1024-byte total. */
function safelistedNames(headers: RequestHeaders): string[] {
  const names: string[] = [];
  for (const rawName in headers) {
    const name = rawName.toLowerCase();
    const slot = SLOTS.get(name);
    const value = combineValue(headers[rawName]);
    if ((slot === Slot.Safelisted || slot === Slot.ChromiumSafelisted) && value !== undefined) {
      if (isSafelistedValue(name, value)) names.push(name);
    }
  }
  return names;
}

export function readRequest(request: CorsRequest): RequestFacts {
  const headers = request.headers;
  let origin: string | undefined;
  let requestMethod: string | undefined;
  let requestHeaders: string | undefined;
  let fetchMode: string | undefined;
  let fetchSite: string | undefined;
  let credentialEvidence = false;
  let unsafe: string[] | undefined;
  let safelistedSize = 0;
  let chromiumOnlyHeaders = false;

  for (const rawName in headers) {
    const rawValue = headers[rawName];
    if (rawValue === undefined) continue;
    // Node hands over lower-case names: a map hit proves it. Only a miss pays for the case check.
    let name = rawName;
    let slot = SLOTS.get(name);
    if (slot === undefined && UPPER_CASE.test(name)) {
      name = name.toLowerCase();
      slot = SLOTS.get(name);
    }
    switch (slot) {
      case Slot.Origin:
        origin = combineValue(rawValue);
        break;
      case Slot.RequestMethod:
        requestMethod = combineValue(rawValue);
        break;
      case Slot.RequestHeaders:
        requestHeaders = combineValue(rawValue);
        break;
      case Slot.FetchMode:
        fetchMode = combineValue(rawValue);
        break;
      case Slot.FetchSite:
        fetchSite = combineValue(rawValue);
        break;
      case Slot.Credentials:
        credentialEvidence = true;
        break;
      case Slot.Browser:
        break;
      case Slot.Safelisted:
      case Slot.ChromiumSafelisted: {
        const value = combineValue(rawValue) ?? '';
        if (!isSafelistedValue(name, value)) {
          (unsafe ??= []).push(name);
          break;
        }
        safelistedSize += value.length;
        if (slot === Slot.ChromiumSafelisted) chromiumOnlyHeaders = true;
        break;
      }
      case undefined:
        if (prefixRole(name) === undefined) (unsafe ??= []).push(name);
    }
  }

  // Fetch "CORS-unsafe request-header names": past 1024 bytes of safelisted values, all of them count.
  if (safelistedSize > SAFELIST_TOTAL_LIMIT) {
    (unsafe ??= []).push(...safelistedNames(headers));
    chromiumOnlyHeaders = false;
  }
  let unsafeHeaders = NO_NAMES;
  if (unsafe !== undefined) {
    unsafeHeaders = unsafe.length === 1 ? unsafe : [...new Set(unsafe)].sort();
  }
  const method = request.method;
  return {
    method,
    origin,
    requestMethod,
    requestHeaders,
    fetchMode,
    fetchSite,
    credentialEvidence,
    unsafeHeaders,
    chromiumOnlyHeaders,
    needsPreflight: !isSafelistedMethod(method) || unsafeHeaders.length > 0,
  };
}
