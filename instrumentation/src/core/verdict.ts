// evaluateCors: would the browser have let the page read this response, and if not, why.
// One request and the response actually sent, judged with Chromium's rules (../shared/CORS.md).
import { checkActual } from './actual-check.js';
import type { MismatchHint, ReasonCode, WarningCode } from './codes.js';
import { boundedMemo } from './bounded-memo.js';
import { type Findings, isBlocked, newFindings, warn } from './findings.js';
import { splitNameList } from './http-syntax.js';
import { isSerialisedOrigin } from './origin.js';
import {
  type PreflightCacheSeconds,
  preflightCacheLifetime,
  UNCACHED_PREFLIGHT,
  withoutChromiumReuse,
} from './preflight-cache.js';
import { type AllowLists, checkPreflight, parseAllowLists } from './preflight-check.js';
import { type CorsRequest, readRequest } from './request-facts.js';
import { type CorsResponse, readResponse, type ResponseFacts } from './response-facts.js';

export type CorsKind = 'not-cors' | 'preflight' | 'actual';
export type CorsOutcome = 'allowed' | 'blocked' | 'blocked_if_credentialed';
export type CredentialsMode = 'include' | 'omit' | 'unknown';

export interface CorsOptions {
  /**
   * The credentials mode of the page's request when the caller knows it. Evidence on the request (a Cookie
   * or Sec-Fetch-Storage-Access header) always means 'include'.
   */
  readonly credentials?: 'include' | 'omit' | undefined;
  /** The API's own serialised origin (`https://api.example.com`): requests from it are not CORS. */
  readonly serverOrigin?: string | undefined;
  /** The configured allowlist, when known: reflecting another origin with credentials is then a warning. */
  readonly allowedOrigins?: ReadonlySet<string> | undefined;
}

export interface CorsVerdict {
  readonly kind: CorsKind;
  /** not-cors: always 'allowed'. */
  readonly outcome: CorsOutcome;
  /**
   * Blocking causes in Chromium's check order; reasons[0] is the one Chromium's console reports. With the
   * credentials mode unknown, reasons[0] is what a caller without credentials is told, and causes only a
   * credentialed caller meets follow.
   */
  readonly reasons: readonly ReasonCode[];
  /** Non-blocking misconfigurations. */
  readonly warnings: readonly WarningCode[];
  readonly credentials: CredentialsMode;
  /** The request's Origin as received (not-cors: undefined). */
  readonly origin?: string;
  /** Actual requests: would a browser have had to preflight this request. */
  readonly needsPreflight?: boolean;
  /** Preflight: the method asked for (Access-Control-Request-Method). */
  readonly requestMethod?: string;
  /** Preflight: the header names asked for; actual: the page-set names a browser does not safelist. */
  readonly requestHeaders?: readonly string[];
  /** Preflight: how long each engine caches this preflight (0 when it failed). */
  readonly preflightCacheSeconds?: PreflightCacheSeconds;
  /**
   * The value reasons[0] failed on: the header value, status, Location, method or header name (Chromium's
   * failedParameter where Chromium reports one; it leaves it empty for the wildcard, status and redirect).
   */
  readonly failedValue?: string;
  /** Why Access-Control-Allow-Origin and the origin differ, for allow_origin_mismatch. */
  readonly hints?: readonly MismatchHint[];
}

const NO_NAMES: readonly string[] = Object.freeze([]);
// Browsers send a handful of distinct Access-Control-Request-Headers values; verdicts share the parsed lists.
const splitRequestedHeaders = boundedMemo((value: string): readonly string[] =>
  Object.freeze(splitNameList(value)),
);
const NO_REASONS: readonly ReasonCode[] = Object.freeze([]);
const NO_WARNINGS: readonly WarningCode[] = Object.freeze([]);

const NOT_CORS: CorsVerdict = Object.freeze({
  kind: 'not-cors',
  outcome: 'allowed',
  reasons: NO_REASONS,
  warnings: NO_WARNINGS,
  credentials: 'unknown',
});

// Sec-Fetch-Mode values for which the browser applies no CORS check (Fetch Metadata; verified M16, X05).
function isNonCorsFetchMode(mode: string): boolean {
  return mode === 'navigate' || mode === 'no-cors' || mode === 'same-origin' || mode === 'websocket';
}

function isOptions(method: string): boolean {
  return method === 'OPTIONS' || (method.length === 7 && method.toUpperCase() === 'OPTIONS');
}

/**
 * Judges one request and the response sent to it as a browser would.
 *
 * With the credentials mode unknown (the usual case: the server cannot see it) both modes are judged:
 * `blocked` when a request without credentials fails, `blocked_if_credentialed` when only a credentialed
 * one would. Never throws, whatever the headers hold.
 */
