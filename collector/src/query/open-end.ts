// Whether a range ends after everything stored. Rollups count whole hours, days and weeks, so a range that
// ends inside one is read from its minutes (rollup-choice.ts), and a 30-day range ending now reads up to a
// day of the widest per-minute rollup at its end: most of what the answer costs on many keys (query bench:
// ~60 of ~110 ms of CPU for the preflight-cache ranking). When nothing is stored at or after the range's end,
// as for a range ending now, the last unit's rollup rows hold only minutes inside the range, and the
// coarsest rollup answers it whole. Checked on every request, just before the reads: one indexed count on
// the smallest per-minute rollup, every stored request in it (~3 ms).
import { TABLES } from '../store/schema-ddl.js';
import { seconds, type BuiltQuery } from './sql-conditions.js';
import type { TimeRange } from './time-range.js';

/**
 * How many per-minute rows start at or after the range's end. Lists no tables: it picks no rollup, and the
 * `corsight-tables` header names the rollups an answer was read from.
 */
export function storedAfterQuery(range: TimeRange): BuiltQuery {
  return {
    query: `SELECT count() AS rows FROM ${TABLES.totals1m} WHERE minute >= {to:DateTime('UTC')}`,
    params: { to: seconds(range.toMs) },
    tables: [],
  };
}

export interface StoredAfterRow {
  readonly rows: string | number;
}

/** The range, marked open-ended when nothing is stored at or after its end. */
export function markOpenEnd(range: TimeRange, storedAfter: readonly StoredAfterRow[]): TimeRange {
  const after = Number(storedAfter[0]?.rows ?? 0);
  return after === 0 ? { ...range, openEnded: true } : range;
}
