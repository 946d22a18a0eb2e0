// Whether a failed insert is worth retrying. Almost every failure is transient (ClickHouse down, a
// timeout, too many parts, a migration not yet run) and the writer retries the same segment forever:
// a spool that waits is how nothing gets lost. But a segment ClickHouse cannot parse will fail the same
// way on every retry, and as the oldest segment it would block every later one until the spool filled
// and ingest answered 503 for good. Only such content errors, named by ClickHouse's error type, move the
// segment aside (spool.reject), and only after they repeat; anything unrecognised counts as transient.

export type InsertErrorKind = 'transient' | 'content';

// ClickHouse error types (src/Common/ErrorCodes.cpp) that mean "these bytes are not valid rows for this
// table", whatever the server's state.
// CANNOT_READ_ALL_DATA is left out on purpose: a server reports it too when the request body broke off.
const CONTENT_ERROR_PREFIXES = ['CANNOT_PARSE_'];
const CONTENT_ERROR_TYPES = new Set([
  'INCORRECT_DATA',
  'INCORRECT_NUMBER_OF_COLUMNS',
  'TOO_LARGE_STRING_SIZE',
  'TOO_LARGE_ARRAY_SIZE',
  'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
  'UNKNOWN_ELEMENT_IN_ENUM',
]);

/** `error` as thrown by @clickhouse/client: a ClickHouseError carries ClickHouse's `type` name. */
export function insertErrorKind(error: unknown): InsertErrorKind {
  if (typeof error !== 'object' || error === null || !('type' in error)) return 'transient';
  const type = error.type;
  if (typeof type !== 'string') return 'transient';
  if (CONTENT_ERROR_TYPES.has(type)) return 'content';
  return CONTENT_ERROR_PREFIXES.some((prefix) => type.startsWith(prefix)) ? 'content' : 'transient';
}
