// Why the spool refused an append, as typed errors with stable codes. The OTLP receiver branches on them:
// a full spool is backpressure (503 / gRPC UNAVAILABLE with Retry-After, the SDKs retry), never a drop.

export type SpoolErrorCode = 'spool_full' | 'spool_no_space' | 'spool_closed' | 'spool_locked';

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

// The file system's "no room" answers: the disk or the quota is full, or a file would pass its size limit.
const NO_SPACE_CODES: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);
/** Retry-After for a full disk: someone has to free space, which takes longer than a spool draining. */
export const NO_SPACE_RETRY_AFTER_SECONDS = 10;

/**
 * The disk under the spool has no room for an append: nothing of it was kept. Backpressure like a full
 * spool (the OTLP clients retry a 503 / UNAVAILABLE), not a 500 they would drop the spans on.
 */
export class SpoolNoSpaceError extends SpoolError {
  override readonly name = 'SpoolNoSpaceError';
  readonly retryAfterSeconds = NO_SPACE_RETRY_AFTER_SECONDS;

  constructor(cause: Error) {
    super(
      'spool_no_space',
      `the disk under the spool has no room (${cause.message}): free space on the volume of CORSIGHT_DATA_DIR, ` +
        `or lower CORSIGHT_SPOOL_MAX_BYTES below what it can hold; retry in ${String(NO_SPACE_RETRY_AFTER_SECONDS)} s`,
    );
    this.cause = cause;
  }
}

/** A file-system error that says the disk is full becomes a SpoolNoSpaceError; any other is returned as is. */
export function asSpoolWriteError(error: unknown): unknown {
  return error instanceof Error && 'code' in error && NO_SPACE_CODES.has(String(error.code))
    ? new SpoolNoSpaceError(error)
    : error;
}

export function isSpoolFullError(error: unknown): error is SpoolFullError {
  return error instanceof SpoolFullError;
}

/** While the collector shuts down: the client should retry soon (against this one restarted, or another). */
export const CLOSED_RETRY_AFTER_SECONDS = 1;

/**
 * How long the client should wait when the spool refused an append it may retry (full, no room on disk, or
 * closing during shutdown): all are 503 + Retry-After, not a 500. Undefined for any other error.
 */
export function spoolRetryAfterSeconds(error: unknown): number | undefined {
  if (error instanceof SpoolFullError || error instanceof SpoolNoSpaceError) return error.retryAfterSeconds;
  if (error instanceof SpoolError && error.code === 'spool_closed') return CLOSED_RETRY_AFTER_SECONDS;
  return undefined;
}
