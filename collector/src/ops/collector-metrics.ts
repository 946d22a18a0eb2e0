// What the collector reports on /metrics (Prometheus text, through prom-client): how much it received,
// stored, rejected and dropped, how the writer keeps up, and how full the spool is. One registry per
// collector, so tests and several collectors in one process never share counters.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CHANNEL_TYPES } from '../alerts/alert-rule.js';
import type { HttpSpanDecision } from '../ingest/http-span-services.js';
import type { SpoolStats } from '../ingest/spool.js';
import { REFUSAL_REASONS } from '../otlp/export-refusal.js';

/** Why spans were refused (spans_rejected_total's `reason`). */
export const REJECT_REASONS = [
  'invalid_span',
  'forbidden_service',
  'unauthenticated',
  'backpressure',
  'internal',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

const SKIP_DECISIONS = ['not_enough_data', 'counted_by_corsight'] as const satisfies readonly Exclude<
  HttpSpanDecision,
  'judge'
>[];
const DELIVERY_CHANNEL_TYPES = [...CHANNEL_TYPES, 'unknown'] as const;

export interface SpoolState {
  readonly bytes: number;
  readonly segments: number;
  /** Since the spool was opened (spool.ts SpoolStats); absent where a test has no spool. */
  readonly recoveredSegments?: number;
  readonly tornBytesDiscarded?: number;
  readonly backgroundErrors?: number;
  readonly broken?: boolean;
}

/** What /metrics shows of a spool's stats. */
export function spoolState(stats: SpoolStats): SpoolState {
  return {
    bytes: stats.spooledBytes,
    segments: stats.sealedSegments,
    recoveredSegments: stats.recoveredSegments,
    tornBytesDiscarded: stats.tornBytesDiscarded,
    backgroundErrors: stats.backgroundErrors,
    broken: stats.broken,
  };
}

/**
 * A counter the spool keeps itself, read when /metrics is scraped: set to the spool's count, which only grows
 * while the process lives, as a Prometheus counter does.
 */
function spoolCounter(registry: Registry, name: string, help: string, read: () => number | undefined): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read() ?? 0);
    },
  });
}

export class CollectorMetrics {
  readonly registry = new Registry();
  readonly spansReceived = new Counter({
    name: 'corsight_spans_received_total',
    help: 'Spans received over OTLP (HTTP and gRPC), CORS or not.',
    registers: [this.registry],
  });
  readonly spansAccepted = new Counter({
    name: 'corsight_spans_accepted_total',
    help: 'CORS spans mapped to rows and made durable (in the spool or ClickHouse), i.e. acknowledged.',
    registers: [this.registry],
  });
  readonly rowsStored = new Counter({
    name: 'corsight_rows_stored_total',
    help: 'Rows inserted into ClickHouse by the batch writer.',
    registers: [this.registry],
  });
  readonly spansRejected = new Counter({
    name: 'corsight_spans_rejected_total',
    help: 'Spans refused, by reason: invalid_span and forbidden_service (a service the token is not for; both reported in partial_success), unauthenticated, backpressure (retried by the client), internal (answered 500: lost).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly requestsRefused = new Counter({
    name: 'corsight_otlp_requests_refused_total',
    help:
      'OTLP export requests refused whole (HTTP 4xx/5xx, gRPC error status), by reason: malformed, ' +
      'unauthenticated, too_large, unsupported_media_type, backpressure, internal, aborted (the client left mid-body).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly spansNotCors = new Counter({
    name: 'corsight_spans_dropped_non_cors_total',
    help: 'Spans that are not CORS spans, counted and dropped.',
    registers: [this.registry],
  });
  readonly httpSpansJudged = new Counter({
    name: 'corsight_http_spans_judged_total',
    help: 'HTTP server spans from other instrumentations with captured CORS headers, judged and stored as CORS events.',
    registers: [this.registry],
  });
  readonly httpSpansSkipped = new Counter({
    name: 'corsight_http_spans_skipped_total',
    help:
      'HTTP server spans with a captured Origin not judged: not_enough_data (the service captures no CORS ' +
      'response header yet) or counted_by_corsight (the service sends Corsight spans). Also counted as non-CORS.',
    labelNames: ['decision'] as const,
    registers: [this.registry],
  });
  readonly batchSeconds = new Histogram({
    name: 'corsight_batch_insert_seconds',
    help: 'Time to insert one spool segment into ClickHouse.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly rowsSetAside = new Counter({
    name: 'corsight_rows_set_aside_total',
    help: 'Rows of spool segments ClickHouse refused for their content, moved to <spool>/rejected/ for an operator.',
    registers: [this.registry],
  });
  readonly insertFailures = new Counter({
    name: 'corsight_batch_insert_failures_total',
    help: 'Failed inserts into ClickHouse (each is retried with backoff; the segment stays in the spool).',
    registers: [this.registry],
  });

