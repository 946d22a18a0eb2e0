// GET /timeseries: a metric per step, split by a group. Counts come from the per-minute rollup (reasons and
// warnings from their own rollup, one row per code); high-cardinality groups keep the top N by volume over
// the range and fold the rest into one series (OTHER_GROUP). Buckets are zero-filled by ClickHouse (WITH FILL, per group).
import type { GroupBy, Metric, QueryFilters } from './query-params.js';
import type { Dimension } from './rollup-choice.js';
import { METRIC_CONDITIONS, rollupRows, type BuiltQuery, type Condition } from './sql-conditions.js';
import { bucketStarts, type Step, type TimeRange } from './time-range.js';

/**
 * The series that folds the groups past `top`. Named apart from the `(other)` origin (the instrumentation's
 * overflow label), which is a group of its own; `folded: true` marks it whatever a service is called.
 */
export const OTHER_GROUP = '(all others)';
// What the SQL names the fold: no stored service, route, origin or method holds a control character, so it
// cannot meet a real group.
const FOLD_KEY = '\u0000fold';
export const TOTAL_GROUP = 'total';

interface GroupSpec {
  readonly counts: 'requests' | 'findings';
  /** The rollup column the group is read from; none for the total. */
  readonly column: Dimension | undefined;
  readonly expression: string;
  /** Extra condition on the rows (findings: which kind of code). */
  readonly condition: Condition;
  /**
   * A handful of values at most (enums): no top-N pass. Every other group holds request data (an origin,
   * a route, any method token), so it gets the top-N pass whatever its usual size.
   */
  readonly bounded: boolean;
}

const EVERY_ROW: Condition = { sql: '1', dimensions: [] };

function group(column: Dimension, expression: string, bounded: boolean): GroupSpec {
  return { counts: 'requests', column, expression, condition: EVERY_ROW, bounded };
}

function findings(finding: 'reason' | 'warning'): GroupSpec {
  return {
    counts: 'findings',
    column: 'code',
    expression: 'code',
    condition: { sql: `finding = '${finding}'`, dimensions: ['finding'] },
    bounded: false,
  };
}

const GROUPS: Record<GroupBy | 'none', GroupSpec> = {
  none: {
    counts: 'requests',
    column: undefined,
    expression: `'${TOTAL_GROUP}'`,
    condition: EVERY_ROW,
    bounded: true,
  },
  outcome: group('outcome', 'toString(outcome)', true),
  kind: group('kind', 'toString(kind)', true),
  origin: group('origin', 'origin', false),
  route: group('route', 'route', false),
  service: group('service', 'service', false),
  method: group('method', 'method', false),
  // A request with two reasons counts once under each; requests without one are not in these series.
  reason: findings('reason'),
  warning: findings('warning'),
};

export interface TimeseriesRequest {
  readonly range: TimeRange;
  readonly step: Step;
  readonly metric: Metric;
  readonly groupBy: GroupBy | undefined;
  /** Groups kept apart; the rest are summed as `(other)`. */
  readonly top: number;
  readonly filters: QueryFilters;
}

export function timeseriesQuery(request: TimeseriesRequest): BuiltQuery {
  const spec = GROUPS[request.groupBy ?? 'none'];
  const source = rollupRows({
    counts: spec.counts,
    range: request.range,
    stepSeconds: request.step.seconds,
    filters: request.filters,
    columns: spec.column === undefined ? ['requests'] : [spec.column, 'requests'],
    conditions: [METRIC_CONDITIONS[request.metric], spec.condition],
  });
  // The top-N pass ranks groups over the whole range, whatever the step: it may read coarser rollups than
  // the buckets (whole hours of an hourly one under 5-minute buckets), with the same bounds.
  const ranking = spec.bounded
    ? undefined
    : rollupRows({
        counts: spec.counts,
        range: request.range,
        filters: request.filters,
        columns: spec.column === undefined ? ['requests'] : [spec.column, 'requests'],
        conditions: [METRIC_CONDITIONS[request.metric], spec.condition],
      });
  const first = bucketStarts(request.range, request.step)[0] ?? request.range.fromMs;
  // Bounded groups skip the top-N pass: one read of the rollup instead of two.
  const topGroups =
    ranking === undefined
      ? ''
      : `WITH top_groups AS (
  SELECT ${spec.expression} AS g FROM ${ranking.rows}
  GROUP BY g ORDER BY sum(requests) DESC, g LIMIT {top:UInt32}
)
`;
  const grp = spec.bounded
    ? spec.expression
    : `if(${spec.expression} IN top_groups, ${spec.expression}, {fold:String})`;
  return {
    query: `${topGroups}SELECT grp, t, sum(value) AS value FROM (
  SELECT ${grp} AS grp,
    toUInt32(toUnixTimestamp(toStartOfInterval(minute, toIntervalSecond({step:UInt32})))) AS t,
    requests AS value
  FROM ${source.rows}
)
GROUP BY grp, t
ORDER BY grp, t WITH FILL FROM {first:UInt32} TO {fill_to:UInt32} STEP {step:UInt32}`,
    params: {
      ...(spec.bounded ? {} : { fold: FOLD_KEY }),
      ...ranking?.params,
      ...source.params,
      ...(ranking === undefined ? {} : { top: request.top }),
      step: request.step.seconds,
      first: Math.floor(first / 1000),
      fill_to: Math.floor(request.range.toMs / 1000),
    },
    tables: [...new Set([...(ranking?.tables ?? []), ...source.tables])],
  };
}

export interface TimeseriesRow {
  readonly grp: string;
  readonly t: number;
  readonly value: number;
}

export interface Series {
  readonly group: string;
  /** The groups past `top`, folded into one series (`group` is then OTHER_GROUP). */
  readonly folded?: true;
  readonly total: number;
  /** One value per bucket of `buckets`, zero where nothing was counted. */
  readonly values: readonly number[];
}

/**
 * Rows (already zero-filled per group) into one array per group aligned with the buckets, biggest group
 * first and the fold of the groups past `top` last. Without a group-by, `total` is always there, all zeros for an empty range.
 */
export function shapeSeries(
  rows: readonly TimeseriesRow[],
  buckets: readonly number[],
  grouped: boolean,
): Series[] {
  const index = new Map(buckets.map((start, i) => [Math.floor(start / 1000), i]));
  const byGroup = new Map<string, number[]>();
  for (const row of rows) {
    const i = index.get(row.t);
    if (i === undefined) continue;
    let values = byGroup.get(row.grp);
    if (values === undefined) {
      values = buckets.map(() => 0);
      byGroup.set(row.grp, values);
    }
    values[i] = (values[i] ?? 0) + row.value;
  }
  if (!grouped && !byGroup.has(TOTAL_GROUP))
    byGroup.set(
      TOTAL_GROUP,
      buckets.map(() => 0),
    );
  // WITH FILL on an empty result invents one group named '' full of zeros; a group that counted nothing
  // is no group (rollups hold no zero-weight rows), so it is dropped.
  const series: Series[] = [...byGroup]
    .map(([group, values]) => {
      const total = values.reduce((sum, value) => sum + value, 0);
      return group === FOLD_KEY
        ? { group: OTHER_GROUP, folded: true as const, total, values }
        : { group, total, values };
    })
    .filter((entry) => entry.total > 0 || (!grouped && entry.group === TOTAL_GROUP));
  return series.sort(
    (a, b) =>
      Number(a.folded === true) - Number(b.folded === true) ||
      b.total - a.total ||
      (a.group < b.group ? -1 : 1),
  );
}
