// POST /simulate: what a candidate allowlist would block over a range, from the narrowest rollups. An
// observed origin the list does not match would be refused: its volume that is allowed today
// (allowed + blocked_if_credentialed) becomes newly blocked; what is blocked today stays blocked. The list
// only answers the origin question; a matched origin can still be blocked for another reason.
//
// `(other)` is the instrumentation's bucket for origins past its per-route limit and `invalid` for Origins
// no browser sends; neither is one origin, so they are reported like the rest but cannot be listed.
import { ALLOWED_BY_LIST_SQL, type AllowlistMatchers } from './allowlist-pattern.js';
import { hashedKey } from './key-hashes.js';
import type { Dimension, Measure } from './rollup-choice.js';
import { rollupRows, type BuiltQuery, type Condition, type RollupRows } from './sql-conditions.js';
import type { TimeRange } from './time-range.js';

export interface SimulationInput {
  readonly range: TimeRange;
  readonly matchers: AllowlistMatchers;
  readonly service: string | undefined;
  readonly limit: number;
}

function rows(
  input: SimulationInput,
  columns: readonly (Dimension | Measure)[],
  conditions: readonly Condition[] = [],
  hashed: readonly Dimension[] = [],
): RollupRows {
  return rollupRows({
    counts: 'requests',
    range: input.range,
    filters: { service: input.service },
    columns,
    conditions,
    hashed,
  });
}

function listParams(input: SimulationInput): Record<string, unknown> {
  return { exact: input.matchers.exact, patterns: input.matchers.patterns };
}

// Each query first sums per origin (a few thousand rows at most, whatever the range), then matches the list
// against those origins only: a regular expression per rollup row would cost more than the sums.
//
// ClickHouse pushes a filter on a GROUP BY key down into the subquery's WHERE, which would run the match on
// every rollup row again (measured over 9M rollup rows: 3.8 s instead of 0.45 s). A LIMIT the subquery
// never reaches keeps the filter outside.
const KEEP_FILTER_OUTSIDE = 'LIMIT 4294967295';

/** Keys grouped by their columns' hashes (key-hashes.ts). */
const ROUTE_KEY: readonly Dimension[] = ['service', 'route'];
const ORIGIN_ROUTE_KEY: readonly Dimension[] = ['origin', 'route'];

/** Totals: all volume, and the volume of origins the list does not match. */
export function simulationTotalsQuery(input: SimulationInput): BuiltQuery {
  const source = rows(input, ['origin', 'outcome', 'requests']);
  return {
    query: `SELECT
  sum(origin_volume) AS volume,
  sumIf(origin_volume, NOT ${ALLOWED_BY_LIST_SQL}) AS refused,
  sumIf(origin_allowed, NOT ${ALLOWED_BY_LIST_SQL}) AS newly_blocked,
  toUInt32(countIf(NOT ${ALLOWED_BY_LIST_SQL})) AS refused_origins,
  toUInt32(countIf(origin_allowed > 0 AND NOT ${ALLOWED_BY_LIST_SQL})) AS newly_blocked_origins
FROM (
  SELECT origin, sum(requests) AS origin_volume, sumIf(requests, outcome != 'blocked') AS origin_allowed
  FROM ${source.rows}
  GROUP BY origin
)`,
    params: { ...source.params, ...listParams(input) },
    tables: source.tables,
  };
}

/** The refused origins, newly blocked volume first, with their routes. */
export function simulationOriginsQuery(input: SimulationInput): BuiltQuery {
  const source = rows(input, ['origin', 'outcome', 'requests']);
  return {
    query: `SELECT origin, origin_volume AS volume, origin_allowed AS newly_blocked,
  origin_blocked AS already_blocked
FROM (
  SELECT origin, sum(requests) AS origin_volume,
    sumIf(requests, outcome != 'blocked') AS origin_allowed,
    sumIf(requests, outcome = 'blocked') AS origin_blocked
  FROM ${source.rows}
  GROUP BY origin
  ${KEEP_FILTER_OUTSIDE}
)
WHERE NOT ${ALLOWED_BY_LIST_SQL}
ORDER BY newly_blocked DESC, volume DESC, origin
LIMIT {limit:UInt32}`,
    params: { ...source.params, ...listParams(input), limit: input.limit },
    tables: source.tables,
  };
}

/**
 * The routes each listed refused origin reached (at most 20 per origin), for the origins of the answer.
 * Grouped by the hashes of origin and route (key-hashes.ts; 30 days of the query bench: ~0.16 s of CPU by
 * name, ~0.10 s by hash, the same answer).
 */
export function simulationOriginRoutesQuery(input: SimulationInput, origins: readonly string[]): BuiltQuery {
  const source = rows(
    input,
    ['origin', 'route'],
    [{ sql: 'origin IN {origins:Array(String)}', dimensions: ['origin'] }],
    ORIGIN_ROUTE_KEY,
  );
  return {
    query: `SELECT any(origin) AS origin, any(route) AS route
FROM ${source.rows}
GROUP BY ${hashedKey(ORIGIN_ROUTE_KEY)}
ORDER BY origin, route
LIMIT 20 BY origin`,
    params: { ...source.params, origins },
    tables: source.tables,
  };
}

/**
 * Routes that would lose traffic, by newly blocked volume. The refused origins are found per origin first
 * (one key: cheap) and used as a set; grouping rollup rows by service, route and origin at once costs
 * several times more in ClickHouse (several LowCardinality keys are materialised per row). Service and
 * route are grouped by their hashes for the same reason (key-hashes.ts; 30 days of the query bench: ~0.26 s
 * of CPU by name, ~0.18 s by hash), each group's rows sharing one name.
 */
export function simulationRoutesQuery(input: SimulationInput): BuiltQuery {
  const origins = rows(input, ['origin']);
  const refused: Condition = {
    sql: `origin IN (
  SELECT origin FROM (
    SELECT origin FROM ${origins.rows} GROUP BY origin ${KEEP_FILTER_OUTSIDE}
  ) WHERE NOT ${ALLOWED_BY_LIST_SQL}
)`,
    dimensions: ['origin'],
  };
  const source = rows(
    input,
    ['service', 'route', 'requests'],
    [{ sql: "outcome != 'blocked'", dimensions: ['outcome'] }, refused],
    ROUTE_KEY,
  );
  return {
    query: `SELECT any(service) AS service, any(route) AS route, sum(requests) AS newly_blocked
FROM ${source.rows}
GROUP BY ${hashedKey(ROUTE_KEY)}
ORDER BY newly_blocked DESC, service, route
LIMIT {limit:UInt32}`,
    params: { ...origins.params, ...source.params, ...listParams(input), limit: input.limit },
    tables: [...new Set([...source.tables, ...origins.tables])],
  };
}

export interface SimulationTotalsRow {
  readonly volume: number;
  readonly refused: number;
  readonly newly_blocked: number;
  readonly refused_origins: number;
  readonly newly_blocked_origins: number;
}

export interface SimulationOriginRow {
  readonly origin: string;
  readonly volume: number;
  readonly newly_blocked: number;
  readonly already_blocked: number;
}

export interface SimulationOriginRouteRow {
  readonly origin: string;
  readonly route: string;
}

export interface SimulationRouteRow {
  readonly service: string;
  readonly route: string;
  readonly newly_blocked: number;
}