export function evaluateCors(
  request: CorsRequest,
  response: CorsResponse,
  options?: CorsOptions,
): CorsVerdict {
  // Navigations and no-cors loads skip the header scan when Fetch Metadata says so under the lower-case
  // name Node uses; any other spelling is found by the scan below with the same result.
  const headers = request.headers;
  const mode = headers['sec-fetch-mode'];
  if (typeof mode === 'string' && isNonCorsFetchMode(mode)) return NOT_CORS;
  if (headers['sec-fetch-site'] === 'same-origin') return NOT_CORS;
  const facts = readRequest(request);
  const origin = facts.origin;
  if (
    origin === undefined ||
    (facts.fetchMode !== undefined && isNonCorsFetchMode(facts.fetchMode)) ||
    facts.fetchSite === 'same-origin' ||
    origin === options?.serverOrigin
  ) {
    return NOT_CORS;
  }
  // OPTIONS without Access-Control-Request-Method is an ordinary request the page made (verified M07).
  const preflightMethod = isOptions(request.method) ? facts.requestMethod : undefined;
  const isPreflight = preflightMethod !== undefined;
  const credentials: CredentialsMode =
    facts.credentialEvidence && !isPreflight ? 'include' : (options?.credentials ?? 'unknown');
  const res = readResponse(response);
  const requested =
    isPreflight && facts.requestHeaders !== undefined
      ? splitRequestedHeaders(facts.requestHeaders)
      : NO_NAMES;
  const subject: Subject = {
    url: request.url,
    response: res,
    lists: isPreflight ? parseAllowLists(res) : undefined,
    origin,
    preflightMethod,
    requested,
    serverOrigin: options?.serverOrigin,
    allowedOrigins: options?.allowedOrigins,
  };
  let outcome: CorsOutcome = 'allowed';
  const findings = newFindings();
  judge(subject, credentials === 'include', findings, true);
  if (isBlocked(findings)) {
    outcome = 'blocked';
    // A caller without credentials hits these reasons; a credentialed one may hit others first (S70: a
    // 404 preflight with '*' is PreflightInvalidStatus without credentials, PreflightWildcardOriginNotAllowed
    // with them). List those after, so the verdict names every fault either caller meets.
    if (credentials === 'unknown') appendCredentialedReasons(subject, findings);
  } else if (credentials === 'unknown') {
    // The first pass found no reason, so its findings can take the credentialed pass's.
    judge(subject, true, findings, false);
    if (isBlocked(findings)) outcome = 'blocked_if_credentialed';
  }
  if (!isSerialisedOrigin(origin)) warn(findings, 'malformed_request_origin');

  let verdict: Mutable<CorsVerdict>;
  if (isPreflight) {
    let cacheSeconds = UNCACHED_PREFLIGHT;
    // No engine caches a failed preflight; a caller without credentials gets one cached all the same.
    if (outcome !== 'blocked') {
      const lifetime = preflightCacheLifetime(res.maxAge);
      cacheSeconds = lifetime.seconds;
      if (lifetime.warning !== undefined) warn(findings, lifetime.warning);
      // The warning comes from the pass without credentials, the only one in which `*` is a wildcard.
      if (findings.warnings?.includes('authorization_covered_by_wildcard') === true) {
        cacheSeconds = withoutChromiumReuse(cacheSeconds);
      }
    }
    // One literal per kind, every field set at once: verdicts then share one hidden class per kind.
    verdict = {
      kind: 'preflight',
      outcome,
      reasons: findings.reasons ?? NO_REASONS,
      warnings: findings.warnings ?? NO_WARNINGS,
      credentials,
      origin,
      requestMethod: preflightMethod,
      requestHeaders: requested,
      preflightCacheSeconds: cacheSeconds,
    };
  } else {
    if (facts.chromiumOnlyHeaders && !facts.needsPreflight) warn(findings, 'chromium_only_safelisted_header');
    verdict = {
      kind: 'actual',
      outcome,
      reasons: findings.reasons ?? NO_REASONS,
      warnings: findings.warnings ?? NO_WARNINGS,
      credentials,
      origin,
      needsPreflight: facts.needsPreflight,
      requestHeaders: facts.unsafeHeaders,
    };
  }
  if (findings.failedValue !== undefined) verdict.failedValue = findings.failedValue;
  if (findings.hints !== undefined) verdict.hints = findings.hints;
  return verdict;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function appendCredentialedReasons(subject: Subject, findings: Findings): void {
  const credentialed = newFindings();
  judge(subject, true, credentialed, false);
  const reasons = findings.reasons;
  if (reasons === undefined || credentialed.reasons === undefined) return;
  for (const reason of credentialed.reasons) if (!reasons.includes(reason)) reasons.push(reason);
  for (const warning of credentialed.warnings ?? []) warn(findings, warning);
}

/** One evaluation's inputs, read once and judged per credentials mode. */
interface Subject {
  readonly url: string | undefined;
  readonly response: ResponseFacts;
  readonly lists: AllowLists | undefined;
  readonly origin: string;
  readonly preflightMethod: string | undefined;
  readonly requested: readonly string[];
  readonly serverOrigin: string | undefined;
  readonly allowedOrigins: ReadonlySet<string> | undefined;
}

/** `primary`: the first pass, which also runs the checks that only warn and do not depend on the mode. */
function judge(subject: Subject, include: boolean, findings: Findings, primary: boolean): void {
  const { response, origin, allowedOrigins } = subject;
  if (subject.preflightMethod !== undefined && subject.lists !== undefined) {
    checkPreflight(
      origin,
      subject.preflightMethod,
      subject.requested,
      response,
      subject.lists,
      include,
      findings,
      allowedOrigins,
    );
  } else {
    checkActual(
      origin,
      subject.url,
      subject.serverOrigin,
      response,
      include,
      findings,
      allowedOrigins,
      primary,
    );
  }
}
