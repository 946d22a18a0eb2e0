// Why the spool refused an append, as typed errors with stable codes. The OTLP receiver branches on them:
// a full spool is backpressure (503 / gRPC UNAVAILABLE with Retry-After, the SDKs retry), never a drop.

export type SpoolErrorCode = 'spool_full' | 'spool_closed' | 'spool_locked';

export class SpoolError extends Error {
  override readonly name: string = 'SpoolError';
  readonly code: SpoolErrorCode;

  constructor(code: SpoolErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** The spool has no room for this append: nothing was written; the client should retry later. */
export class SpoolFullError extends SpoolError {
  override readonly name = 'SpoolFullError';
  /** What to put in Retry-After: whole seconds, at least 1. */
  readonly retryAfterSeconds: number;

  constructor(spooledBytes: number, appendBytes: number, maxSpoolBytes: number, retryAfterSeconds: number) {
    super(
      'spool_full',
      `the spool holds ${spooledBytes} bytes and ${appendBytes} more would pass maxSpoolBytes ` +
        `(${maxSpoolBytes}): ClickHouse is slower than ingest or unreachable; retry in ` +
        `${retryAfterSeconds} s, or raise the spool limit if the disk has room`,
    );
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export function isSpoolFullError(error: unknown): error is SpoolFullError {
  return error instanceof SpoolFullError;
}

/** While the collector shuts down: the client should retry soon (against this one restarted, or another). */
export const CLOSED_RETRY_AFTER_SECONDS = 1;

/**
 * How long the client should wait when the spool refused an append it may retry (full, or closing during
 * shutdown): both are 503 + Retry-After, not a 500. Undefined for any other error.
 */
export function spoolRetryAfterSeconds(error: unknown): number | undefined {
  if (error instanceof SpoolFullError) return error.retryAfterSeconds;
  if (error instanceof SpoolError && error.code === 'spool_closed') return CLOSED_RETRY_AFTER_SECONDS;
  return undefined;
}
