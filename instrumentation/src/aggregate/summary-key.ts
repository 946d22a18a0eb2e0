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
