// GET /origins/rejected: origins whose requests were blocked, from the narrowest rollups that hold them.
// `blocked` only: blocked_if_credentialed is allowed traffic at risk, not a rejection (DESIGN.md §3). First
// and last blocked are minutes (hourly rollups keep each key's first and last minute). The trend compares
// with the range of equal length just before.
import type { QueryFilters } from './query-params.js';
import { epochSeconds, rollupRows, type BuiltQuery, type Condition } from './sql-conditions.js';
import { previousRange, type TimeRange } from './time-range.js';

/** Routes and reason codes listed per origin, biggest first. */
export const DETAIL_PER_ORIGIN = 20;

type OriginFilters = Pick<QueryFilters, 'service' | 'route' | 'origin' | 'method'>;

const BLOCKED: Condition = { sql: "outcome = 'blocked'", dimensions: ['outcome'] };
const AMONG_ORIGINS: Condition = { sql: 'origin IN {origins:Array(String)}', dimensions: ['origin'] };

export function rejectedOriginsQuery(range: TimeRange, filters: OriginFilters, limit: number): BuiltQuery {
  const source = rollupRows({
    counts: 'requests',
    range,
    filters,
    columns: ['origin', 'outcome', 'requests', 'first_minute', 'last_minute'],
  });
  return {
    query: `SELECT origin,
  sumIf(requests, outcome = 'blocked') AS blocked,
  sum(requests) AS volume,
  ${epochSeconds(`minIf(first_minute, outcome = 'blocked')`)} AS first_blocked,
  ${epochSeconds(`maxIf(last_minute, outcome = 'blocked')`)} AS last_blocked
FROM ${source.rows}
GROUP BY origin
HAVING blocked > 0
ORDER BY blocked DESC, origin
LIMIT {limit:UInt32}`,
    params: { ...source.params, limit },
    tables: source.tables,
  };
}

/** Blocked weight of the given origins in the range of equal length just before (the trend's base). */
export function previouslyBlockedQuery(
  range: TimeRange,
  filters: OriginFilters,
  origins: readonly string[],
): BuiltQuery {
  const source = rollupRows({
    counts: 'requests',
    range: previousRange(range),
    filters,
    columns: ['origin', 'requests'],
    conditions: [BLOCKED, AMONG_ORIGINS],
  });
  return {
    query: `SELECT origin, sum(requests) AS blocked
FROM ${source.rows}
GROUP BY origin`,
    params: { ...source.params, origins },
    tables: source.tables,
  };
}

/**
 * Blocked weight per origin, service and route, for the origins of the first query. A route template is one
 * service's: two services that both expose `/graphql` are two entries, so after one service's allowlist
 * changes the answer says whose route rejects the origin (DESIGN.md keys by service, route and origin). It
 * therefore reads route × origin rollups that keep the service, never the weekly one of all services.
 */
export function rejectedOriginRoutesQuery(
  range: TimeRange,
  filters: OriginFilters,
  origins: readonly string[],
): BuiltQuery {
  const source = rollupRows({
    counts: 'requests',
    range,
    filters,
    columns: ['origin', 'service', 'route', 'requests'],
    conditions: [BLOCKED, AMONG_ORIGINS],
  });
  return {
    query: `SELECT origin, service, route, sum(requests) AS blocked
FROM ${source.rows}
GROUP BY origin, service, route
ORDER BY origin, blocked DESC, service, route
LIMIT ${DETAIL_PER_ORIGIN} BY origin`,
    params: { ...source.params, origins },
    tables: source.tables,
  };
}

/** Blocked weight per origin and reason code (a request with two reasons counts under each). */
export function rejectedOriginReasonsQuery(
  range: TimeRange,
  filters: OriginFilters,
  origins: readonly string[],
): BuiltQuery {
  const source = rollupRows({
    counts: 'findings',
    range,
    filters,
    columns: ['origin', 'code', 'requests'],
    conditions: [BLOCKED, { sql: "finding = 'reason'", dimensions: ['finding'] }, AMONG_ORIGINS],
  });
  return {
    query: `SELECT origin, code, sum(requests) AS blocked
FROM ${source.rows}
GROUP BY origin, code
ORDER BY origin, blocked DESC, code
LIMIT ${DETAIL_PER_ORIGIN} BY origin`,
    params: { ...source.params, origins },
    tables: source.tables,
  };
}

export interface RejectedOriginRow {
  readonly origin: string;
  readonly blocked: number;
  readonly volume: number;
  readonly first_blocked: number;
  readonly last_blocked: number;
}

export interface OriginBreakdownRow {
  readonly origin: string;
  readonly blocked: number;
}

/** One service's route that blocked an origin's requests. */
export interface RejectedOriginRoute {
  readonly service: string;
  readonly route: string;
  /** Sum of weights of this origin's blocked requests to the route. */
  readonly blocked: number;
}

export interface RejectedOrigin {
  readonly origin: string;
  /** Sum of weights of blocked requests (preflights and actual) in the range. */
  readonly blocked: number;
  /** All of this origin's requests in the range, whatever their outcome. */
  readonly requests: number;
  /** blocked / requests. */
  readonly share: number;
  /** Start of the first and last minute with a blocked request, ISO-8601. */
  readonly firstBlocked: string;
  readonly lastBlocked: string;
  readonly trend: {
    /** Blocked weight in the range of equal length just before. */
    readonly previousBlocked: number;
    /** blocked − previousBlocked. */
    readonly change: number;
    /** blocked / previousBlocked; null when nothing was blocked before (a new rejected origin). */
    readonly ratio: number | null;
  };
  /** Biggest first (then by service and route), at most DETAIL_PER_ORIGIN. */
  readonly routes: readonly RejectedOriginRoute[];
  readonly reasons: readonly { readonly code: string; readonly blocked: number }[];
}

export function shapeRejectedOrigins(
  rows: readonly RejectedOriginRow[],
  routes: readonly (OriginBreakdownRow & { readonly service: string; readonly route: string })[],
  reasons: readonly (OriginBreakdownRow & { readonly code: string })[],
  previous: readonly OriginBreakdownRow[],
): RejectedOrigin[] {
  const previouslyBlocked = new Map(previous.map((row) => [row.origin, row.blocked]));
  const routesOf = groupByOrigin(routes);
  const reasonsOf = groupByOrigin(reasons);
  return rows.map((row) => {
    const before = previouslyBlocked.get(row.origin) ?? 0;
    return {
      origin: row.origin,
      blocked: row.blocked,
      requests: row.volume,
      share: row.volume > 0 ? row.blocked / row.volume : 0,
      firstBlocked: new Date(row.first_blocked * 1000).toISOString(),
      lastBlocked: new Date(row.last_blocked * 1000).toISOString(),
      trend: {
        previousBlocked: before,
        change: row.blocked - before,
        ratio: before > 0 ? row.blocked / before : null,
      },
      routes: (routesOf.get(row.origin) ?? []).map(({ service, route, blocked }) => ({
        service,
        route,
        blocked,
      })),
      reasons: (reasonsOf.get(row.origin) ?? []).map(({ code, blocked }) => ({ code, blocked })),
    };
  });
}

function groupByOrigin<T extends OriginBreakdownRow>(rows: readonly T[]): Map<string, T[]> {
  const byOrigin = new Map<string, T[]>();
  for (const row of rows) {
    const list = byOrigin.get(row.origin);
    if (list === undefined) byOrigin.set(row.origin, [row]);
    else list.push(row);
  }
  return byOrigin;
}
