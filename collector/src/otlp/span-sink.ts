// What the OTLP receivers hand decoded spans to. The receivers know transports (HTTP, gRPC, status codes);
// the sink knows the pipeline (tokens, row mapping, spool, ClickHouse). Each side speaks to the other only
// through this file: a result, or one of two typed errors.
import type { OtlpSpan } from './otlp-span.js';

export interface IngestAuth {
  /** The bearer token the client sent (`Authorization: Bearer …` / gRPC `authorization` metadata). */
  readonly token: string | undefined;
}

export interface AcceptResult {
  /** Spans not accepted (unmappable, not allowed…); reported to the client as OTLP partial success. */
  readonly rejectedSpans: number;
  /** Why, for the client's logs; also carries warnings when nothing was rejected. */
  readonly errorMessage?: string;
}

/**
 * Takes the spans of one well-formed export request; resolves once they are durable (stored or spooled), as
 * the client is told they are accepted the moment it resolves. Called for every well-formed request, empty
 * ones too, so that a token is checked the same way whatever the request holds. The array is the sink's.
 * Rejects with IngestAuthError or IngestBackpressureError to refuse the request whole; any other rejection
 * is answered as an internal error (HTTP 500 / gRPC INTERNAL) and logged.
 */
export type AcceptSpans = (spans: OtlpSpan[], auth: IngestAuth) => Promise<AcceptResult>;

/**
 * Checks a request's credentials before its body is read or decoded, so that a client without a valid token
 * costs no decompression or decoding; throws IngestAuthError. AcceptSpans checks them again.
 */
export type AuthoriseIngest = (auth: IngestAuth) => void;

/**
 * `overloaded`: the collector is busy and will take it later (HTTP 429 / gRPC RESOURCE_EXHAUSTED);
 * `unavailable`: the collector cannot store anything now, e.g. its spool is full (HTTP 503 / gRPC UNAVAILABLE).
 * OTLP exporters retry both, after `retryAfterSeconds` when they honour it.
 */
export type BackpressureKind = 'overloaded' | 'unavailable';

/** The request must wait: nothing of it was accepted, and the client should send it again later. */
export class IngestBackpressureError extends Error {
  override readonly name = 'IngestBackpressureError';
  readonly code = 'CORSIGHT_INGEST_BACKPRESSURE';
  /** Whole seconds, at least 1 (what `Retry-After` can say). */
  readonly retryAfterSeconds: number;

  constructor(
    readonly kind: BackpressureKind,
    retryAfterSeconds: number,
    message = kind === 'overloaded'
      ? 'the collector is overloaded; retry later'
      : 'the collector cannot store spans right now; retry later',
  ) {
    super(message);
    this.retryAfterSeconds = Number.isFinite(retryAfterSeconds)
      ? Math.max(1, Math.ceil(retryAfterSeconds))
      : 1;
  }
}

/** The request carries no token, or one the collector does not accept (HTTP 401 / gRPC UNAUTHENTICATED). */
export class IngestAuthError extends Error {
  override readonly name = 'IngestAuthError';
  readonly code = 'CORSIGHT_INGEST_AUTH';

  constructor(message = 'a valid ingest token is required: send "Authorization: Bearer <token>"') {
    super(message);
  }
}

/** The token of an `Authorization: Bearer <token>` value (scheme case-insensitive, RFC 6750 §2.1). */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1];
}
