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

// The list is matched once per origin, not per rollup row: the first query sums every origin of the range
// and says which the list refuses; the routes are then read for those origins by name (as a set bound as a
// parameter, the smaller of the refused and the listed ones). A regular expression per rollup row would
// cost more than the sums, and the set of refused origins as a subquery in each read (a range reads up to
// four rollups) cost ~20 ms each (query bench, 30 days).
//
// ClickHouse pushes a filter on a GROUP BY key down into the subquery's WHERE, which would run the match on
// every rollup row again (measured over 9M rollup rows: 3.8 s instead of 0.45 s). A LIMIT the subquery
// never reaches keeps the filter outside.
const KEEP_FILTER_OUTSIDE = 'LIMIT 4294967295';

/** Keys grouped by their columns' hashes (key-hashes.ts). */
const ROUTE_KEY: readonly Dimension[] = ['service', 'route'];
const ORIGIN_ROUTE_KEY: readonly Dimension[] = ['origin', 'service', 'route'];

/** Every origin of the range with its volume by outcome, and whether the list refuses it (1) or not (0). */
export function simulationOriginSumsQuery(input: SimulationInput): BuiltQuery {
  const source = rows(input, ['origin', 'outcome', 'requests']);
  return {
    query: `SELECT origin, volume, newly_blocked, already_blocked, NOT ${ALLOWED_BY_LIST_SQL} AS refused
FROM (
  SELECT origin, sum(requests) AS volume,
    sumIf(requests, outcome != 'blocked') AS newly_blocked,
    sumIf(requests, outcome = 'blocked') AS already_blocked
  FROM ${source.rows}
  GROUP BY origin
  ${KEEP_FILTER_OUTSIDE}
)`,
    params: { ...source.params, ...listParams(input) },
    tables: source.tables,
  };
}

/**
 * The routes each listed refused origin reached (at most 20 per origin), for the origins of the answer, with
 * the origin's volume to each that is allowed today: biggest first, then by service and route. A route
 * template is one service's: two services that both expose `/graphql` are two entries, so the answer says
 * whose route the list would break (DESIGN.md keys by service, route and origin); the weekly route × origin
 * rollup of all services therefore never answers it. Grouped by the hashes of origin, service and route
 * (key-hashes.ts; 30 days of the query bench, by origin and route: ~0.16 s of CPU by name, ~0.10 s by
 * hash, the same answer). The volume needs no other table: the route × origin rollups are per outcome.
 */
export function simulationOriginRoutesQuery(input: SimulationInput, origins: readonly string[]): BuiltQuery {
  const source = rows(
    input,
    ['origin', 'service', 'route', 'outcome', 'requests'],
    [{ sql: 'origin IN {origins:Array(String)}', dimensions: ['origin'] }],
    ORIGIN_ROUTE_KEY,
  );
  return {
    query: `SELECT any(origin) AS origin, any(service) AS service, any(route) AS route,
  sumIf(requests, outcome != 'blocked') AS newly_blocked
FROM ${source.rows}
GROUP BY ${hashedKey(ORIGIN_ROUTE_KEY)}
ORDER BY origin, newly_blocked DESC, service, route
LIMIT 20 BY origin`,
    params: { ...source.params, origins },
    tables: source.tables,
  };
}

/**
 * The refused origins of a range, as the smaller of two sets of the range's origins (every origin a route
 * rollup holds for the range is among those the first query summed): the refused ones, or the others.
 */
export type RefusedOrigins =
  { readonly refused: readonly string[] } | { readonly allOriginsBut: readonly string[] };

/**
 * Routes that would lose traffic, by newly blocked volume. Grouping rollup rows by service, route and origin
 * at once costs several times more in ClickHouse (several LowCardinality keys are materialised per row), so
 * service and route are grouped by their hashes (key-hashes.ts; 30 days of the query bench: ~0.26 s of CPU
 * by name, ~0.18 s by hash), each group's rows sharing one name.
 */
export function simulationRoutesQuery(input: SimulationInput, origins: RefusedOrigins): BuiltQuery {
  const among: Condition =
    'refused' in origins
      ? { sql: 'origin IN {origins:Array(String)}', dimensions: ['origin'] }
      : { sql: 'origin NOT IN {origins:Array(String)}', dimensions: ['origin'] };
  const source = rows(
    input,
    ['service', 'route', 'requests'],
    [{ sql: "outcome != 'blocked'", dimensions: ['outcome'] }, among],
    ROUTE_KEY,
  );
  return {
    query: `SELECT any(service) AS service, any(route) AS route, sum(requests) AS newly_blocked
FROM ${source.rows}
GROUP BY ${hashedKey(ROUTE_KEY)}
ORDER BY newly_blocked DESC, service, route
LIMIT {limit:UInt32}`,
    params: {
      ...source.params,
      origins: 'refused' in origins ? origins.refused : origins.allOriginsBut,
      limit: input.limit,
    },
    tables: source.tables,
  };
}

export interface SimulationOriginSumsRow {
  readonly origin: string;
  readonly volume: number;
  /** Volume allowed today (allowed + blocked_if_credentialed), blocked under the list if refused. */
  readonly newly_blocked: number;
  readonly already_blocked: number;
  readonly refused: 0 | 1;
}

export interface SimulationTotals {
  readonly requests: number;
  readonly refused: number;
  readonly newlyBlocked: number;
  readonly refusedOrigins: number;
  readonly newlyBlockedOrigins: number;
}

export interface SimulationSummary {
  readonly totals: SimulationTotals;
  /** Every refused origin, newly blocked volume first, then volume, then name (byte order, as SQL sorts). */
  readonly refused: readonly SimulationOriginSumsRow[];
  /** The refused origins as the smaller set (RefusedOrigins). */
  readonly refusedSet: RefusedOrigins;
}

function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Totals and the ranking of refused origins, from every origin's sums. Pure. */
export function summarizeSimulation(rows: readonly SimulationOriginSumsRow[]): SimulationSummary {
  const refused = rows.filter((row) => row.refused === 1);
  const kept = rows.filter((row) => row.refused !== 1);
  const sum = (list: readonly SimulationOriginSumsRow[], pick: (row: SimulationOriginSumsRow) => number) =>
    list.reduce((total, row) => total + pick(row), 0);
  return {
    totals: {
      requests: sum(rows, (row) => row.volume),
      refused: sum(refused, (row) => row.volume),
      newlyBlocked: sum(refused, (row) => row.newly_blocked),
      refusedOrigins: refused.length,
      newlyBlockedOrigins: refused.filter((row) => row.newly_blocked > 0).length,
    },
    refused: [...refused].sort(
      (a, b) => b.newly_blocked - a.newly_blocked || b.volume - a.volume || byBytes(a.origin, b.origin),
    ),
    refusedSet:
      refused.length <= kept.length
        ? { refused: refused.map((row) => row.origin) }
        : { allOriginsBut: kept.map((row) => row.origin) },
  };
}

export interface SimulationOriginRouteRow {
  readonly origin: string;
  readonly service: string;
  readonly route: string;
  /** The origin's volume to the route that is allowed today (allowed + blocked_if_credentialed). */
  readonly newly_blocked: number;
}

/** One service's route that a refused origin reached, with that origin's volume to it allowed today. */
export interface SimulatedOriginRoute {
  readonly service: string;
  readonly route: string;
  /** Sum of weights of the origin's requests to the route that are allowed today (blocked under the list). */
  readonly newlyBlocked: number;
}

export interface SimulationRouteRow {
  readonly service: string;
  readonly route: string;
  readonly newly_blocked: number;
}
