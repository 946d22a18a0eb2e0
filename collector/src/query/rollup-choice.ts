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
  measureColumn,
  type Dimension,
  type Grain,
  type Measure,
  type RollupSpec,
} from '../store/schema-ddl.js';
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
}

/** A rollup and the parts of the range read from it. */
export interface RollupRead {
  readonly spec: RollupSpec;
  readonly part: 'whole' | 'hours' | 'edges';
}

export interface RollupPlan {
  readonly range: TimeRange;
  /** Whole hours inside the range, read from an hourly rollup; undefined when there is none to read. */
  readonly hours: TimeRange | undefined;
  readonly reads: readonly RollupRead[];
}

export class NoRollupError extends Error {
  override readonly name = 'NoRollupError';
}

function answers(spec: RollupSpec, question: RollupQuestion): boolean {
  return (
    spec.counts === question.counts &&
    question.dimensions.every((dimension) => spec.dimensions.includes(dimension)) &&
    question.measures.every((measure) => spec.measures.includes(measure))
  );
}

function narrowest(question: RollupQuestion, grain: Grain): RollupSpec | undefined {
  return ROLLUPS.find((spec) => spec.grain === grain && answers(spec, question));
}

/** The whole hours of a range; undefined when it holds none. */
export function wholeHours(range: TimeRange): TimeRange | undefined {
  const hourMs = GRAIN_SECONDS.hour * 1000;
  const fromMs = Math.ceil(range.fromMs / hourMs) * hourMs;
  const toMs = Math.floor(range.toMs / hourMs) * hourMs;
  return fromMs < toMs ? { fromMs, toMs } : undefined;
}

/** The rollups a request reads, narrowest first: whole hours from an hourly one where it can. */
export function chooseRollups(question: RollupQuestion): RollupPlan {
  const minutes = narrowest(question, 'minute');
  if (minutes === undefined) {
    throw new NoRollupError(
      `no rollup holds ${[...question.dimensions, ...question.measures].join(', ')} (${question.counts})`,
    );
  }
  const step = question.stepSeconds;
  const hourly =
    step === undefined || step % GRAIN_SECONDS.hour === 0 ? narrowest(question, 'hour') : undefined;
  const hours = hourly === undefined ? undefined : wholeHours(question.range);
  if (hourly === undefined || hours === undefined) {
    return { range: question.range, hours: undefined, reads: [{ spec: minutes, part: 'whole' }] };
  }
  const edges = hours.fromMs > question.range.fromMs || hours.toMs < question.range.toMs;
  return {
    range: question.range,
    hours,
    reads: [{ spec: hourly, part: 'hours' }, ...(edges ? [{ spec: minutes, part: 'edges' as const }] : [])],
  };
}

/** The tables a plan reads, for logs and the benchmark. */
export function tablesOf(plan: RollupPlan): readonly string[] {
  return plan.reads.map((read) => read.spec.table);
}

/**
 * The time condition of one read. {from}/{to} are the range, {hours_from}/{hours_to} its whole hours; an
 * hourly row's `hour` is the start of an hour wholly inside [hours_from, hours_to).
 */
function timeCondition(read: RollupRead): string {
  const time = TIME_COLUMN[read.spec.grain];
  const between = (from: string, to: string) =>
    `${time} >= {${from}:DateTime('UTC')} AND ${time} < {${to}:DateTime('UTC')}`;
  switch (read.part) {
    case 'whole':
      return between('from', 'to');
    case 'hours':
      return between('hours_from', 'hours_to');
    case 'edges':
      return `((${between('from', 'hours_from')}) OR (${between('hours_to', 'to')}))`;
    default: {
      const never: never = read.part;
      throw new Error(`unknown read part ${String(never)}`);
    }
  }
}

/** Seconds since the epoch of the bounds the plan's reads use, named as in their placeholders. */
export function planParams(plan: RollupPlan): Record<string, number> {
  const params: Record<string, number> = {};
  if (plan.reads.some((read) => read.part !== 'hours')) {
    params.from = Math.floor(plan.range.fromMs / 1000);
    params.to = Math.floor(plan.range.toMs / 1000);
  }
  if (plan.hours !== undefined) {
    params.hours_from = Math.floor(plan.hours.fromMs / 1000);
    params.hours_to = Math.floor(plan.hours.toMs / 1000);
  }
  return params;
}

/**
 * The rows of a plan as one subquery with the same columns whichever rollups it reads: `minute` (the start
 * of the row's minute or hour) and the columns asked for. `where` (AND-ed conditions, starting with
 * " AND ") applies inside each read, so ClickHouse filters with each table's sort key.
 */
export function planRows(plan: RollupPlan, columns: readonly (Dimension | Measure)[], where: string): string {
  const reads = plan.reads.map((read) => {
    const time = TIME_COLUMN[read.spec.grain];
    const selected = columns.map((column) => {
      const source = isMeasure(column) ? measureColumn(read.spec, column) : column;
      return source === column ? column : `${source} AS ${column}`;
    });
    const timeColumn = time === 'minute' ? 'minute' : `${time} AS minute`;
    return `SELECT ${[timeColumn, ...selected].join(', ')}
  FROM ${read.spec.table} WHERE ${timeCondition(read)}${where}`;
  });
  return `(\n  ${reads.join('\n  UNION ALL\n  ')}\n)`;
}

export function isMeasure(column: Dimension | Measure): column is Measure {
  return (MEASURE_NAMES as readonly string[]).includes(column);
}
