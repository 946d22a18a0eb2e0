// What the OTLP receivers hand their spans to: the token check, the split of CORS spans from the rest, the
// mapping to rows, and the durable append. A request is acknowledged once this resolves, which is once its
// rows are fsync'd in the spool: from there the batch writer owns them, across restarts and outages.
import type { CollectorMetrics } from '../ops/collector-metrics.js';
import type { OtlpSpan } from '../otlp/otlp-span.js';
import { type AcceptSpans, IngestBackpressureError } from '../otlp/span-sink.js';
import { encodeEventRow } from './cors-event-row.js';
import { type HttpSpanJudging, judgeHttpSpan, noteCorsightSpan } from './http-span-ingest.js';
import { type IngestTokens, mayIngest, type ServiceGrant, serviceGrants } from './ingest-tokens.js';
import { mapSpanToRow, type SpanMapping } from './span-to-row.js';
import type { Spool } from './spool.js';
import { spoolRetryAfterSeconds } from './spool-errors.js';

export interface SpanIngestOptions extends IngestTokens {
  readonly spool: Spool;
  readonly metrics: CollectorMetrics;
  /** Plain HTTP server spans with captured CORS headers, judged here (issue 8). */
  readonly httpSpans: HttpSpanJudging;
}

/** At most this many distinct rejection reasons are listed in partial_success.error_message. */
const REASONS_LISTED = 3;

function forbiddenReason(service: string): string {
  const shown = service.length > 64 ? `${service.slice(0, 64)}…` : service;
  return `service ${JSON.stringify(shown)} is not one this token may send (CORSIGHT_INGEST_SERVICE_TOKENS)`;
}

export function createSpanIngest(options: SpanIngestOptions): AcceptSpans {
  const { spool, metrics, httpSpans } = options;
  const grantOf = serviceGrants(options);
  return async (spans: OtlpSpan[], auth) => {
    let grant: ServiceGrant;
    try {
      grant = grantOf(auth);
    } catch (error) {
      metrics.spansRejected.inc({ reason: 'unauthenticated' }, spans.length);
      throw error;
    }
    const received = spans.length;
    metrics.spansReceived.inc(received);
    // Each row is encoded as soon as it is mapped, and neither the spans nor the rows are referenced past the
    // loop: a request waits for the spool's fdatasync with only its text alive, rather than holding its
    // decoded spans and rows (~2 MB of small objects per 512-span request, 8 requests in flight in the bench)
    // across that await, where the young-generation GC would copy and promote them.
    let encoded = '';
    let rows = 0;
    const reasons = new Set<string>();
    let invalid = 0;
    let forbidden = 0;
    let notCors = 0;
    // The clock bounds span start times (forged dates would scatter rows over many partitions).
    const mapOptions = { nowMs: Date.now() };
    // HTTP server spans wait until the request's Corsight spans are counted: a service that sends both is
    // then known to Corsight before its HTTP spans are looked at, even in its very first request.
    let others: OtlpSpan[] | undefined;
    const take = (mapped: SpanMapping): void => {
      switch (mapped.kind) {
        case 'row':
          encoded += encodeEventRow(mapped.row);
          rows++;
          break;
        case 'not-cors':
          notCors++;
          break;
        case 'invalid':
          invalid++;
          if (reasons.size < REASONS_LISTED) reasons.add(mapped.reason);
          break;
        default:
          mapped satisfies never;
      }
    };
    // A span of a service the token is not for is refused before it is counted anywhere, also before the
    // HTTP-span bookkeeping, which it could otherwise steer for that service.
    const refuse = (service: string): void => {
      forbidden++;
      if (reasons.size < REASONS_LISTED) reasons.add(forbiddenReason(service));
    };
    const allowed = (service: string): boolean => mayIngest(grant, service);
    for (const span of spans) {
      const mapped = mapSpanToRow(span, mapOptions);
      if (mapped.kind === 'not-cors') (others ??= []).push(span);
      else if (mapped.kind === 'row' && !allowed(mapped.row.service)) refuse(mapped.row.service);
      else {
        if (mapped.kind === 'row') noteCorsightSpan(httpSpans, span, mapped.row.service, allowed);
        take(mapped);
      }
    }
    if (others !== undefined) {
      for (const span of others) {
        const outcome = judgeHttpSpan(span, httpSpans, mapOptions, allowed);
        if (outcome.kind === 'refused') refuse(outcome.service);
        else if (outcome.kind === 'skipped') {
          notCors++;
          metrics.httpSpansSkipped.inc({ decision: outcome.decision });
        } else {
          if (outcome.kind === 'row') metrics.httpSpansJudged.inc();
          take(outcome);
        }
      }
    }
    if (notCors > 0) metrics.spansNotCors.inc(notCors);
    if (rows > 0) {
      try {
        await spool.append(encoded, rows);
      } catch (error) {
        // A full spool, or one closing for a shutdown: the client keeps the spans and sends them again.
        const retryAfter = spoolRetryAfterSeconds(error);
        if (retryAfter === undefined) {
          // Answered 500: the client drops these spans, and /metrics must say they were lost here.
          metrics.spansRejected.inc({ reason: 'internal' }, received);
          throw error;
        }
        metrics.spansRejected.inc({ reason: 'backpressure' }, received);
        throw new IngestBackpressureError('unavailable', retryAfter, (error as Error).message);
      }
      metrics.spansAccepted.inc(rows);
    }
    if (invalid + forbidden === 0) return { rejectedSpans: 0 };
    if (invalid > 0) metrics.spansRejected.inc({ reason: 'invalid_span' }, invalid);
    if (forbidden > 0) metrics.spansRejected.inc({ reason: 'forbidden_service' }, forbidden);
    const rejected = invalid + forbidden;
    return {
      rejectedSpans: rejected,
      errorMessage: `${rejected} of ${received} spans could not be stored as CORS events: ${[...reasons].join('; ')}`,
    };
  };
}
