// How a receiver answers a request it does not accept: one table from error to HTTP status and gRPC code,
// shared by both transports so the two can never disagree (OTLP spec, "Failures" for HTTP and gRPC).
import { OtlpDecodeError } from './decode-traces.js';
import { RPC_CODE, type RpcStatus } from './export-responses.js';
import { IngestAuthError, IngestBackpressureError } from './span-sink.js';

/** A request refused before it reached the sink, for a reason of its own (size, media type). */
export class OtlpRequestError extends Error {
  override readonly name = 'OtlpRequestError';

  constructor(
    readonly code: 'CORSIGHT_OTLP_TOO_LARGE' | 'CORSIGHT_OTLP_UNSUPPORTED_MEDIA_TYPE',
    message: string,
  ) {
    super(message);
  }
}

export interface Refusal extends RpcStatus {
  readonly httpStatus: number;
  /** What it is counted under, when its status alone does not tell (refusalReason). */
  readonly reason?: RefusalReason;
}

// Fastify's own errors that can reach the receiver's error handler (body limit, bad Content-Length).
interface StatusError {
  readonly code?: unknown;
  readonly statusCode?: unknown;
  readonly message: string;
}

/**
 * The answer to an error thrown while taking a request. Unknown errors become 500 / INTERNAL with a message
 * that points at the collector's log, never the error's own text (it may describe internals).
 */
export function refusalFor(error: unknown): Refusal {
  if (error instanceof OtlpDecodeError) {
    return { httpStatus: 400, code: RPC_CODE.invalidArgument, message: error.message };
  }
  if (error instanceof IngestAuthError) {
    return { httpStatus: 401, code: RPC_CODE.unauthenticated, message: error.message };
  }
  if (error instanceof IngestBackpressureError) {
    const overloaded = error.kind === 'overloaded';
    return {
      httpStatus: overloaded ? 429 : 503,
      code: overloaded ? RPC_CODE.resourceExhausted : RPC_CODE.unavailable,
      message: error.message,
      retryAfterSeconds: error.retryAfterSeconds,
    };
  }
  if (error instanceof OtlpRequestError) {
    return error.code === 'CORSIGHT_OTLP_TOO_LARGE'
      ? { httpStatus: 413, code: RPC_CODE.resourceExhausted, message: error.message }
      : { httpStatus: 415, code: RPC_CODE.invalidArgument, message: error.message };
  }
  if (error instanceof Error) {
    const { code, statusCode } = error as StatusError;
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return { httpStatus: 413, code: RPC_CODE.resourceExhausted, message: 'request body is too large' };
    }
    if (typeof code === 'string' && code.startsWith('Z_')) {
      // zlib: the body said gzip but is not (Z_DATA_ERROR), or stops short (Z_BUF_ERROR).
      return {
        httpStatus: 400,
        code: RPC_CODE.invalidArgument,
        message: `request body is not valid gzip: ${error.message}`,
      };
    }
    if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
      return { httpStatus: statusCode, code: RPC_CODE.invalidArgument, message: error.message };
    }
  }
  return {
    httpStatus: 500,
    code: RPC_CODE.internal,
    message: 'the collector failed to take the spans; its log says why',
  };
}

/**
 * What a refused request is counted under (/metrics), whichever transport refused it. `aborted`: the client
 * went away before its body ended, and no answer reached it.
 */
export const REFUSAL_REASONS = [
  'malformed',
  'unauthenticated',
  'too_large',
  'unsupported_media_type',
  'backpressure',
  'internal',
  'aborted',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export function refusalReason(refusal: Refusal): RefusalReason {
  if (refusal.reason !== undefined) return refusal.reason;
  switch (refusal.httpStatus) {
    case 401:
      return 'unauthenticated';
    case 413:
      return 'too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
    case 503:
      return 'backpressure';
    default:
      return refusal.httpStatus >= 500 ? 'internal' : 'malformed';
  }
}
