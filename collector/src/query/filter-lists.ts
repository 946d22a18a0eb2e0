// GET /services and GET /routes: what the dashboard's filters offer, with the volume of each in the range
// (the narrowest rollup holding services or routes), so the busiest come first.
import { rollupRows, type BuiltQuery } from './sql-conditions.js';
import type { TimeRange } from './time-range.js';

export function servicesQuery(range: TimeRange, limit: number): BuiltQuery {
  const source = rollupRows({ counts: 'requests', range, filters: {}, columns: ['service', 'requests'] });
  return {
    query: `SELECT service, sum(requests) AS volume
FROM ${source.rows}
GROUP BY service
ORDER BY volume DESC, service
LIMIT {limit:UInt32}`,
    params: { ...source.params, limit },
    tables: source.tables,
  };
}

export function routesQuery(range: TimeRange, service: string | undefined, limit: number): BuiltQuery {
  const source = rollupRows({
    counts: 'requests',
    range,
    filters: { service },
    columns: ['service', 'route', 'requests'],
  });
  return {
    query: `SELECT service, route, sum(requests) AS volume
FROM ${source.rows}
GROUP BY service, route
ORDER BY volume DESC, service, route
LIMIT {limit:UInt32}`,
    params: { ...source.params, limit },
    tables: source.tables,
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
