// When the open segment is sealed and handed to the writer. Sealing is the batching: a segment is one
// ClickHouse insert, so its size bounds the insert and its age bounds how long a row waits in the spool.
//
// Age seals only while no sealed segment waits for the writer: the writer could not take a second one
// sooner, and a segment that keeps filling meanwhile becomes one larger insert. ClickHouse stores larger
// inserts for less CPU per row (every rollup view costs a fixed share per insert, and fewer parts mean fewer
// merges): with the rollup views attached, ~33 µs per row in 20,000-row inserts against ~17 µs in
// 100,000-row ones, measured here. So when ClickHouse falls behind, batches grow and the backlog shrinks,
// instead of it queueing ever more one-second segments; the row and byte limits still bound each insert.

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
 * Why the segment must be sealed now, or undefined to keep appending. An empty segment is never sealed;
 * an old one only when `waiting` (sealed segments not yet stored) is 0.
 */
export function sealReason(
  fill: SegmentFill,
  limits: SegmentLimits,
  now: number,
  waiting: number,
): SealReason | undefined {
  if (fill.rows === 0) return undefined;
  if (fill.rows >= limits.maxSegmentRows) return 'rows';
  if (fill.bytes >= limits.maxSegmentBytes) return 'bytes';
  if (
    waiting === 0 &&
    fill.firstAppendAt !== undefined &&
    now - fill.firstAppendAt >= limits.maxSegmentAgeMs
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
