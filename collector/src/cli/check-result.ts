// What one `corsight check` found: per URL of the redirect chain, the preflight and actual exchanges with the
// engine's verdicts, and where the browser stopped. Plain data; the report and --json both render it.
import type { CorsOutcome, CorsVerdict } from '@corsight/instrumentation';
import type { BrowserRequest, PageFetch, PreflightNeed } from './browser-request.js';
import type { RedirectDecision } from './browser-redirect.js';
import { EXIT_STATUS } from './cli-errors.js';
import type { HttpResponse } from './http-exchange.js';

export interface JudgedExchange {
  readonly request: BrowserRequest;
  readonly response: HttpResponse;
  readonly verdict: CorsVerdict;
}

/** One URL of the chain: the first, or a redirect target. */
export interface CheckHop {
  /** The fetch as the browser makes it at this URL (method, headers and Origin may differ after a redirect). */
  readonly fetch: PageFetch;
  readonly need: PreflightNeed;
  readonly preflight?: JudgedExchange;
  /** Absent when the preflight failed: the browser never sends the actual request then. */
  readonly actual?: JudgedExchange;
  /** What the browser did with the actual response when it was a redirect it followed or refused. */
  readonly redirect?: Exclude<RedirectDecision, { kind: 'final' }>;
}

export type CheckOutcome = 'allowed' | 'blocked';
/** Where the browser stopped; always in the last hop. */
export type StopPoint = 'preflight' | 'actual' | 'redirect';

export interface CheckResult {
  readonly fetch: PageFetch;
  readonly hops: readonly CheckHop[];
  readonly outcome: CheckOutcome;
  readonly stoppedAt?: StopPoint;
}

/** The outcome of one verdict, for a check whose credentials mode is always known. */
export function knownOutcome(outcome: CorsOutcome): CheckOutcome {
  switch (outcome) {
    case 'allowed':
    case 'blocked':
      return outcome;
    case 'blocked_if_credentialed':
      // Only reachable with credentials 'unknown'; check always passes 'include' or 'omit'.
      throw new Error(
        'corsight check: the engine answered blocked_if_credentialed although the credentials mode was given',
      );
    default: {
      const unreachable: never = outcome;
      throw new Error(`corsight check: unknown outcome ${String(unreachable)}`);
    }
  }
}

export function exitStatus(outcome: CheckOutcome): number {
  switch (outcome) {
    case 'allowed':
      return EXIT_STATUS.allowed;
    case 'blocked':
      return EXIT_STATUS.blocked;
    default: {
      const unreachable: never = outcome;
      throw new Error(`corsight check: unknown outcome ${String(unreachable)}`);
    }
  }
}
