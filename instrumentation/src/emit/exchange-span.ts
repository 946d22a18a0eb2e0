// One judged exchange as span attributes, shared by the in-process observer and by the collector, which
// judges other services' HTTP server spans with the same engine: both produce the same attributes from the
// same verdict, so a row does not depend on where the request was judged.
import { originLabel } from '../aggregate/origin-label.js';
import type { SummaryKey } from '../aggregate/summary-key.js';
import type { CorsVerdict } from '../core/index.js';
import type { CorsResponse } from '../core/response-facts.js';
import { readResponse } from '../core/response-facts.js';
import { ROUTE_UNMATCHED } from '../schema.js';
import { detailAttributes } from './span-attributes.js';

/** A verdict on a cross-origin request (evaluateCors said `preflight` or `actual`). */
export type CrossOriginVerdict = CorsVerdict & { readonly kind: 'preflight' | 'actual' };

export function isCrossOrigin(verdict: CorsVerdict): verdict is CrossOriginVerdict {
  return verdict.kind !== 'not-cors';
}

/**
 * The verdict with what only an adapter can tell (CORS.md §6): a preflight asking for a route the
 * application's router does not have, which the adapter reports as ROUTE_UNMATCHED. An adapter that cannot
 * tell (no router it can read) reports undefined instead, and nothing is added.
 */
export function withRouteFindings(
  verdict: CrossOriginVerdict,
  route: string | undefined,
): CrossOriginVerdict {
  if (verdict.kind !== 'preflight' || route !== ROUTE_UNMATCHED) return verdict;
  return { ...verdict, warnings: [...verdict.warnings, 'preflight_unmatched_route'] };
}

/** What a summary span counts the exchange under. */
export function summaryKeyOf(
  verdict: CrossOriginVerdict,
  method: string,
  route: string | undefined,
  policyHash: string | undefined,
): SummaryKey {
  return {
    kind: verdict.kind,
    route: route ?? ROUTE_UNMATCHED,
    origin: originLabel(verdict.origin),
    method,
    requestMethod: verdict.requestMethod,
    outcome: verdict.outcome,
    reasons: verdict.reasons,
    warnings: verdict.warnings,
    needsPreflight: verdict.needsPreflight,
    credentials: verdict.credentials,
    preflightCacheSeconds: verdict.preflightCacheSeconds,
    policyHash,
  };
}

export interface ExchangeSpanFacts {
  readonly key: SummaryKey;
  readonly verdict: CrossOriginVerdict;
  readonly response: CorsResponse;
  readonly userAgent: string | undefined;
  /** The Host the request was addressed to, without its port. */
  readonly serverAddress: string | undefined;
  /** How many requests the span stands for (0 for an exemplar counted by a summary). */
  readonly weight: number;
  readonly serviceName: string | undefined;
}

/** The attributes of a detail span (`CORS preflight` / `CORS <METHOD>`) for one exchange. */
export function exchangeSpanAttributes(facts: ExchangeSpanFacts): ReturnType<typeof detailAttributes> {
  return detailAttributes(
    facts.key,
    {
      verdict: facts.verdict,
      response: readResponse(facts.response),
      userAgent: facts.userAgent,
      serverAddress: facts.serverAddress,
    },
    facts.weight,
    facts.serviceName,
  );
}
