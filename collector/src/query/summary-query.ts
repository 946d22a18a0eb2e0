// GET /summary: totals over a range, from the narrowest rollup that holds the filters (per-hour totals with
// per-minute edges when only the service is filtered).
import { rollupRows, type BuiltQuery } from './sql-conditions.js';
import type { QueryFilters } from './query-params.js';
import type { TimeRange } from './time-range.js';

/**
 * Sums of sample weights. `preflights + actual` = every CORS request; the outcomes split the same total:
 * `allowed + blocked + blocked_if_credentialed = preflights + actual`. `blocked_if_credentialed` is allowed
 * traffic at risk (DESIGN.md §3), never counted as a rejection.
 */
export interface Summary {
  readonly requests: number;
  readonly preflights: number;
  readonly actual: number;
  readonly allowed: number;
  readonly blocked: number;
  readonly blocked_if_credentialed: number;
  /** Actual requests a browser had to preflight (A of DESIGN.md §6). */
  readonly needs_preflight: number;
}

/** The summary query's columns: `total` is `requests` (an alias may not shadow the column it sums). */
export type SummaryRow = Omit<Summary, 'requests'> & { readonly total: number };

export function summaryQuery(range: TimeRange, filters: QueryFilters): BuiltQuery {
  const source = rollupRows({
    counts: 'requests',
    range,
    filters,
    columns: ['kind', 'outcome', 'requests', 'needs_preflight_requests'],
  });
  return {
    query: `SELECT
  sum(requests) AS total,
  sumIf(requests, kind = 'preflight') AS preflights,
  sumIf(requests, kind = 'actual') AS actual,
  sumIf(requests, outcome = 'allowed') AS allowed,
  sumIf(requests, outcome = 'blocked') AS blocked,
  sumIf(requests, outcome = 'blocked_if_credentialed') AS blocked_if_credentialed,
  sum(needs_preflight_requests) AS needs_preflight
FROM ${source.rows}`,
    params: source.params,
    tables: source.tables,
  };
}
