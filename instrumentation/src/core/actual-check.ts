// What an actual (non-preflight) response must satisfy: the CORS check whatever the status
// (a 500 with the right headers is readable, verified S21), and for a redirect the check on the 3xx itself
// plus a Location without credentials (Fetch "HTTP-redirect fetch"; ../shared/CORS-REFERENCE.md §1.6).
import { checkAccess } from './access-check.js';
import { boundedMemo } from './bounded-memo.js';
import { block, type Findings, warn } from './findings.js';
import { resolveLocation } from './gurl-validity.js';
import { isRedirectStatus, parseTokenList } from './http-syntax.js';
import type { ResponseFacts } from './response-facts.js';

export function checkActual(
  origin: string,
  requestUrl: string | undefined,
  serverOrigin: string | undefined,
  response: ResponseFacts,
  include: boolean,
  findings: Findings,
  allowedOrigins: ReadonlySet<string> | undefined,
  primary: boolean,
): void {
  const passed = checkAccess(origin, response, include, findings, allowedOrigins);
  const location = response.location;
  if (isRedirectStatus(response.status) && location !== undefined && location !== '') {
    if (response.severalLocations) block(findings, 'redirect_invalid_location', location);
    else checkRedirect(location, origin, requestUrl, serverOrigin, findings);
    return;
  }
  if (!passed) return;
  // Caching does not depend on the credentials mode: judged once.
  if (primary) checkCaching(origin, response, findings);
  checkExposure(response, include, findings);
}

/** The URL a Location is resolved against; undefined when the server's origin is not one. */
function requestBase(requestUrl: string | undefined, serverOrigin: string | undefined): URL | undefined {
  try {
    return new URL(requestUrl ?? '/', serverOrigin ?? 'http://server.invalid');
  } catch {
    return undefined;
  }
}

function checkRedirect(
  location: string,
  origin: string,
  requestUrl: string | undefined,
  serverOrigin: string | undefined,
  findings: Findings,
): void {
  const base = requestBase(requestUrl, serverOrigin);
  // Chromium resolves the Location with GURL, reading the header's bytes as UTF-8: a UTF-8 host beyond ASCII
  // is followed [E44], a latin1 byte in a host is not [E45], an `xn--` label or a space in an ASCII host is
  // [E46, E47, E48]. Where it makes no URL, Fetch calls it a network error (Chromium ERR_INVALID_REDIRECT).
  const target = base === undefined ? undefined : resolveLocation(location, base);
  if (target === undefined) {
    block(findings, 'redirect_invalid_location', location);
    return;
  }
  // Chromium refuses credentials in any redirect of a CORS request (CheckRedirectLocation with the CORS flag),
  // even back to the page's own origin, where the Fetch Standard would allow them (verified E27).
  if (target.username !== '' || target.password !== '') {
    block(findings, 'redirect_contains_credentials', location);
    return;
  }
  // Chromium fails a CORS request redirected to any other scheme (CorsDisabledScheme; data:, about: and
  // file: as ERR_UNSAFE_REDIRECT, verified in Chromium 150): there is no next request for it to taint.
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    block(findings, 'redirect_disallowed_scheme', location);
    return;
  }
  // An opaque origin (a sandboxed frame) is `null` already: the redirect changes nothing the target sees.
  if (serverOrigin !== undefined && origin !== 'null' && target.origin !== serverOrigin) {
    warn(findings, 'redirect_taints_origin');
  }
}

/** Vary: Origin is what keeps a cache from serving one origin's CORS answer to another (Fetch §3.2.5). */
function checkCaching(origin: string, response: ResponseFacts, findings: Findings): void {
  const varyOrigin = response.vary !== undefined && varyIncludesOrigin(response.vary);
  if (response.allowOrigin === '*') {
    if (varyOrigin) warn(findings, 'vary_origin_on_static_acao');
    return;
  }
  if (response.allowOrigin !== origin || varyOrigin) return;
  if (response.cacheControl !== undefined && forbidsStorage(response.cacheControl)) return;
  warn(findings, 'missing_vary_origin');
}

// A server sends the same Vary and Cache-Control on every response: each value is matched once.
const VARY_ORIGIN = /(?:^|,)[\t ]*(?:origin|\*)[\t ]*(?:,|$)/i;
const varyIncludesOrigin = boundedMemo((vary: string): boolean => VARY_ORIGIN.test(vary));
const NO_STORE = /(?:^|[,\s])no-store(?:$|[,\s])/i;
const forbidsStorage = boundedMemo((cacheControl: string): boolean => NO_STORE.test(cacheControl));

const NOTHING_EXPOSED: ReadonlySet<string> = new Set();
// Access-Control-Expose-Headers repeats like the other CORS headers: parsed once per distinct value.
// Chromium parses it as a `#token` list and exposes nothing when one element is not a token: with
// `x-a, x b, x-c`, `x-a;, x-b`, a non-ASCII name or a second line that is invalid, even x-a reads as null,
// and `*` no longer exposes everything (verified in Chromium 150). Empty elements and OWS are skipped.
const parseExposed = boundedMemo((value: string): ReadonlySet<string> => {
  const names = parseTokenList(value);
  return names === undefined ? NOTHING_EXPOSED : new Set(names.map((name) => name.toLowerCase()));
});

/** Headers a page script can read: the safelisted ones plus Access-Control-Expose-Headers (Fetch §3.2.3). */
function checkExposure(response: ResponseFacts, include: boolean, findings: Findings): void {
  const appHeaders = response.appHeaders;
  if (appHeaders === undefined) return;
  const exposed =
    response.exposeHeaders === undefined ? NOTHING_EXPOSED : parseExposed(response.exposeHeaders);
  const wildcard = exposed.has('*');
  if (wildcard && include) warn(findings, 'wildcard_literal_with_credentials');
  if (wildcard && !include) return;
  for (const name of appHeaders) {
    if (!exposed.has(name)) {
      warn(findings, 'header_not_exposed');
      return;
    }
  }
}
