// Everything a verdict depends on, read cheaply enough to run for every observed request, so an adapter can
// judge each distinct set of inputs once and count the others: two exchanges whose inputs compare equal get
// the same verdict. What is read is what request-facts.ts (JUDGED_REQUEST_HEADERS,
// CREDENTIAL_EVIDENCE_HEADERS, headerRole) and response-facts.ts (JUDGED_RESPONSE_HEADERS,
// isApplicationHeader) declare the engine reads; verdict-inputs.test.ts fails when a verdict depends on
// something else.
//
// Cheap because it reads a preflight's few headers by name instead of walking all of them, and keeps values as
// they are (no trimming, combining or parsing): two spellings of one value are two input sets, judged once
// each. Header names must be lower case, as Node's parser and Fastify's reply keep them: the names an actual
// exchange's headers are walked for are checked (another spelling makes it unkeyed, so judged in full), a
// preflight's are not walked at all. Values are not checked for line breaks, which Node's parser and
// setHeader refuse.
import { isRedirectStatus } from './http-syntax.js';
import type { CorsRequest, RequestHeaderValue } from './request-facts.js';
import { type CorsResponse, isApplicationHeader, type ResponseHeaderValue } from './response-facts.js';
import { headerRole } from './safelist.js';

/**
 * The inputs in a fixed order, compared with ===. Filled in place at fixed positions (a fixed length, no
 * push or length change, which V8 runs as calls into its runtime), so reading allocates nothing.
 */
export type VerdictInputs = (string | number | boolean | undefined)[];

/** Slots of request inputs: method, own origin, five JUDGED_REQUEST_HEADERS, credentials evidence, others. */
export const REQUEST_INPUT_SLOTS = 9;
/** Slots of response inputs: status, eight JUDGED_RESPONSE_HEADERS (all but Location), application names. */
export const RESPONSE_INPUT_SLOTS = 10;

export function newVerdictInputs(slots: number): VerdictInputs {
  return Array.from({ length: slots }, () => undefined);
}

/**
 * How a request is keyed: `preflight` (only the declared headers count), `actual` (the page-set names and
 * safelisted values count too), or `unkeyed` when a value is too long, repeated as an array or a name is not
 * in lower case: such a request is judged in full.
 */
export type InputShape = 'preflight' | 'actual' | 'unkeyed';

/**
 * Longest value kept as an input. Values are attacker-controlled and a key holds on to them; a longer one
 * (hostile, or very rare) makes the exchange unkeyed.
 */
export const MAX_INPUT_LENGTH = 256;
/** Longest list of header names (and safelisted values) kept as one input, for the same reason. */
export const MAX_NAMES_LENGTH = 1024;

function hasUpperCase(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return true;
  }
  return false;
}

/** A request header value kept as is, or null when it makes the request unkeyed. */
function keptRequestValue(value: RequestHeaderValue): string | undefined | null {
  return value === undefined || (typeof value === 'string' && value.length <= MAX_INPUT_LENGTH)
    ? value
    : null;
}

// The declared headers are read by name, each at a load site of its own: a header object's shape repeats
// from one request to the next, so each site stays monomorphic, where one site in a loop over the names
// would see them all. verdict-inputs.test.ts checks that exactly the declared names are read.

/**
 * Reads what the verdict on `request` depends on into `into` (REQUEST_INPUT_SLOTS long): its method, the
 * API's own origin, the declared headers and, for an actual request, the credentials evidence and the
 * page-set header names with the safelisted values. A request that is not a preflight is keyed as actual,
 * which reads more, never less.
 */
