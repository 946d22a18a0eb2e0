// The HTTP-server-span path of ingest: read the span, decide per service whether it may be judged, weigh it
// (its sampling threshold, else the service's configured weight) and map it to a row with the same engine
// and row mapping as Corsight's own spans.
import { ATTR } from '@corsight/instrumentation';
import type { OtlpSpan } from '../otlp/otlp-span.js';
import { readHttpServerSpan } from './http-server-span.js';
import { type HttpSpanDecision, HttpSpanServices } from './http-span-services.js';
import { mapHttpSpanToRow } from './http-span-to-row.js';
import { adjustedCountFromTraceState } from './sampling-threshold.js';
import { type MapOptions, serviceAttributes, type SpanMapping } from './span-to-row.js';

export interface HttpSpanJudging {
  readonly services: HttpSpanServices;
  /** The weight of a span without a sampling threshold (`CORSIGHT_HTTP_SPAN_WEIGHTS`; default 1). */
  readonly weightFor: (service: string) => number;
}

export function httpSpanJudging(weights: Readonly<Record<string, number>> = {}): HttpSpanJudging {
  return {
    services: new HttpSpanServices(),
    weightFor: (service) => (Object.hasOwn(weights, service) ? (weights[service] ?? 1) : 1),
  };
}

/** What became of one span that is not a Corsight span. */
export type HttpSpanOutcome =
  SpanMapping | { readonly kind: 'skipped'; readonly decision: Exclude<HttpSpanDecision, 'judge'> };

/** The service a span's row will be counted under ('' when it names none: its mapping then fails). */
function serviceOf(span: OtlpSpan): string {
  const name = serviceAttributes(span)[ATTR.serviceName];
  return typeof name === 'string' ? name : '';
}

export function judgeHttpSpan(
  span: OtlpSpan,
  judging: HttpSpanJudging,
  options: MapOptions,
): HttpSpanOutcome {
  const reading = readHttpServerSpan(span);
  if (reading.kind !== 'exchange') return { kind: 'not-cors' };
  const service = serviceOf(span);
  const decision = judging.services.decide(service, reading.exchange.hasCorsResponseHeader);
  if (decision !== 'judge') return { kind: 'skipped', decision };
  const weight = adjustedCountFromTraceState(span.traceState) ?? judging.weightFor(service);
  judging.services.noteWeight(service, weight);
  return mapHttpSpanToRow(span, reading.exchange, weight, options);
}
