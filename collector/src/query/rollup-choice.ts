// Which rollup answers a request, and how its rows are read. Pure: a function of the request only.
//
// Every rollup (store/schema-ddl.ts ROLLUPS, narrowest first) is a cut of the raw events by some columns
// and a time grain. A request can be answered by any rollup that holds every column it filters, groups or
// conditions on and every measure it sums; the narrowest such one reads the fewest rows. Hourly rollups
// answer whole hours only, so a range that does not start and end on the hour reads its whole hours from
// an hourly rollup and the minutes at its edges from a per-minute one: the same rows are counted either way,
// since both are cuts of the same per-minute rollup. A chart reads hourly rows only when its buckets are
// whole hours (every step from 1h up is a multiple of an hour, and buckets start on the epoch).
import {
  GRAIN_SECONDS,
  MEASURE_NAMES,
  ROLLUPS,
  TIME_COLUMN,
  dimensionColumn,
  measureColumn,
  type Dimension,
  type Grain,
  type Measure,
  type RollupSpec,
} from '../store/schema-ddl.js';
import { hashAlias } from './key-hashes.js';
import type { TimeRange } from './time-range.js';

export type { Dimension, Measure } from '../store/schema-ddl.js';

export interface RollupQuestion {
  /** `requests`: each request once; `findings`: a request once per reason or warning code it has. */
  readonly counts: RollupSpec['counts'];
  /** Every column the query filters, groups or conditions on. */
  readonly dimensions: readonly Dimension[];
  /** Every measure it reads. */
  readonly measures: readonly Measure[];
  readonly range: TimeRange;
  /** Seconds per bucket when rows are summed per bucket of a chart; undefined: over the whole range. */
  readonly stepSeconds?: number | undefined;
  /**
   * The rows the question is about, when only some (the `where` of a narrow rollup that keeps just those,
   * e.g. PREFLIGHT_KEY_ROWS): a rollup that keeps a subset of rows answers only a question about it.
   */
  readonly onlyRowsWhere?: string | undefined;
}

/** The bounds a read is limited by: the range, its whole hours, days or weeks. */
export type Bounds = 'range' | 'hours' | 'days' | 'weeks';

const BOUND_PARAMS: Readonly<Record<Bounds, readonly [string, string]>> = {
  range: ['from', 'to'],
  hours: ['hours_from', 'hours_to'],
  days: ['days_from', 'days_to'],
  weeks: ['weeks_from', 'weeks_to'],
};

/** A rollup and the part of the range read from it: `within` its bounds, outside `except` (an inner read's). */
export interface RollupRead {
  readonly spec: RollupSpec;
  readonly within: Bounds;
  readonly except: Bounds | undefined;
}

export interface RollupPlan {
  readonly range: TimeRange;
  /** Whole hours inside the range, when an hourly rollup reads some of them. */
  readonly hours: TimeRange | undefined;
  /** Whole days inside the range, when a daily rollup reads them. */
  readonly days: TimeRange | undefined;
  /** Whole weeks (of the epoch, schema-ddl.ts Grain) inside the range, when a weekly rollup reads them. */
  readonly weeks: TimeRange | undefined;
  /** Coarsest first. */
  readonly reads: readonly RollupRead[];
}

export class NoRollupError extends Error {
  override readonly name = 'NoRollupError';
}

function answers(spec: RollupSpec, question: RollupQuestion): boolean {
  const subset = 'where' in spec ? (spec as { readonly where?: string }).where : undefined;
  return (
    (subset === undefined || subset === question.onlyRowsWhere) &&
    spec.counts === question.counts &&
    question.dimensions.every((dimension) => spec.dimensions.includes(dimension)) &&
    question.measures.every((measure) => spec.measures.includes(measure))
  );
}

function narrowest(question: RollupQuestion, grain: Grain): RollupSpec | undefined {
  const step = question.stepSeconds;
  // A chart's buckets start on the epoch; a coarser row lies in one bucket when its grain divides the step.
  if (step !== undefined && step % GRAIN_SECONDS[grain] !== 0) return undefined;
  return ROLLUPS.find((spec) => spec.grain === grain && answers(spec, question));
}

/**
 * The whole units (hours, UTC days, weeks) of a range; undefined when it holds none. The unit holding the
 * end of an open-ended range counts as whole: nothing is stored past the end (TimeRange.openEnded).
 */
function whole(range: TimeRange, grain: Grain): TimeRange | undefined {
  const unitMs = GRAIN_SECONDS[grain] * 1000;
  const fromMs = Math.ceil(range.fromMs / unitMs) * unitMs;
  const toMs = (range.openEnded === true ? Math.ceil : Math.floor)(range.toMs / unitMs) * unitMs;
  return fromMs < toMs ? { fromMs, toMs } : undefined;
}

/** The whole hours of a range; undefined when it holds none. */
export function wholeHours(range: TimeRange): TimeRange | undefined {
  return whole(range, 'hour');
}

function covers(outer: TimeRange, inner: TimeRange): boolean {
  return outer.fromMs <= inner.fromMs && outer.toMs >= inner.toMs;
}

/**
 * The rollups a request reads: whole weeks from a weekly rollup, the other whole days from a daily one, the
 * other whole hours from an hourly one, the remaining minutes from a per-minute one, each the narrowest of
 * its grain that answers the question.
 */
