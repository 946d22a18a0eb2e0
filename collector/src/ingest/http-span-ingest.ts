// The HTTP-server-span path of ingest: read the span, decide per service whether it may be judged, weigh it
// (its sampling threshold, else the service's configured weight) and map it to a row with the same engine
// and row mapping as Corsight's own spans.
import { ATTR } from '@corsight/instrumentation';
import type { OtlpSpan } from '../otlp/otlp-span.js';
import { readHttpServerSpan } from './http-server-span.js';
import { type HttpSpanDecision, HttpSpanServices } from './http-span-services.js';
import { mapHttpSpanToRow } from './http-span-to-row.js';
import { OriginBudget } from './origin-budget.js';
import { adjustedCountFromTraceState } from './sampling-threshold.js';
import {
  isStorableServiceName,
  type MapOptions,
  ROW_LIMITS,
  serviceAttributes,
  serviceNameOf,
  type SpanMapping,
} from './span-to-row.js';

export interface HttpSpanJudging {
  readonly services: HttpSpanServices;
  /** The weight of a span without a sampling threshold (`CORSIGHT_HTTP_SPAN_WEIGHTS`; default 1). */
  readonly weightFor: (service: string) => number;
  /** Distinct origins per service and route, bounded as the instrumentation bounds its own. */
  readonly origins: OriginBudget;
}

export function httpSpanJudging(weights: Readonly<Record<string, number>> = {}): HttpSpanJudging {
  return {
    services: new HttpSpanServices(),
    weightFor: (service) => (Object.hasOwn(weights, service) ? (weights[service] ?? 1) : 1),
    origins: new OriginBudget(),
  };
}

/** What became of one span that is not a Corsight span. */
export type HttpSpanOutcome =
  | SpanMapping
  | { readonly kind: 'skipped'; readonly decision: Exclude<HttpSpanDecision, 'judge'> }
  /** An HTTP server span with a captured Origin of a service the sender may not send (ingest-tokens.ts). */
  | { readonly kind: 'refused'; readonly service: string };

const ANY_SERVICE = (): boolean => true;

/**
 * A Corsight span of `service` was stored. Its SDK's resource may name the service otherwise (the application
 * passed `serviceName` to Corsight): the HTTP server spans of the same process carry the resource's name and
 * describe the same requests, so that name is counted from Corsight's spans too.
 */
export function noteCorsightSpan(
  judging: HttpSpanJudging,
  span: OtlpSpan,
  service: string,
  mayName: (service: string) => boolean = ANY_SERVICE,
): void {
  judging.services.noteCorsight(service);
  const resourceName = span.resource[ATTR.serviceName];
  if (resourceName !== service && isStorableServiceName(resourceName) && mayName(resourceName)) {
    judging.services.noteCorsight(resourceName);
  }
}

/**
 * How many requests the span stands for. A sampling threshold counts only on a span that began its trace,
 * set by the service's own sampler: a span continuing a caller's trace carries the `tracestate` the caller
 * sent (parent-based samplers keep it), and any HTTP client can send `ot=th:fffffffff` to make one request
 * count as billions. Such spans count as the service's configured weight.
 */
function weightOf(span: OtlpSpan, service: string, judging: HttpSpanJudging): number {
  const adjusted = span.parentSpanId === undefined ? adjustedCountFromTraceState(span.traceState) : undefined;
  return adjusted === undefined ? judging.weightFor(service) : Math.min(adjusted, ROW_LIMITS.sampleWeight);
}

// The spans of a request mostly name one service: the last name that passed is known good by identity
// (decoded names that repeat are the same string).
let lastCheckedService: string | undefined;

function checkedService(span: OtlpSpan): ReturnType<typeof serviceNameOf> {
  const name = serviceAttributes(span)[ATTR.serviceName];
  if (name !== undefined && name === lastCheckedService) return lastCheckedService;
  const checked = serviceNameOf(span);
  if (typeof checked === 'string') lastCheckedService = checked;
  return checked;
}

/** `allowed`: whether the sender may send spans of a service; a refused span leaves no trace in `judging`. */
export function judgeHttpSpan(
  span: OtlpSpan,
  judging: HttpSpanJudging,
  options: MapOptions,
  allowed: (service: string) => boolean = ANY_SERVICE,
): HttpSpanOutcome {
  const reading = readHttpServerSpan(span);
  if (reading.kind !== 'exchange') return { kind: 'not-cors' };
  // Checked before the service is tracked: a name no row can hold must not take a place among the services.
  const service = checkedService(span);
  if (typeof service !== 'string') return service;
  if (!allowed(service)) return { kind: 'refused', service };
  const decision = judging.services.decide(service, reading.exchange.hasCorsResponseHeader);
  if (decision !== 'judge') return { kind: 'skipped', decision };
  const weight = weightOf(span, service, judging);
  judging.services.noteWeight(service, weight);
  return mapHttpSpanToRow(span, reading.exchange, weight, options, judging.origins, service);
}
