// What the OTLP receivers hand their spans to: the token check, the split of CORS spans from the rest, the
// mapping to rows, and the durable append. A request is acknowledged once this resolves, which is once its
// rows are fsync'd in the spool: from there the batch writer owns them, across restarts and outages.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { CollectorMetrics } from '../ops/collector-metrics.js';
import type { OtlpSpan } from '../otlp/otlp-span.js';
import {
  type AcceptSpans,
  type AuthoriseIngest,
  IngestAuthError,
  IngestBackpressureError,
} from '../otlp/span-sink.js';
import { encodeEventRow } from './cors-event-row.js';
import { type HttpSpanJudging, judgeHttpSpan, noteCorsightSpan } from './http-span-ingest.js';
import { mapSpanToRow, type SpanMapping } from './span-to-row.js';
import type { Spool } from './spool.js';
import { spoolRetryAfterSeconds } from './spool-errors.js';

export interface SpanIngestOptions {
  readonly spool: Spool;
  /** Bearer tokens accepted; empty accepts every request. */
  readonly tokens: readonly string[];
  readonly metrics: CollectorMetrics;
  /** Plain HTTP server spans with captured CORS headers, judged here (issue 8). */
  readonly httpSpans: HttpSpanJudging;
}

// Tokens are compared as SHA-256 digests in constant time: neither the comparison nor a Set lookup on the
// raw text tells a caller how much of a guess was right.
function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

function tokenCheck(tokens: readonly string[]): (token: string | undefined) => boolean {
  if (tokens.length === 0) return () => true;
  const digests = tokens.map(digest);
  return (token) => {
    if (token === undefined) return false;
    const candidate = digest(token);
    let match = false;
    for (const known of digests) match = timingSafeEqual(known, candidate) || match;
    return match;
  };
}

/** Throws IngestAuthError unless the request carries one of `tokens` (none configured: every one passes). */
export function ingestAuthoriser(tokens: readonly string[]): AuthoriseIngest {
  const authorised = tokenCheck(tokens);
  return (auth) => {
    if (authorised(auth.token)) return;
    throw new IngestAuthError(
      auth.token === undefined
        ? 'this collector requires a token: send "Authorization: Bearer <token>" (OTEL_EXPORTER_OTLP_HEADERS)'
        : 'the bearer token is not one this collector accepts (CORSIGHT_INGEST_TOKENS)',
    );
  };
}

/** At most this many distinct rejection reasons are listed in partial_success.error_message. */
const REASONS_LISTED = 3;

export function createSpanIngest(options: SpanIngestOptions): AcceptSpans {
  const { spool, metrics, httpSpans } = options;
  const authorise = ingestAuthoriser(options.tokens);
  return async (spans: OtlpSpan[], auth) => {
    try {
      authorise(auth);
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
    for (const span of spans) {
      const mapped = mapSpanToRow(span, mapOptions);
      if (mapped.kind === 'not-cors') (others ??= []).push(span);
      else {
        if (mapped.kind === 'row') noteCorsightSpan(httpSpans, span, mapped.row.service);
        take(mapped);
      }
    }
    if (others !== undefined) {
      for (const span of others) {
        const outcome = judgeHttpSpan(span, httpSpans, mapOptions);
        if (outcome.kind === 'skipped') {
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
    if (invalid === 0) return { rejectedSpans: 0 };
    metrics.spansRejected.inc({ reason: 'invalid_span' }, invalid);
    return {
      rejectedSpans: invalid,
      errorMessage: `${invalid} of ${received} spans could not be stored as CORS events: ${[...reasons].join('; ')}`,
    };
  };
}
