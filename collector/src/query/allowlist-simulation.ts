// POST /simulate: what a candidate allowlist would block over a range, from the per-minute rollup. An
// observed origin the list does not match would be refused: its volume that is allowed today
// (allowed + blocked_if_credentialed) becomes newly blocked; what is blocked today stays blocked. The list
// only answers the origin question; a matched origin can still be blocked for another reason.
//
// `(other)` is the instrumentation's bucket for origins past its per-route limit and `invalid` for Origins
// no browser sends; neither is one origin, so they are reported like the rest but cannot be listed.
import { ALLOWED_BY_LIST_SQL, type AllowlistMatchers } from './allowlist-pattern.js';
import {
  SOURCE_TABLE,
  filterConditions,
  rangeCondition,
  rangeParams,
  type BuiltQuery,
} from './sql-conditions.js';
import type { TimeRange } from './time-range.js';

export interface SimulationInput {
  readonly range: TimeRange;
  readonly matchers: AllowlistMatchers;
  readonly service: string | undefined;
  readonly limit: number;
}

function base(input: SimulationInput): { where: string; params: Record<string, unknown> } {
  const filters = filterConditions({ service: input.service });
  return {
    where: `${rangeCondition('rollup')}${filters.sql}`,
    params: {
      ...rangeParams(input.range),
      ...filters.params,
      exact: input.matchers.exact,
      patterns: input.matchers.patterns,
    },
  };
}

/** Totals: all volume, and the volume of origins the list does not match. */
export function simulationTotalsQuery(input: SimulationInput): BuiltQuery {
  const { where, params } = base(input);
  return {
    query: `SELECT
  sum(requests) AS volume,
  sumIf(requests, NOT listed) AS refused,
  sumIf(requests, NOT listed AND outcome != 'blocked') AS newly_blocked,
  toUInt32(uniqExactIf(origin, NOT listed)) AS refused_origins,
  toUInt32(uniqExactIf(origin, NOT listed AND outcome != 'blocked')) AS newly_blocked_origins
FROM (SELECT origin, outcome, requests, ${ALLOWED_BY_LIST_SQL} AS listed FROM ${SOURCE_TABLE.rollup} WHERE ${where})`,
    params,
  };
}

/** The refused origins, newly blocked volume first, with their routes. */
export function simulationOriginsQuery(input: SimulationInput): BuiltQuery {
  const { where, params } = base(input);
  return {
    query: `SELECT origin,
  sum(requests) AS volume,
  sumIf(requests, outcome != 'blocked') AS newly_blocked,
  sumIf(requests, outcome = 'blocked') AS already_blocked,
  arraySort(groupUniqArray(20)(route)) AS routes
FROM ${SOURCE_TABLE.rollup}
WHERE ${where} AND NOT ${ALLOWED_BY_LIST_SQL}
GROUP BY origin
ORDER BY newly_blocked DESC, volume DESC, origin
LIMIT {limit:UInt32}`,
    params: { ...params, limit: input.limit },
  };
}

/** Routes that would lose traffic, by newly blocked volume. */
export function simulationRoutesQuery(input: SimulationInput): BuiltQuery {
  const { where, params } = base(input);
  return {
    query: `SELECT service, route, sum(requests) AS newly_blocked
FROM ${SOURCE_TABLE.rollup}
WHERE ${where} AND outcome != 'blocked' AND NOT ${ALLOWED_BY_LIST_SQL}
GROUP BY service, route
ORDER BY newly_blocked DESC, service, route
LIMIT {limit:UInt32}`,
    params: { ...params, limit: input.limit },
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
  readonly routes: readonly string[];
}

export interface SimulationRouteRow {
  readonly service: string;
  readonly route: string;
  readonly newly_blocked: number;
}