export function chooseRollups(question: RollupQuestion): RollupPlan {
  const minutes = narrowest(question, 'minute');
  if (minutes === undefined) {
    throw new NoRollupError(
      `no rollup holds ${[...question.dimensions, ...question.measures].join(', ')} (${question.counts})`,
    );
  }
  // A coarser grain is worth reading only from a table narrower than the finer one it would replace
  // (ROLLUPS is ordered narrowest first): per-hour totals beat a daily table keyed by route and origin.
  const narrower = (coarse: RollupSpec | undefined, fine: RollupSpec) =>
    coarse !== undefined && ROLLUPS.indexOf(coarse) < ROLLUPS.indexOf(fine) ? coarse : undefined;
  const hourly = narrower(narrowest(question, 'hour'), minutes);
  const daily = narrower(narrowest(question, 'day'), hourly ?? minutes);
  const weekly = narrower(narrowest(question, 'week'), daily ?? hourly ?? minutes);
  const levels: { spec: RollupSpec; bounds: Bounds; window: TimeRange }[] = [];
  const weeks = weekly === undefined ? undefined : whole(question.range, 'week');
  if (weekly !== undefined && weeks !== undefined)
    levels.push({ spec: weekly, bounds: 'weeks', window: weeks });
  const days = daily === undefined ? undefined : whole(question.range, 'day');
  if (daily !== undefined && days !== undefined) levels.push({ spec: daily, bounds: 'days', window: days });
  const hours = hourly === undefined ? undefined : wholeHours(question.range);
  if (hourly !== undefined && hours !== undefined)
    levels.push({ spec: hourly, bounds: 'hours', window: hours });
  levels.push({ spec: minutes, bounds: 'range', window: question.range });
  const reads: RollupRead[] = [];
  levels.forEach((level, index) => {
    const inner = levels[index - 1];
    // A level whose window the inner one covers entirely has nothing left to read.
    if (inner !== undefined && covers(inner.window, level.window)) return;
    reads.push({ spec: level.spec, within: level.bounds, except: inner?.bounds });
  });
  const used = (bounds: Bounds) => reads.some((read) => read.within === bounds || read.except === bounds);
  return {
    range: question.range,
    hours: used('hours') ? hours : undefined,
    days: used('days') ? days : undefined,
    weeks: used('weeks') ? weeks : undefined,
    reads,
  };
}

/** The tables a plan reads, for logs and the benchmark. */
export function tablesOf(plan: RollupPlan): readonly string[] {
  return plan.reads.map((read) => read.spec.table);
}

/** The time condition of one read: within its bounds, outside the inner read's. */
function timeCondition(read: RollupRead): string {
  const time = TIME_COLUMN[read.spec.grain];
  const between = (from: string, to: string) =>
    `${time} >= {${from}:DateTime('UTC')} AND ${time} < {${to}:DateTime('UTC')}`;
  const [from, to] = BOUND_PARAMS[read.within];
  if (read.except === undefined) return between(from, to);
  const [innerFrom, innerTo] = BOUND_PARAMS[read.except];
  return `((${between(from, innerFrom)}) OR (${between(innerTo, to)}))`;
}

/** Seconds since the epoch of the bounds the plan's reads use, named as in their placeholders. */
export function planParams(plan: RollupPlan): Record<string, number> {
  const windows: Record<Bounds, TimeRange | undefined> = {
    range: plan.range,
    hours: plan.hours,
    days: plan.days,
    weeks: plan.weeks,
  };
  const params: Record<string, number> = {};
  for (const read of plan.reads) {
    for (const bounds of [read.within, read.except]) {
      const window = bounds === undefined ? undefined : windows[bounds];
      if (bounds === undefined || window === undefined) continue;
      const [from, to] = BOUND_PARAMS[bounds];
      params[from] = Math.floor(window.fromMs / 1000);
      params[to] = Math.floor(window.toMs / 1000);
    }
  }
  return params;
}

/**
 * The rows of a plan as one subquery with the same columns whichever rollups it reads: `minute` (the start
 * of the row's minute or hour), the columns asked for and `<column>_hash` for each of `hashed`
 * (key-hashes.ts). `where` (AND-ed conditions, starting with
 * " AND ") applies inside each read, so ClickHouse filters with each table's sort key.
 */
export function planRows(
  plan: RollupPlan,
  columns: readonly (Dimension | Measure)[],
  where: string,
  hashed: readonly Dimension[] = [],
): string {
  const reads = plan.reads.map((read) => {
    const time = TIME_COLUMN[read.spec.grain];
    const selected = columns.map((column) => {
      const source = isMeasure(column)
        ? measureColumn(read.spec, column)
        : dimensionColumn(read.spec, column);
      return source === column ? column : `${source} AS ${column}`;
    });
    // Hashed in each read, over the table's own LowCardinality column (once per dictionary entry): above a
    // UNION ALL with a computed column the column may no longer be LowCardinality.
    for (const column of hashed) {
      selected.push(`sipHash64(${dimensionColumn(read.spec, column)}) AS ${hashAlias(column)}`);
    }
    const timeColumn = time === 'minute' ? 'minute' : `${time} AS minute`;
    return `SELECT ${[timeColumn, ...selected].join(', ')}
  FROM ${read.spec.table} WHERE ${timeCondition(read)}${where}`;
  });
  return `(\n  ${reads.join('\n  UNION ALL\n  ')}\n)`;
}

export function isMeasure(column: Dimension | Measure): column is Measure {
  return (MEASURE_NAMES as readonly string[]).includes(column);
}
