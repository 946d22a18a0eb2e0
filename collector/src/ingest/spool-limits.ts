// The spool's default limits, in one place for the spool's users (the collector, the benches) and the
// configuration's fallbacks (CORSIGHT_BATCH_ROWS, CORSIGHT_BATCH_AGE_MS, CORSIGHT_SPOOL_MAX_BYTES). Pure.
import type { SegmentLimits } from './spool-seal-policy.js';

export const DEFAULT_SPOOL_LIMITS = {
  // One segment = one ClickHouse insert: ClickHouse wants few, large inserts (spool-seal-policy.ts). 64 MiB
  // holds the row limit's 100,000 rows of either kind of span (their JSON rows take 500-600 bytes), so under
  // load both get inserts of the same size.
  maxSegmentRows: 100_000,
  maxSegmentBytes: 64 * 1024 * 1024,
  maxSegmentAgeMs: 1_000,
  maxSpoolBytes: 1024 * 1024 * 1024,
} as const satisfies SegmentLimits & { maxSpoolBytes: number };