  readonly alertEvaluations = new Counter({
    name: 'corsight_alert_evaluations_total',
    help: 'Evaluations of one alert rule at one minute, by result (ok, or error: the rule keeps its state).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly alertCycleSeconds = new Histogram({
    name: 'corsight_alert_cycle_seconds',
    help: 'Time to evaluate every alert rule once (one minute of the evaluator).',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly alertInstances = new Gauge({
    name: 'corsight_alert_instances',
    help: 'Alert instances after the last evaluation, by state (pending, firing).',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  readonly alertDeliveries = new Counter({
    name: 'corsight_alert_deliveries_total',
    help: 'Notification deliveries (after retries), by channel type and result (ok, failed).',
    labelNames: ['channel_type', 'result'] as const,
    registers: [this.registry],
  });

  constructor(spoolState: () => SpoolState) {
    // Every series of the labelled counters from the start, at 0: a rate() or increase() over a series that
    // does not exist yet has no data, so an alert on refusals or failed deliveries would stay silent until
    // the first one, and a dashboard would show gaps instead of zeros.
    for (const reason of REJECT_REASONS) this.spansRejected.inc({ reason }, 0);
    for (const reason of REFUSAL_REASONS) this.requestsRefused.inc({ reason }, 0);
    for (const decision of SKIP_DECISIONS) this.httpSpansSkipped.inc({ decision }, 0);
    for (const result of ['ok', 'error']) this.alertEvaluations.inc({ result }, 0);
    for (const channel_type of DELIVERY_CHANNEL_TYPES) {
      for (const result of ['ok', 'failed']) this.alertDeliveries.inc({ channel_type, result }, 0);
    }
    new Gauge({
      name: 'corsight_spool_bytes',
      help: 'Bytes in the on-disk spool not yet in ClickHouse: sealed segments, the one being written, appends in progress.',
      registers: [this.registry],
      collect() {
        this.set(spoolState().bytes);
      },
    });
    new Gauge({
      name: 'corsight_spool_segments',
      help:
        'Sealed segments (batches) waiting in the on-disk spool for ClickHouse; the segment still being ' +
        'written is not one of them, though its bytes count in corsight_spool_bytes.',
      registers: [this.registry],
      collect() {
        this.set(spoolState().segments);
      },
    });
    // What an operator looks at after a crash or a disk fault: what the spool found and cut at start-up, and
    // whether its background work (sealing segments, writing appends) failed since.
    spoolCounter(
      this.registry,
      'corsight_spool_recovered_segments_total',
      'Spool segments a previous process left unsealed (a crash or SIGKILL), recovered at start-up.',
      () => spoolState().recoveredSegments,
    );
    spoolCounter(
      this.registry,
      'corsight_spool_torn_bytes_total',
      'Bytes of a torn last write cut off while recovering those segments (never acknowledged to a client).',
      () => spoolState().tornBytesDiscarded,
    );
    spoolCounter(
      this.registry,
      'corsight_spool_background_errors_total',
      "Failures of the spool's background work (sealing segments, writing appends); the logs say which.",
      () => spoolState().backgroundErrors,
    );
    new Gauge({
      name: 'corsight_spool_broken',
      help: '1 when a failed fdatasync stopped the spool: appends are refused (503) until a restart recovers it.',
      registers: [this.registry],
      collect() {
        this.set(spoolState().broken === true ? 1 : 0);
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'corsight_' });
  }
}
