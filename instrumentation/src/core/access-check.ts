// The CORS check (Fetch Standard §4.10 "CORS check"), in the order and with the error classes of Chromium's
// services/network/public/cpp/cors/cors.cc CheckAccess. Applies to preflight and actual responses alike.
import { block, type Findings, warn } from './findings.js';
import { isParseableUrl } from './gurl-validity.js';
import { explainOriginMismatch, isLoopbackOrigin } from './origin.js';
import type { ResponseFacts } from './response-facts.js';

/**
 * Checks Access-Control-Allow-Origin / -Credentials against the serialised request `origin`, with the
 * request's credentials mode `include`. Returns true when the browser lets the response through.
 */
export function checkAccess(
  origin: string,
  response: ResponseFacts,
  include: boolean,
  findings: Findings,
  allowedOrigins: ReadonlySet<string> | undefined,
): boolean {
  const allowOrigin = response.allowOrigin;
  const allowCredentials = response.allowCredentials;
  if (allowOrigin === '*') {
    if (allowCredentials === 'true') warn(findings, 'wildcard_with_credentials_header');
    if (!include) return true;
    // '*' can never grant credentialed access, whatever Access-Control-Allow-Credentials says.
    block(findings, 'wildcard_origin_with_credentials', allowOrigin);
    return false;
  }
  let passed = true;
  if (allowOrigin === undefined) {
    block(findings, 'missing_allow_origin');
    passed = false;
  } else if (allowOrigin !== origin) {
    // Chromium's classification of a value that is not the origin: lists first, then `null`, then values
    // GURL cannot parse; everything else (paths, patterns, other hosts) is a mismatch.
    if (allowOrigin.includes(',') || allowOrigin.includes(' ')) {
      block(findings, 'multiple_allow_origin', allowOrigin);
    } else if (allowOrigin !== 'null' && !isParseableUrl(allowOrigin)) {
      block(findings, 'invalid_allow_origin', allowOrigin);
    } else {
      block(findings, 'allow_origin_mismatch', allowOrigin);
      findings.hints ??= explainOriginMismatch(allowOrigin, origin);
    }
    passed = false;
  }
  if (allowOrigin === 'null') warn(findings, 'null_origin_allowed');
  if (allowCredentials === 'true' && allowOrigin === origin) {
    if (origin.startsWith('http:') && !isLoopbackOrigin(origin))
      warn(findings, 'credentials_for_insecure_origin');
    if (allowedOrigins !== undefined && !allowedOrigins.has(origin)) {
      warn(findings, 'origin_reflected_with_credentials');
    }
  }
  if (include && allowCredentials !== 'true') {
    block(findings, 'allow_credentials_not_true', allowCredentials ?? '');
    passed = false;
  }
  return passed;
}
