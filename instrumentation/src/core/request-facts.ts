// What the server can tell about a request, read in one pass over its headers: the CORS request headers,
// the credentials evidence, and the page-set headers that decide whether a browser had to preflight it.
import { combineValue } from './http-syntax.js';
import { headerRole, isSafelistedMethod, isSafelistedValue, SAFELIST_TOTAL_LIMIT } from './safelist.js';

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

/**
 * The request headers whose values a verdict reads, by lower-case name: gather's first cases below, and the
 * Fetch Metadata shortcut of evaluateCors. This is the whole of what a preflight's verdict reads of its
 * headers. An actual request's verdict reads more: whether a CREDENTIAL_EVIDENCE_HEADERS name is present, and
 * every other header through its name's role (headerRole): a page-set name, or a safelisted one with its
 * value, can make a browser preflight the request. verdict-inputs.ts keys verdicts on exactly these, and its
 * test fails when a verdict depends on a header they leave out.
 */
export const JUDGED_REQUEST_HEADERS = [
  'origin',
  'access-control-request-method',
  'access-control-request-headers',
  'sec-fetch-mode',
  'sec-fetch-site',
] as const;

/** Headers whose presence alone is read: the browser sent credentials (CORS-REFERENCE §0.1). */
export const CREDENTIAL_EVIDENCE_HEADERS = ['cookie', 'sec-fetch-storage-access'] as const;

const NO_NAMES: readonly string[] = Object.freeze([]);

/** The facts as they are gathered, header by header; returned as they stand (one allocation per request). */
interface Gathering {
  method: string;
  origin: string | undefined;
  requestMethod: string | undefined;
  requestHeaders: string | undefined;
  fetchMode: string | undefined;
  fetchSite: string | undefined;
  credentialEvidence: boolean;
  unsafeHeaders: readonly string[];
  chromiumOnlyHeaders: boolean;
  needsPreflight: boolean;
  unsafe: string[] | undefined;
  safelistedSize: number;
}

/**
 * Takes one header into the facts. Returns false for a name it does not know, which then is a page-set,
 * CORS-unsafe name, or a known one in another letter case. Switches rather than Map lookups: this runs for
 * every header of every request, and V8 turns a string switch into pointer comparisons.
 */
function gather(facts: Gathering, name: string, rawValue: string | readonly string[]): boolean {
  switch (name) {
    case 'origin':
      facts.origin = combineValue(rawValue);
      return true;
    case 'access-control-request-method':
      facts.requestMethod = combineValue(rawValue);
      return true;
    case 'access-control-request-headers':
      facts.requestHeaders = combineValue(rawValue);
      return true;
    case 'sec-fetch-mode':
      facts.fetchMode = combineValue(rawValue);
      return true;
    case 'sec-fetch-site':
      facts.fetchSite = combineValue(rawValue);
      return true;
    case 'cookie':
    case 'sec-fetch-storage-access':
      facts.credentialEvidence = true;
      return true;
  }
  const role = headerRole(name);
  if (role === undefined) return false;
  if (role === 'safelisted' || role === 'chromium-safelisted') {
    const value = combineValue(rawValue) ?? '';
    if (!isSafelistedValue(name, value)) {
      addUnsafe(facts, name);
    } else {
      facts.safelistedSize += value.length;
      if (role === 'chromium-safelisted') facts.chromiumOnlyHeaders = true;
    }
  }
  return true;
}

/** Whether a header name has an ASCII upper-case letter (a char loop: a regex call costs more than the scan). */
function hasUpperCase(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return true;
  }
  return false;
}

/** Past this many names the list is collected as it comes and sorted once (hostile requests). */
const INSERTION_LIMIT = 16;

/**
 * Inserts a name into the sorted, de-duplicated unsafe list. Requests carry one to three such names, so an
 * insertion into a small array beats collecting them and sorting a Set copy (measured ~0.5 µs on a POST).
 */
function addUnsafe(facts: Gathering, name: string): void {
  const unsafe = facts.unsafe;
  if (unsafe === undefined) {
    facts.unsafe = [name];
    return;
  }
  // A request with thousands of made-up names must not cost a quadratic insertion.
  if (unsafe.length >= INSERTION_LIMIT) {
    unsafe.push(name);
    return;
  }
  let i = unsafe.length;
  while (i > 0) {
    const before = unsafe[i - 1] ?? '';
    if (before === name) return;
    if (before < name) break;
    i--;
  }
  // Shifted by hand: splice allocates an array for the (no) removed elements.
  for (let j = unsafe.length; j > i; j--) unsafe[j] = unsafe[j - 1] ?? '';
  unsafe[i] = name;
}

/** The safelisted names of a request, for the rare request past the 1024-byte total. */
function safelistedNames(headers: RequestHeaders): string[] {
  const names: string[] = [];
  for (const rawName in headers) {
    const name = rawName.toLowerCase();
    const role = headerRole(name);
    const value = combineValue(headers[rawName]);
    if ((role === 'safelisted' || role === 'chromium-safelisted') && value !== undefined) {
      if (isSafelistedValue(name, value)) names.push(name);
    }
  }
  return names;
}

export function readRequest(request: CorsRequest): RequestFacts {
  const headers = request.headers;
  const method = request.method;
  const facts: Gathering = {
    method,
    origin: undefined,
    requestMethod: undefined,
    requestHeaders: undefined,
    fetchMode: undefined,
    fetchSite: undefined,
    credentialEvidence: false,
    unsafeHeaders: NO_NAMES,
    chromiumOnlyHeaders: false,
    needsPreflight: false,
    unsafe: undefined,
    safelistedSize: 0,
  };
  for (const rawName in headers) {
    const rawValue = headers[rawName];
    if (rawValue === undefined || gather(facts, rawName, rawValue)) continue;
    // Node hands over lower-case names; only an unknown name pays for the case test.
    if (hasUpperCase(rawName)) {
      const name = rawName.toLowerCase();
      if (!gather(facts, name, rawValue)) addUnsafe(facts, name);
    } else {
      addUnsafe(facts, rawName);
    }
  }

  // Fetch "CORS-unsafe request-header names": past 1024 bytes of safelisted values, all of them count.
  if (facts.safelistedSize > SAFELIST_TOTAL_LIMIT) {
    for (const name of safelistedNames(headers)) addUnsafe(facts, name);
    facts.chromiumOnlyHeaders = false;
  }
  const unsafe = facts.unsafe;
  if (unsafe !== undefined) {
    facts.unsafeHeaders = unsafe.length > INSERTION_LIMIT ? [...new Set(unsafe)].sort() : unsafe;
  }
  facts.needsPreflight = !isSafelistedMethod(method) || facts.unsafeHeaders.length > 0;
  return facts;
}
