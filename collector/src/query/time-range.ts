// The time window of a query and the step of its charts. Pure: the caller passes "now".
//
// Rollups count per minute, so a range is widened to whole minutes (from rounded down, to rounded up) and
// the answer echoes the range actually counted; raw-row queries use the same minutes, so every endpoint
// counts the same rows for the same parameters.
import { QueryParameterError } from './query-errors.js';

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;
/** Rollups are kept 400 days by default; a longer range would only read zeros. */
export const MAX_RANGE_MS = 400 * DAY_MS;
export const DEFAULT_RANGE_MS = DAY_MS;
/** Points an automatic step aims at (a chart a few hundred pixels wide). */
export const TARGET_POINTS = 500;
/** Points an explicit step may produce before the request is refused. */
export const MAX_POINTS = 1500;

export const STEPS = {
  '1m': 60,
  '5m': 300,
  '15m': 900,
  '30m': 1800,
  '1h': 3600,
  '2h': 7200,
  '6h': 21_600,
  '12h': 43_200,
  '1d': 86_400,
} as const;
export type StepName = keyof typeof STEPS;
export const STEP_NAMES = Object.keys(STEPS) as readonly StepName[];

export interface TimeRange {
  /** Inclusive, milliseconds since the epoch, a whole minute. */
  readonly fromMs: number;
  /** Exclusive, milliseconds since the epoch, a whole minute. */
  readonly toMs: number;
  /**
   * Nothing is stored at or after toMs (open-end.ts checks it just before the reads): a rollup row of the
   * hour, day or week holding toMs then counts only minutes inside the range, so rollup-choice.ts reads
   * that unit whole instead of its minutes. A range ending now is one, unless some clock runs ahead.
   */
  readonly openEnded?: boolean;
}

export interface Step {
  readonly name: StepName;
  readonly seconds: number;
}

// Dates before 2000 or after 2100 are typing mistakes (and DateTime ends in 2106).
const EARLIEST_MS = Date.UTC(2000, 0, 1);
const LATEST_MS = Date.UTC(2100, 0, 1);

export const INSTANT_FORM =
  'an ISO-8601 date-time with a time zone (2026-11-26T12:00:00Z) or a date (2026-11-26), or epoch milliseconds';

const EPOCH_MS = /^\d{1,15}$/;
// A date, or a date-time with seconds optional and an explicit zone: without one, Date.parse would use the
// server's local zone and the same link would mean different hours on different machines.
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):?(\d{2})))?$/;

/**
 * Whether the fields of an ISO_8601 match name a real date and time. Date.parse rolls impossible ones over
 * (2026-02-30 is read as March 2nd), which would quietly count another day.
 */
function existsInCalendar(fields: RegExpExecArray): boolean {
  // Absent time and zone fields are zero.
  const field = (index: number): number => Number(fields[index] ?? 0);
  const month = field(2);
  const day = field(3);
  const daysInMonth = new Date(Date.UTC(field(1), month, 0)).getUTCDate();
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    field(4) <= 23 &&
    field(5) <= 59 &&
    field(6) <= 59 &&
    field(7) <= 23 &&
    field(8) <= 59
  );
}

/** Parses `from` or `to`; throws a QueryParameterError naming the parameter. */
export function parseInstant(parameter: string, text: string): number {
  let ms: number;
  const iso = EPOCH_MS.test(text) ? null : ISO_8601.exec(text);
  if (iso === null) {
    if (!EPOCH_MS.test(text)) throw new QueryParameterError(parameter, INSTANT_FORM, text);
    ms = Number(text);
  } else {
    if (!existsInCalendar(iso)) {
      throw new QueryParameterError(parameter, `a date and time that exist (${INSTANT_FORM})`, text);
    }
    ms = Date.parse(text);
  }
  if (!Number.isFinite(ms) || ms < EARLIEST_MS || ms >= LATEST_MS) {
    throw new QueryParameterError(parameter, `${INSTANT_FORM}, between 2000 and 2100`, text);
  }
  return ms;
}

/** The counted range for optional `from` / `to`: the last 24 hours by default, whole minutes, capped. */
export function resolveRange(from: string | undefined, to: string | undefined, nowMs: number): TimeRange {
  const toRaw = to === undefined ? nowMs : parseInstant('to', to);
  const fromRaw = from === undefined ? toRaw - DEFAULT_RANGE_MS : parseInstant('from', from);
  if (fromRaw >= toRaw) {
    throw new QueryParameterError('from', 'earlier than to', from ?? new Date(fromRaw).toISOString());
  }
  const fromMs = Math.floor(fromRaw / MINUTE_MS) * MINUTE_MS;
  const toMs = Math.ceil(toRaw / MINUTE_MS) * MINUTE_MS;
  if (toMs - fromMs > MAX_RANGE_MS) {
    throw new QueryParameterError('from', 'at most 400 days before to', from);
  }
  return { fromMs, toMs };
}

function pointsOf(range: TimeRange, seconds: number): number {
  return Math.ceil((range.toMs - fromBucket(range, seconds)) / (seconds * 1000));
}

/** Buckets are aligned to the epoch (whole UTC hours and days), like ClickHouse's toStartOfInterval. */
function fromBucket(range: TimeRange, seconds: number): number {
  const stepMs = seconds * 1000;
  return Math.floor(range.fromMs / stepMs) * stepMs;
}

/** `auto` (or nothing): the finest step that keeps a chart at ≤ TARGET_POINTS; explicit steps are checked. */
export function resolveStep(step: string | undefined, range: TimeRange): Step {
  if (step === undefined || step === 'auto') {
    for (const name of STEP_NAMES) {
      if (pointsOf(range, STEPS[name]) <= TARGET_POINTS) return { name, seconds: STEPS[name] };
    }
    return { name: '1d', seconds: STEPS['1d'] };
  }
  if (!(STEP_NAMES as readonly string[]).includes(step)) {
    throw new QueryParameterError('step', `one of auto, ${STEP_NAMES.join(', ')}`, step);
  }
  const name = step as StepName;
  const points = pointsOf(range, STEPS[name]);
  if (points > MAX_POINTS) {
    throw new QueryParameterError(
      'step',
      `coarser for this range: ${name} gives ${points} points, at most ${MAX_POINTS} are allowed (or use auto)`,
      step,
    );
  }
  return { name, seconds: STEPS[name] };
}

/** The start of every bucket of a chart, in order: the x-axis a zero-filled series has. */
export function bucketStarts(range: TimeRange, step: Step): readonly number[] {
  const stepMs = step.seconds * 1000;
  const starts: number[] = [];
  for (let t = fromBucket(range, step.seconds); t < range.toMs; t += stepMs) starts.push(t);
  return starts;
}

/** The range of equal length just before this one (for trends). */
export function previousRange(range: TimeRange): TimeRange {
  const length = range.toMs - range.fromMs;
  return { fromMs: range.fromMs - length, toMs: range.fromMs };
}
