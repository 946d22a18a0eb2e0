// What a CORS span says: span names, attribute keys and their value sets. The one contract between the
// instrumentation and the collector (../shared/DESIGN.md §3); both import it, and so do their tests, so a
// renamed key breaks the build, not a dashboard. Standard keys are OpenTelemetry semantic conventions
// (schema.test.ts checks them against @opentelemetry/semantic-conventions, which is not a runtime dependency).
import { MAX_ORIGIN_LENGTH } from './core/origin.js';
import type { CorsKind, CorsOutcome, CredentialsMode } from './core/verdict.js';

export const INSTRUMENTATION_SCOPE = '@corsight/instrumentation';

export const SPAN_NAMES = {
  /** One per key and flush interval, counting the requests in `cors.sample_weight`. */
  summary: 'CORS summary',
  preflight: 'CORS preflight',
} as const;

/** `CORS preflight` for preflights, `CORS <METHOD>` for actual requests (detail and per-request spans). */
export function detailSpanName(kind: Exclude<CorsKind, 'not-cors'>, method: string): string {
  return kind === 'preflight' ? SPAN_NAMES.preflight : `CORS ${method}`;
}

export const ATTR = {
  // OpenTelemetry semantic conventions.
  serviceName: 'service.name',
  httpRoute: 'http.route',
  httpRequestMethod: 'http.request.method',
  httpResponseStatusCode: 'http.response.status_code',
  userAgent: 'user_agent.original',
  serverAddress: 'server.address',
  // Corsight's own.
  /** `summary` or `detail`: what the span stands for. */
  spanRole: 'cors.span',
  kind: 'cors.kind',
  origin: 'cors.origin',
  /** Preflights: the method asked for (Access-Control-Request-Method). */
  requestMethod: 'cors.request.method',
  /** Preflights: Access-Control-Request-Headers; actual requests: the page-set names not safelisted. */
  requestHeaders: 'cors.request.headers',
  needsPreflight: 'cors.needs_preflight',
  credentials: 'cors.credentials',
  outcome: 'cors.outcome',
  reasons: 'cors.reasons',
  warnings: 'cors.warnings',
  hints: 'cors.hints',
  failedValue: 'cors.failed_value',
  responseAllowOrigin: 'cors.response.allow_origin',
  responseAllowCredentials: 'cors.response.allow_credentials',
  responseAllowMethods: 'cors.response.allow_methods',
  responseAllowHeaders: 'cors.response.allow_headers',
  responseExposeHeaders: 'cors.response.expose_headers',
  responseMaxAge: 'cors.response.max_age',
  responseVary: 'cors.response.vary',
  /** Effective preflight-cache lifetime per engine, after each engine's cap. */
  preflightCacheChromium: 'cors.preflight.cache_seconds.chromium',
  preflightCacheFirefox: 'cors.preflight.cache_seconds.firefox',
  preflightCacheWebkit: 'cors.preflight.cache_seconds.webkit',
  policyHash: 'cors.policy.hash',
  /** How many requests the span stands for; every count in the product is a sum of it. */
  sampleWeight: 'cors.sample_weight',
} as const;

export type AttributeKey = (typeof ATTR)[keyof typeof ATTR];

export const SPAN_ROLES = ['summary', 'detail'] as const;
export type SpanRole = (typeof SPAN_ROLES)[number];
export const CORS_KINDS = ['preflight', 'actual'] as const satisfies readonly Exclude<CorsKind, 'not-cors'>[];
export const OUTCOMES = [
  'allowed',
  'blocked',
  'blocked_if_credentialed',
] as const satisfies readonly CorsOutcome[];
export const CREDENTIALS_MODES = ['include', 'omit', 'unknown'] as const satisfies readonly CredentialsMode[];

/** `cors.origin` for an Origin no browser sends (not a serialised origin, or too long). */
export const ORIGIN_INVALID = 'invalid';
/** `cors.origin` once a route has seen more distinct origins in an interval than it keeps apart. */
export const ORIGIN_OTHER = '(other)';
/** `http.route` for a request no route of the application matched. */
export const ROUTE_UNMATCHED = '(unmatched)';

/** Caps on attacker-controlled values copied into spans. */
export const LIMITS = {
  /**
   * Longest origin kept as it is; a longer Origin is `invalid` (a browser never sends one), and the engine
   * warns `malformed_request_origin` for it: one limit for both.
   */
  originLength: MAX_ORIGIN_LENGTH,
  /** Longest response header value copied into a detail span. */
  headerValueLength: 512,
  /** Most request header names listed in `cors.request.headers`. */
  requestHeaderNames: 32,
} as const;
