// When the open segment is sealed and handed to the writer. Sealing is the batching: a segment is one
// ClickHouse insert, so its size bounds the insert and its age bounds how long a row waits in the spool.
//
// Age seals only while no sealed segment waits for the writer: the writer could not take a second one
// sooner, and a segment that keeps filling meanwhile becomes one larger insert.
//
// Under load the age limit also grows with the time the last segment took to store (ageLimitMs), so that a
// loaded collector makes fewer, larger inserts. Most of what an insert costs ClickHouse does not depend on
// its size: it writes a part into cors_events and into every rollup view's table (17 parts), later merged,
// and creating each part's dozen files is mostly kernel time here (ext4 inode allocation, in a perf
// profile). The ingest bench's HTTP server spans inserted as the collector does into a fresh store (24
// inserts of 51,200 rows against 48 of 25,600, merges included, three runs of each) cost 11-14 µs of CPU per
// row in the larger inserts and 19-22 µs in the smaller: ~0.4 s per insert plus ~4 µs per row. With the
// age alone, a loaded collector inserted what arrived during the previous insert (~50k rows), and one whose
// spans cost more to decode got smaller inserts, each row carrying more of that fixed cost. ingest.bench.ts,
// before and after (same hour): 14 inserts of 64.6k rows, 45.8k spans per collector CPU second, against 10
// of 97.4k rows and 54.5k; in its pairs 28k and 38k spans/s stored (HTTP, Corsight), against 35k and 46k.

/** The age limit grows to this multiple of the last segment's store time (seal to stored). */
export const LOADED_AGE_FACTOR = 2;
/** ... and at most to this multiple of maxSegmentAgeMs, which bounds how long a row waits under load. */
export const LOADED_AGE_CAP = 8;

export interface SegmentLimits {
  /** Seal once this many rows are in the segment. */
  readonly maxSegmentRows: number;
  /** Seal once the segment holds this many bytes; a single larger append gets a segment of its own. */
  readonly maxSegmentBytes: number;
  /** Seal this long after the first row went in, however few rows there are. */
  readonly maxSegmentAgeMs: number;
}

export interface SegmentFill {
  readonly rows: number;
  readonly bytes: number;
  /** Clock reading when the first row was appended; undefined while the segment is empty. */
  readonly firstAppendAt: number | undefined;
}

export type SealReason = 'rows' | 'bytes' | 'age';

/**
 * How old the open segment may grow: `maxSegmentAgeMs` while segments store quickly, else LOADED_AGE_FACTOR
 * times the last one's store time (`lastStoreMs`: from its seal until ClickHouse had it; undefined before the
 * first), at most LOADED_AGE_CAP times `maxSegmentAgeMs`. A writer that took longer than half the age to
 * store a segment then waits for the next one at least as long as it stored the last: under a load it can
 * follow it stores at most half the time, and under a heavier one segments grow until a row or byte limit
 * seals them.
 */
export function ageLimitMs(maxSegmentAgeMs: number, lastStoreMs: number | undefined): number {
  if (lastStoreMs === undefined) return maxSegmentAgeMs;
  return Math.min(
    maxSegmentAgeMs * LOADED_AGE_CAP,
    Math.max(maxSegmentAgeMs, lastStoreMs * LOADED_AGE_FACTOR),
  );
}

/**
 * Why the segment must be sealed now, or undefined to keep appending. An empty segment is never sealed;
 * an old one only when `waiting` (sealed segments not yet stored) is 0, and old means older than
 * ageLimitMs(limits.maxSegmentAgeMs, lastStoreMs).
 */
export function sealReason(
  fill: SegmentFill,
  limits: SegmentLimits,
  now: number,
  waiting: number,
  lastStoreMs?: number,
): SealReason | undefined {
  if (fill.rows === 0) return undefined;
  if (fill.rows >= limits.maxSegmentRows) return 'rows';
  if (fill.bytes >= limits.maxSegmentBytes) return 'bytes';
  if (
    waiting === 0 &&
    fill.firstAppendAt !== undefined &&
    now - fill.firstAppendAt >= ageLimitMs(limits.maxSegmentAgeMs, lastStoreMs)
  ) {
    return 'age';
  }
  return undefined;
}

/**
 * Whether an append of `rows`/`bytes` goes into this segment, or the segment must be sealed first. An
 * empty segment takes any append, so an append larger than the limits is stored alone, never split: the
 * rows of one request stay in one insert.
 */
export function fitsInSegment(
  fill: SegmentFill,
  rows: number,
  bytes: number,
  limits: SegmentLimits,
): boolean {
  if (fill.rows === 0) return true;
  return fill.rows + rows <= limits.maxSegmentRows && fill.bytes + bytes <= limits.maxSegmentBytes;
}
