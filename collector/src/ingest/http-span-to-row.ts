// An HTTP server span from any language's OpenTelemetry instrumentation → a `cors_events` row, through the
// same engine and the same attributes as Corsight's own spans (exchangeSpanAttributes), then the same
// validating row mapping: a chart cannot tell which way a row came, except by its `source`. Pure. Most spans
// take a shortcut to the same row (http-span-direct-row.ts).
import {
  ATTR,
  evaluateCors,
  exchangeSpanAttributes,
  INSTRUMENTATION_SCOPE,
  isCrossOrigin,
  isSafelistedMethod,
  summaryKeyOf,
  type CrossOriginVerdict,
  type SummaryKey,
} from '@corsight/instrumentation';
import type { OtlpSpan, OtlpValue } from '../otlp/otlp-span.js';
import type { HttpServerExchange } from './http-server-span.js';
import { directHttpSpanRow } from './http-span-direct-row.js';
import type { OriginBudget } from './origin-budget.js';
import { type MapOptions, mapSpanToRow, type SpanMapping } from './span-to-row.js';

const JUDGED_SCOPE = { name: INSTRUMENTATION_SCOPE, version: undefined } as const;
const NOT_CORS: SpanMapping = Object.freeze({ kind: 'not-cors' });

/** An exchange the engine found cross-origin, with what its row is made of. */
export interface CrossOriginExchange {
  readonly verdict: CrossOriginVerdict;
  readonly key: SummaryKey;
  readonly needsPreflight: boolean | undefined;
}

/** Judges the exchange; undefined when the engine finds it same-origin or not CORS. */
export function judgeExchange(exchange: HttpServerExchange): CrossOriginExchange | undefined {
  const verdict = evaluateCors(exchange.request, exchange.response, { serverOrigin: exchange.serverOrigin });
  if (!isCrossOrigin(verdict)) return undefined;
  const key = summaryKeyOf(verdict, exchange.request.method, exchange.route, undefined);
  // A span holds only the request headers its service was told to capture, so whether a GET or POST needed a
  // preflight (which depends on every page-set header) is unknown; a non-safelisted method always does.
  const needsPreflight =
    verdict.kind === 'actual' && !isSafelistedMethod(exchange.request.method) ? true : undefined;
  return { verdict, key, needsPreflight };
}

/**
 * Judges the exchange an HTTP server span describes. `weight`: how many requests the span stands for (its
 * adjusted count under sampling). A request the engine finds same-origin or not CORS is `not-cors`. With
 * `origins`, the origin is counted as that budget admits it for `service` (its own, or `(other)`).
 */
export function mapHttpSpanToRow(
  span: OtlpSpan,
  exchange: HttpServerExchange,
  weight: number,
  options?: MapOptions,
  origins?: OriginBudget,
  service = '',
): SpanMapping {
  const judged = judgeExchange(exchange);
  if (judged === undefined) return NOT_CORS;
  const { route, origin } = judged.key;
  // Past the budget (a scanner, or thousands of origins in a window) most spans count under `(other)`: the
  // direct row takes the counted origin as it is, and only the general path needs a key that names it.
  const counted =
    origins === undefined ? origin : origins.admit(service, route, origin, options?.nowMs ?? Date.now());
  const direct = directHttpSpanRow(span, exchange, judged, weight, options, counted);
  if (direct !== undefined) return { kind: 'row', row: direct };
  return mapJudgedSpan(
    span,
    exchange,
    counted === origin ? judged : { ...judged, key: { ...judged.key, origin: counted } },
    weight,
    options,
  );
}

/** The general path: the verdict as span attributes, then the row mapping of Corsight's own spans. */
export function mapJudgedSpan(
  span: OtlpSpan,
  exchange: HttpServerExchange,
  judged: CrossOriginExchange,
  weight: number,
  options?: MapOptions,
): SpanMapping {
  const { verdict, key, needsPreflight } = judged;
  const attributes = exchangeSpanAttributes({
    key: { ...key, needsPreflight },
    verdict,
    response: exchange.response,
    userAgent: exchange.userAgent,
    serverAddress: exchange.serverAddress,
    weight,
    serviceName: undefined,
  });
  // The span's own service.name (if a sender set one as a span attribute) names the service, as for
  // Corsight's spans; otherwise the resource's.
  const serviceName = span.attributes[ATTR.serviceName];
  const judgedAttributes = attributes as Record<string, OtlpValue>;
  if (serviceName !== undefined) judgedAttributes[ATTR.serviceName] = serviceName;
  const corsSpan: OtlpSpan = {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    traceState: span.traceState,
    name: span.name,
    kind: span.kind,
    startTimeUnixNano: span.startTimeUnixNano,
    endTimeUnixNano: span.endTimeUnixNano,
    // detailAttributes' values are strings, numbers, booleans and string arrays: OTLP values already.
    attributes: judgedAttributes,
    status: span.status,
    resource: span.resource,
    scope: JUDGED_SCOPE,
  };
  return mapSpanToRow(corsSpan, options, 'http_span');
}
