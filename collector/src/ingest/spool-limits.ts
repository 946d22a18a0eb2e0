// The spool's default limits, in one place for the spool's users (the collector, the benches) and the
// configuration's fallbacks (CORSIGHT_BATCH_ROWS, CORSIGHT_BATCH_AGE_MS, CORSIGHT_SPOOL_MAX_BYTES). Pure.
import type { SegmentLimits } from './spool-seal-policy.js';

export const DEFAULT_SPOOL_LIMITS = {
  // One segment = one ClickHouse insert: ClickHouse wants few, large inserts (spool-seal-policy.ts). 64 MiB
  // holds the row limit's 100,000 rows of either kind of span (their JSON rows take 500-600 bytes), so under
  // load both get inserts of the same size.
  maxSegmentRows: 100_000,
  maxSegmentBytes: 64 * 1024 * 1024,
  // A quiet collector inserts what five seconds brought, as OpenTelemetry's ClickHouse exporter batches (its
  // documented `timeout: 5s` with `send_batch_size: 100000`): each insert writes a part into cors_events and
  // every rollup table, later merged, whatever its size. Measured at ~460 spans/s for 100 s (two collectors
  // in turn, fresh stores): with 1 s, 80 inserts, 21.2 CPU s and 145 MB written by the process (3.1 KB per
  // span, most of it part files and merges); with 5 s, 20 inserts, 12.0 CPU s and 61 MB (1.3 KB per span).
  // A span then shows on the dashboard up to five seconds later; alerts read whole minutes anyway.
  maxSegmentAgeMs: 5_000,
  maxSpoolBytes: 1024 * 1024 * 1024,
} as const satisfies SegmentLimits & { maxSpoolBytes: number };
