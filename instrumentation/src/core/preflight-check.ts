// What a preflight response must satisfy, in the order Chromium checks it
// (services/network/cors/preflight_controller.cc, preflight_result.cc; ../shared/CORS-REFERENCE.md §1.5):
// redirect → CORS check → ok status → parse Allow-Methods → parse Allow-Headers → method → headers.
// Chromium stops at the first failure; we go on collecting the others so one fix list covers them all.
import { checkAccess } from './access-check.js';
import { boundedMemo } from './bounded-memo.js';
import { block, type Findings, warn } from './findings.js';
import { isOkStatus, isRedirectStatus, parseTokenList } from './http-syntax.js';
import type { ResponseFacts } from './response-facts.js';
import { isSafelistedMethod } from './safelist.js';

/**
 * One Access-Control-Allow-Methods or -Headers value, parsed once and shared by every preflight that carries
 * it: the names as a Set (one hash lookup per requested name instead of a string compare per listed one)
 * and whether the literal `*` is among them.
 */
export interface AllowList {
  readonly names: ReadonlySet<string>;
  readonly wildcard: boolean;
}

/** Access-Control-Allow-Methods and -Headers of one preflight; undefined when the value does not parse. */
export interface AllowLists {
  readonly methods: AllowList | undefined;
  /** Lower-cased: header names compare case-insensitively (verified S30). */
  readonly headers: AllowList | undefined;
}

const NONE: AllowList = Object.freeze({ names: new Set<string>(), wildcard: false });

function toAllowList(list: string[] | undefined): AllowList | undefined {
  if (list === undefined) return undefined;
  return Object.freeze({ names: new Set(list), wildcard: list.includes('*') });
}

// Servers send the same Allow-Methods/-Headers on every preflight; the parsed lists are shared, read-only.
const parseMethods = boundedMemo((value: string) => toAllowList(parseTokenList(value)));
const parseHeaderNames = boundedMemo((value: string) => toAllowList(parseTokenList(value.toLowerCase())));

export function parseAllowLists(response: ResponseFacts): AllowLists {
  return {
    methods: response.allowMethods === undefined ? NONE : parseMethods(response.allowMethods),
    headers: response.allowHeaders === undefined ? NONE : parseHeaderNames(response.allowHeaders),
  };
}

export function checkPreflight(
  origin: string,
  method: string,
  requestedHeaders: readonly string[],
  response: ResponseFacts,
  lists: AllowLists,
  include: boolean,
  findings: Findings,
  allowedOrigins: ReadonlySet<string> | undefined,
): void {
  const status = response.status;
  if (isRedirectStatus(status) && response.location !== undefined && response.location !== '') {
    // The redirect fails before any header is looked at.
    block(findings, 'preflight_redirect', response.location);
    return;
  }
  checkAccess(origin, response, include, findings, allowedOrigins);
  if (!isOkStatus(status)) block(findings, 'preflight_status_not_ok', String(status));

  // Both lists must parse even when the request needs neither (verified S72, S71).
  const methods = lists.methods;
  if (methods === undefined) block(findings, 'invalid_allow_methods', response.allowMethods);
  const allowHeaders = lists.headers;
  if (allowHeaders === undefined) block(findings, 'invalid_allow_headers', response.allowHeaders);

  if (methods !== undefined) checkMethod(method, methods, include, findings);
  if (allowHeaders !== undefined) checkHeaders(requestedHeaders, allowHeaders, include, findings);
}

function checkMethod(method: string, allowed: AllowList, include: boolean, findings: Findings): void {
  const hasWildcard = allowed.wildcard;
  if (hasWildcard && include) warn(findings, 'wildcard_literal_with_credentials');
  // Byte-exact: fetch() upper-cases only DELETE/GET/HEAD/OPTIONS/POST/PUT, so 'patch' needs 'patch'.
  if (isSafelistedMethod(method) || allowed.names.has(method) || (hasWildcard && !include)) return;
  block(findings, 'method_not_allowed', method);
  const lower = method.toLowerCase();
  for (const m of allowed.names) {
    if (m.toLowerCase() === lower) {
      warn(findings, 'method_case_mismatch');
      return;
    }
  }
}

function checkHeaders(
  requested: readonly string[],
  allowed: AllowList,
  include: boolean,
  findings: Findings,
): void {
  if (requested.length === 0) return;
  const hasWildcard = allowed.wildcard;
  if (hasWildcard && include) warn(findings, 'wildcard_literal_with_credentials');
  const names = allowed.names;
  // An indexed loop: `requested` is a shared frozen array, which for-of iterates at half the speed.
  for (let i = 0; i < requested.length; i++) {
    const name = requested[i] ?? '';
    if (names.has(name)) continue;
    if (hasWildcard && !include) {
      // Chromium lets '*' cover Authorization (CorsNonWildcardRequestHeadersSupport is disabled); the
      // Fetch Standard does not, and Chromium raises a deprecation issue (verified S34).
      if (name === 'authorization') warn(findings, 'authorization_covered_by_wildcard');
      continue;
    }
    block(findings, 'header_not_allowed', name);
    return;
  }
}
