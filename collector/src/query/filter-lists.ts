// GET /services and GET /routes: what the dashboard's filters offer, with the volume of each in the range
// (per-minute rollup), so the busiest come first.
import {
  SOURCE_TABLE,
  filterConditions,
  rangeCondition,
  rangeParams,
  type BuiltQuery,
} from './sql-conditions.js';
import type { TimeRange } from './time-range.js';

export function servicesQuery(range: TimeRange, limit: number): BuiltQuery {
  return {
    query: `SELECT service, sum(requests) AS volume
FROM ${SOURCE_TABLE.rollup}
WHERE ${rangeCondition('rollup')}
GROUP BY service
ORDER BY volume DESC, service
LIMIT {limit:UInt32}`,
    params: { ...rangeParams(range), limit },
  };
}

export function routesQuery(range: TimeRange, service: string | undefined, limit: number): BuiltQuery {
  const where = filterConditions({ service });
  return {
    query: `SELECT service, route, sum(requests) AS volume
FROM ${SOURCE_TABLE.rollup}
WHERE ${rangeCondition('rollup')}${where.sql}
GROUP BY service, route
ORDER BY volume DESC, service, route
LIMIT {limit:UInt32}`,
    params: { ...rangeParams(range), ...where.params, limit },
  };
}

export interface ServiceRow {
  readonly service: string;
  readonly volume: number;
}

export interface RouteRow {
  readonly service: string;
  readonly route: string;
  readonly volume: number;
}
