// What an actual (non-preflight) response must satisfy: the CORS check whatever the status
// (a 500 with the right headers is readable, verified S21), and for a redirect the check on the 3xx itself
// plus a Location without credentials (Fetch "HTTP-redirect fetch"; ../shared/CORS-REFERENCE.md §1.6).
import { checkAccess } from './access-check.js';
import { block, type Findings, warn } from './findings.js';
import { isRedirectStatus, splitNameList } from './http-syntax.js';
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
    checkRedirect(location, requestUrl, serverOrigin, findings);
    return;
  }
  if (!passed) return;
  // Caching does not depend on the credentials mode: judged once.
  if (primary) checkCaching(origin, response, findings);
  checkExposure(response, include, findings);
}

function checkRedirect(
  location: string,
  requestUrl: string | undefined,
  serverOrigin: string | undefined,
  findings: Findings,
): void {
  let target: URL;
  try {
    target = new URL(location, new URL(requestUrl ?? '/', serverOrigin ?? 'http://server.invalid'));
  } catch {
    return;
  }
  // Chromium refuses credentials in any redirect of a CORS request (CheckRedirectLocation with the CORS flag),
  // even back to the page's own origin, where the Fetch Standard would allow them (verified E27).
  if (target.username !== '' || target.password !== '') {
    block(findings, 'redirect_contains_credentials', location);
  }
  if (serverOrigin !== undefined && target.origin !== serverOrigin) warn(findings, 'redirect_taints_origin');
}

/** Vary: Origin is what keeps a cache from serving one origin's CORS answer to another (Fetch §3.2.5). */
function checkCaching(origin: string, response: ResponseFacts, findings: Findings): void {
  const varyOrigin = response.vary !== undefined && varyIncludesOrigin(response.vary);
  if (response.allowOrigin === '*') {
    if (varyOrigin) warn(findings, 'vary_origin_on_static_acao');
    return;
  }
  if (response.allowOrigin !== origin || varyOrigin) return;
  if (response.cacheControl !== undefined && /(?:^|[,\s])no-store(?:$|[,\s])/i.test(response.cacheControl))
    return;
  warn(findings, 'missing_vary_origin');
}

const VARY_ORIGIN = /(?:^|,)[\t ]*(?:origin|\*)[\t ]*(?:,|$)/i;

function varyIncludesOrigin(vary: string): boolean {
  return VARY_ORIGIN.test(vary);
}

/** Headers a page script can read: the safelisted ones plus Access-Control-Expose-Headers (Fetch §3.2.3). */
function checkExposure(response: ResponseFacts, include: boolean, findings: Findings): void {
  const appHeaders = response.appHeaders;
  if (appHeaders === undefined) return;
  const exposed = response.exposeHeaders === undefined ? [] : splitNameList(response.exposeHeaders);
  const wildcard = exposed.includes('*');
  if (wildcard && include) warn(findings, 'wildcard_literal_with_credentials');
  if (wildcard && !include) return;
  if (appHeaders.some((name) => !exposed.includes(name))) warn(findings, 'header_not_exposed');
}
