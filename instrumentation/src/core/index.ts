export {
  MISMATCH_HINTS,
  REASON_CODES,
  REASONS,
  WARNING_CODES,
  WARNINGS,
  type CorsPhase,
  type HintInfo,
  type MismatchHint,
  type ReasonCode,
  type ReasonInfo,
  type WarningCode,
  type WarningInfo,
} from './codes.js';
export { boundedMemo } from './bounded-memo.js';
export { isSerialisedOrigin, serialisedOriginOf, serialiseOrigin } from './origin.js';
export {
  DEFAULT_PREFLIGHT_CACHE_SECONDS,
  PREFLIGHT_CACHE_CAPS,
  preflightCacheLifetime,
  type PreflightCacheSeconds,
} from './preflight-cache.js';
export { type CorsRequest, type RequestHeaders } from './request-facts.js';
export { requestHost } from './request-host.js';
export { type CorsResponse, type ResponseHeaders } from './response-facts.js';
export { corsUnsafeRequestHeaderNames, isSafelistedMethod } from './safelist.js';
export { isRedirectStatus } from './http-syntax.js';
export {
  evaluateCors,
  type CorsKind,
  type CorsOptions,
  type CorsOutcome,
  type CorsVerdict,
  type CredentialsMode,
} from './verdict.js';
