// The `rejected_spike` baseline: what this window's blocked count usually is at this time of day and week,
// learned from history so that a blocked trickle peaking every day at 18:00 is not a spike.
//
// Two seasonal views, each a median so that earlier spikes do not inflate it (up to half the samples can be
// spikes before the median moves; a mean would move with the first):
// - daily: the same window, same minute of the day, on each of the previous days within `baseline`;
// - weekly: the same minute of the week on each previous week, plus neighbouring windows within ±30 minutes
//   (a week back gives one instant, which a single spike would own; its neighbours outvote it).
// The baseline is the larger of the two: on a Saturday of a weekday-heavy API the daily view is high and
// the weekly one low, on a Monday of a weekend-heavy one the other way round; taking the larger never
// calls a known peak a spike, at the cost of sensitivity on the quieter days.

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
const WEEKLY_SPREAD_MS = 30 * 60_000;
const MIN_NEIGHBOURS = 2;

export interface SeasonalSampleEnds {
  /** Window ends for the daily view, most recent first. */
  readonly daily: readonly number[];
  /** Window ends for the weekly view. */
  readonly weekly: readonly number[];
}

/** How far before `now` each sample window ends (the same for every evaluation of a rule). */
export function seasonalSampleOffsets(windowMs: number, baselineMs: number): SeasonalSampleEnds {
  const daily: number[] = [];
  for (let day = 1; day * DAY_MS <= baselineMs; day += 1) daily.push(day * DAY_MS);
  const neighbours = Math.max(MIN_NEIGHBOURS, Math.floor(WEEKLY_SPREAD_MS / windowMs));
  const weekly: number[] = [];
  for (let week = 1; week * WEEK_MS <= baselineMs; week += 1) {
    for (let step = -neighbours; step <= neighbours; step += 1) weekly.push(week * WEEK_MS - step * windowMs);
  }
  return { daily, weekly };
}

/** The instants at which the adapter counts a window (the minutes in `[end − window, end)`) for the baseline. */
export function seasonalSampleEnds(nowMs: number, windowMs: number, baselineMs: number): SeasonalSampleEnds {
  const offsets = seasonalSampleOffsets(windowMs, baselineMs);
  return {
    daily: offsets.daily.map((offset) => nowMs - offset),
    weekly: offsets.weekly.map((offset) => nowMs - offset),
  };
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  // A typed array sorts numerically without a comparator call per comparison.
  const sorted = Float64Array.from(values).sort();
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? 0;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? 0) + upper) / 2;
}

/** Undefined without any sample (no history yet): the rule then falls back to its `minCount` floor. */
export function seasonalBaseline(samples: {
  readonly daily: readonly number[];
  readonly weekly: readonly number[];
}): number | undefined {
  const daily = median(samples.daily);
  const weekly = median(samples.weekly);
  if (daily === undefined) return weekly;
  if (weekly === undefined) return daily;
  return Math.max(daily, weekly);
}