export function readRequestInputs(
  request: CorsRequest,
  serverOrigin: string | undefined,
  into: VerdictInputs,
): InputShape {
  const headers = request.headers;
  const method = request.method;
  const origin = keptRequestValue(headers.origin);
  const requestMethod = keptRequestValue(headers['access-control-request-method']);
  const requestHeaders = keptRequestValue(headers['access-control-request-headers']);
  const fetchMode = keptRequestValue(headers['sec-fetch-mode']);
  const fetchSite = keptRequestValue(headers['sec-fetch-site']);
  if (
    origin === null ||
    requestMethod === null ||
    requestHeaders === null ||
    fetchMode === null ||
    fetchSite === null
  ) {
    return 'unkeyed';
  }
  into[0] = method;
  into[1] = serverOrigin;
  into[2] = origin;
  into[3] = requestMethod;
  into[4] = requestHeaders;
  into[5] = fetchMode;
  into[6] = fetchSite;
  if (method === 'OPTIONS' && requestMethod !== undefined) {
    into[7] = undefined;
    into[8] = undefined;
    return 'preflight';
  }
  const evidence = headers.cookie !== undefined || headers['sec-fetch-storage-access'] !== undefined;
  // Page-set names alone (a browser preflights for the name), safelisted names with their value; each
  // entry ends in a line break, which neither a name nor a value can hold.
  let others = '';
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (hasUpperCase(name)) return 'unkeyed';
    const role = headerRole(name);
    if (role === 'forbidden' || role === 'browser-added') continue;
    if (role === undefined) {
      others += `${name}\n`;
    } else {
      const kept = keptRequestValue(value);
      if (kept === null) return 'unkeyed';
      others += `${name}:${kept ?? ''}\n`;
    }
  }
  if (others.length > MAX_NAMES_LENGTH) return 'unkeyed';
  into[7] = evidence;
  into[8] = others;
  return 'actual';
}

/** A response header value kept as is, or null when it makes the response unkeyed. */
function keptResponseValue(value: ResponseHeaderValue): string | number | undefined | null {
  if (value === undefined || typeof value === 'number') return value;
  return typeof value === 'string' && value.length <= MAX_INPUT_LENGTH ? value : null;
}

/**
 * Reads what the verdict depends on of the response to a request of the given shape into `into`
 * (RESPONSE_INPUT_SLOTS long): its status, the declared headers (Location only with a redirect status, else a
 * 201's Location would make every response distinct) and, for an actual request, the application header
 * names. False when the response cannot be keyed: an over-long or repeated value, a name not in lower case,
 * or a redirect (whose verdict also reads the request's URL).
 */
export function readResponseInputs(
  response: CorsResponse,
  shape: 'preflight' | 'actual',
  into: VerdictInputs,
): boolean {
  const headers = response.headers;
  const status = response.status;
  if (isRedirectStatus(status) && headers.location !== undefined) return false;
  const allowOrigin = keptResponseValue(headers['access-control-allow-origin']);
  const allowCredentials = keptResponseValue(headers['access-control-allow-credentials']);
  const allowMethods = keptResponseValue(headers['access-control-allow-methods']);
  const allowHeaders = keptResponseValue(headers['access-control-allow-headers']);
  const maxAge = keptResponseValue(headers['access-control-max-age']);
  const exposeHeaders = keptResponseValue(headers['access-control-expose-headers']);
  const vary = keptResponseValue(headers.vary);
  const cacheControl = keptResponseValue(headers['cache-control']);
  if (
    allowOrigin === null ||
    allowCredentials === null ||
    allowMethods === null ||
    allowHeaders === null ||
    maxAge === null ||
    exposeHeaders === null ||
    vary === null ||
    cacheControl === null
  ) {
    return false;
  }
  into[0] = status;
  into[1] = allowOrigin;
  into[2] = allowCredentials;
  into[3] = allowMethods;
  into[4] = allowHeaders;
  into[5] = maxAge;
  into[6] = exposeHeaders;
  into[7] = vary;
  into[8] = cacheControl;
  if (shape === 'preflight') {
    into[9] = undefined;
    return true;
  }
  let applicationHeaders = '';
  for (const name in headers) {
    if (headers[name] === undefined) continue;
    if (hasUpperCase(name)) return false;
    if (isApplicationHeader(name)) applicationHeaders += `${name}\n`;
  }
  if (applicationHeaders.length > MAX_NAMES_LENGTH) return false;
  into[9] = applicationHeaders;
  return true;
}

export function sameInputs(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
