// What a summary span counts under: every field that a chart or an alert groups by. Two requests with the
// same key are the same fact about the API, counted once with a weight.
import type { CorsVerdict, PreflightCacheSeconds, ReasonCode, WarningCode } from '../core/index.js';

export interface SummaryKey {
  readonly kind: 'preflight' | 'actual';
  readonly route: string;
  readonly origin: string;
  /** The request method (OPTIONS for a preflight). */
  readonly method: string;
  /** Preflights: the method asked for. */
  readonly requestMethod: string | undefined;
  readonly outcome: CorsVerdict['outcome'];
  readonly reasons: readonly ReasonCode[];
  readonly warnings: readonly WarningCode[];
  readonly needsPreflight: boolean | undefined;
  readonly credentials: CorsVerdict['credentials'];
  readonly preflightCacheSeconds: PreflightCacheSeconds | undefined;
  readonly policyHash: string | undefined;
}

// A separator no header value, route or code can contain (control characters never survive an HTTP parser).
const SEP = '\u0001';

/** The key as one string, for a Map. */
export function keyString(key: SummaryKey): string {
  const cache = key.preflightCacheSeconds;
  return (
    key.kind +
    SEP +
    key.route +
    SEP +
    key.origin +
    SEP +
    key.method +
    SEP +
    (key.requestMethod ?? '') +
    SEP +
    key.outcome +
    SEP +
    key.reasons.join(',') +
    SEP +
    key.warnings.join(',') +
    SEP +
    String(key.needsPreflight) +
    SEP +
    key.credentials +
    SEP +
    (cache === undefined ? '' : `${cache.chromium}/${cache.firefox}/${cache.webkit}`) +
    SEP +
    (key.policyHash ?? '')
  );
}
