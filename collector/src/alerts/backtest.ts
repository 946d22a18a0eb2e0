// Backtest (issue 7, `POST /api/v1/alerts/backtest`): run a rule as if the evaluator had run every minute over
// a range of stored minutes, and report when it would have fired. Pure: the route reads the per-minute
// counts (range plus the history the rule looks back over) and hands them here; the decision is the
// evaluator's own, fed by the same input shape the live loop builds with SQL.
//
// Cost: per evaluated minute, O(groups) pointer steps to find the groups with blocked traffic in the window,
// then binary searches over each such group's prefix sums. Only groups at the lowest bar any condition has
// (a firing instance's share of minCount) or with an instance are handed to the evaluator: the others can
// neither start nor hold one, and it reads an absent group as one without traffic (a steady trickle from
// hundreds of origins is most of the groups of most minutes).
import type { GroupKey, GroupWindow, PolicyChange, PriorTraffic, SeasonalSamples } from './alert-input.js';
import { compileFilter, keyId, projectKey } from './alert-key.js';
import type { AlertRule } from './alert-rule.js';
import { evaluateRule, INACTIVE, type RuleState } from './alert-evaluator.js';
import { RESOLVE_HYSTERESIS } from './rule-condition.js';
import { seasonalSampleOffsets, type SeasonalSampleEnds } from './seasonal-baseline.js';

const MINUTE_MS = 60_000;

/** One rollup minute of one (service, route, origin): blocked, and allowed incl. blocked_if_credentialed. */
export interface MinuteCounts {
  readonly minuteMs: number;
  readonly service: string;
  readonly route: string;
  readonly origin: string;
  readonly blocked: number;
  readonly allowed: number;
}

/** Minutes of one (service, route, origin) as parallel arrays, any order (blocked only: `allowed` may be empty). */
export interface MinuteSeries {
  readonly service: string;
  readonly route: string;
  readonly origin: string;
  readonly minutesMs: readonly number[];
  readonly blocked: readonly number[];
  readonly allowed: readonly number[];
}

export interface BacktestInput {
  readonly rule: AlertRule;
  /** Evaluations run at every minute boundary in `[fromMs, toMs]`. */
  readonly fromMs: number;
  readonly toMs: number;
  /** Earliest stored minute: baselines and lookbacks never reach before it. */
  readonly historyFromMs: number;
  /** Minutes from `historyFromMs` to `toMs`, any order; the rule's filter is applied here. */
  readonly minutes: readonly MinuteCounts[];
  /** More minutes, as one series per (service, route, origin) (what the SQL adapter reads). */
  readonly series?: readonly MinuteSeries[];
  readonly policyChanges?: readonly PolicyChange[];
}

export interface BacktestFiring {
  readonly key: GroupKey;
  readonly start: number;
  /** Null while still firing at `toMs`. */
  readonly end: number | null;
  /** Largest windowed blocked count while the instance was active. */
  readonly peak: number;
}

export interface BacktestResult {
  readonly firings: readonly BacktestFiring[];
  /** Notifications the rule would have sent (grouped ones count once). */
  readonly notifications: number;
  readonly evaluations: number;
}

/** One group's minutes as prefix sums, for range sums in O(log n). */
class GroupSeries {
  readonly minutes: number[] = [];
  private readonly blockedSums: number[] = [0];
  private readonly allowedSums: number[] = [0];
  /** Minutes with blocked traffic, and a cursor that only moves forward as evaluation time does. */
  readonly blockedMinutes: number[] = [];
  cursor = 0;
  // Added minutes, as parallel arrays (a 7-day backtest adds ~0.6M: no object per minute).
  private pendingMinutes: number[] = [];
  private pendingBlocked: number[] = [];
  private pendingAllowed: number[] = [];

  readonly id: string;

  constructor(readonly key: GroupKey) {
    this.id = keyId(key);
  }

  add(minuteMs: number, blocked: number, allowed: number): void {
    this.pendingMinutes.push(minuteMs);
    this.pendingBlocked.push(blocked);
    this.pendingAllowed.push(allowed);
  }

  /** Sorts what was added (rows arrive in any order; the SQL adapter's in order) and builds the prefix sums. */
  finish(): this {
    const minutes = this.pendingMinutes;
    const blockedOf = this.pendingBlocked;
    const allowedOf = this.pendingAllowed;
    this.pendingMinutes = [];
    this.pendingBlocked = [];
    this.pendingAllowed = [];
    let order: Iterable<number> = minutes.keys();
    for (let index = 1; index < minutes.length; index += 1) {
      if ((minutes[index] as number) < (minutes[index - 1] as number)) {
        order = [...minutes.keys()].sort((a, b) => (minutes[a] as number) - (minutes[b] as number));
        break;
      }
    }
    for (const index of order) {
      const minuteMs = minutes[index] as number;
      const blocked = blockedOf[index] as number;
      const allowed = allowedOf[index] as number;
      const last = this.minutes.length - 1;
      if (last >= 0 && this.minutes[last] === minuteMs) {
        this.blockedSums[last + 1] = (this.blockedSums[last + 1] ?? 0) + blocked;
        this.allowedSums[last + 1] = (this.allowedSums[last + 1] ?? 0) + allowed;
      } else {
        this.minutes.push(minuteMs);
        this.blockedSums.push((this.blockedSums.at(-1) ?? 0) + blocked);
        this.allowedSums.push((this.allowedSums.at(-1) ?? 0) + allowed);
      }
      if (blocked > 0 && this.blockedMinutes.at(-1) !== minuteMs) this.blockedMinutes.push(minuteMs);
    }
    return this;
  }

  private lowerBound(ms: number): number {
    let low = 0;
    let high = this.minutes.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.minutes[middle] as number) < ms) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Sums over the minutes starting in `[fromMs, toMs)`. */
  sum(fromMs: number, toMs: number): { blocked: number; allowed: number } {
    if (toMs <= fromMs) return { blocked: 0, allowed: 0 };
    const from = this.lowerBound(fromMs);
    const to = this.lowerBound(toMs);
    return {
      blocked: (this.blockedSums[to] as number) - (this.blockedSums[from] as number),
      allowed: (this.allowedSums[to] as number) - (this.allowedSums[from] as number),
    };
  }

  private windowSums: Float64Array | undefined;

  /**
   * Blocked count of the window ending at `endMs` (a minute boundary at or after `firstMs`), from a dense
   * per-minute array built on first use: seasonal samples are 20 window sums per evaluated minute, and a
   * lookup beats two binary searches each. Built only for groups that reach the baseline's floor (8 bytes
   * per minute of history: 240 KiB per group for 21 days), never for a scanner's one-off origins.
   */
  windowSumAt(endMs: number, windowMs: number, firstMs: number, lastMs: number): number {
    if (this.windowSums === undefined) {
      const sums = new Float64Array(Math.floor((lastMs - firstMs) / MINUTE_MS) + 1);
      for (let index = 0; index < sums.length; index += 1) {
        const end = firstMs + index * MINUTE_MS;
        sums[index] = this.sum(end - windowMs, end).blocked;
      }
      this.windowSums = sums;
    }
    return this.windowSums[Math.floor((endMs - firstMs) / MINUTE_MS)] ?? 0;
  }

  /** Calls `each` with every minute that has blocked traffic and its blocked count, in time order. */
  forEachBlocked(each: (minuteMs: number, blocked: number) => void): void {
    for (const [index, minuteMs] of this.minutes.entries()) {
      const blocked = (this.blockedSums[index + 1] as number) - (this.blockedSums[index] as number);
      if (blocked > 0) each(minuteMs, blocked);
    }
  }

  /** First blocked minute in `[fromMs, toMs)`, moving the cursor; `fromMs` must not decrease between calls. */
  firstBlockedIn(fromMs: number, toMs: number): number | undefined {
    while (
      this.cursor < this.blockedMinutes.length &&
      (this.blockedMinutes[this.cursor] as number) < fromMs
    ) {
      this.cursor += 1;
    }
    const minute = this.blockedMinutes[this.cursor];
    return minute !== undefined && minute < toMs ? minute : undefined;
  }
}

function seriesOf(input: BacktestInput): GroupSeries[] {
  const { rule } = input;
  const filter = compileFilter(rule.filter);
  const byKey = new Map<string, GroupSeries>();
  // Rows repeat the same few (service, route, origin) triples; each triple is filtered and grouped once.
  const byTriple = new Map<string, GroupSeries | null>();
  for (const row of input.minutes) {
    if (row.minuteMs < input.historyFromMs || row.minuteMs >= input.toMs) continue;
    const triple = `${row.service}\u0000${row.route}\u0000${row.origin}`;
    let series = byTriple.get(triple);
    if (series === undefined) {
      series = null;
      if (filter.matches(row)) {
        const key = projectKey(row, rule.groupBy);
        const id = keyId(key);
        series = byKey.get(id) ?? new GroupSeries(key);
        byKey.set(id, series);
      }
      byTriple.set(triple, series);
    }
    series?.add(Math.floor(row.minuteMs / MINUTE_MS) * MINUTE_MS, row.blocked, row.allowed);
  }
  for (const given of input.series ?? []) {
    if (!filter.matches(given)) continue;
    const key = projectKey(given, rule.groupBy);
    const id = keyId(key);
    const series = byKey.get(id) ?? new GroupSeries(key);
    byKey.set(id, series);
    given.minutesMs.forEach((minuteMs, index) => {
      if (minuteMs < input.historyFromMs || minuteMs >= input.toMs) return;
      series.add(
        Math.floor(minuteMs / MINUTE_MS) * MINUTE_MS,
        given.blocked[index] ?? 0,
        given.allowed[index] ?? 0,
      );
    });
  }
  return [...byKey.values()].map((series) => series.finish());
}

/**
 * The groups whose blocked count in the window ending at the evaluated minute may reach `bar`, kept up to date
 * from the minutes entering and leaving the window (each stored minute is visited twice in all), so that an
 * evaluated minute costs O(groups near the bar) instead of O(groups). A running sum only selects candidates:
 * their counts are then summed exactly.
 */
class WindowTracker {
  private readonly order: Int32Array;
  private readonly minutes: Float64Array;
  private readonly blocked: Float64Array;
  private readonly running: Float64Array;
  private entered = 0;
  private left = 0;
  readonly near = new Set<number>();
  /** Groups whose sum changed in this advance (each once: `stamps` holds the advance that listed it). */
  private readonly touched: number[] = [];
  private readonly stamps: Int32Array;
  private advances = 0;

  constructor(
    private readonly groups: readonly GroupSeries[],
    private readonly windowMs: number,
    private readonly bar: number,
  ) {
    // Every group's blocked minutes in time order: a counting sort over the minute grid (the minutes lie on
    // whole minutes: GroupSeries rounds them down).
    let first = Infinity;
    let last = -Infinity;
    let count = 0;
    for (const series of groups) {
      series.forEachBlocked((minuteMs) => {
        first = Math.min(first, minuteMs);
        last = Math.max(last, minuteMs);
        count += 1;
      });
    }
    const slots = count === 0 ? 0 : (last - first) / MINUTE_MS + 1;
    const starts = new Int32Array(slots + 1);
    for (const series of groups) {
      series.forEachBlocked((minuteMs) => {
        const slot = (minuteMs - first) / MINUTE_MS + 1;
        starts[slot] = (starts[slot] as number) + 1;
      });
    }
    for (let slot = 1; slot <= slots; slot += 1)
      starts[slot] = (starts[slot] as number) + (starts[slot - 1] as number);
    this.order = new Int32Array(count);
    this.minutes = new Float64Array(count);
    this.blocked = new Float64Array(count);
    groups.forEach((series, group) => {
      series.forEachBlocked((minuteMs, blocked) => {
        const slot = (minuteMs - first) / MINUTE_MS;
        const at = starts[slot] as number;
        starts[slot] = at + 1;
        this.order[at] = group;
        this.minutes[at] = minuteMs;
        this.blocked[at] = blocked;
      });
    });
    this.running = new Float64Array(groups.length);
    this.stamps = new Int32Array(groups.length);
  }

  /** Moves the window to end at `nowMs` (never backwards). */
  advance(nowMs: number): void {
    this.advances += 1;
    const touched = this.touched;
    touched.length = 0;
    const touch = (group: number): void => {
      if (this.stamps[group] === this.advances) return;
      this.stamps[group] = this.advances;
      touched.push(group);
    };
    const count = this.minutes.length;
    while (this.entered < count && (this.minutes[this.entered] as number) < nowMs) {
      const group = this.order[this.entered] as number;
      this.running[group] = (this.running[group] as number) + (this.blocked[this.entered] as number);
      touch(group);
      this.entered += 1;
    }
    while (this.left < this.entered && (this.minutes[this.left] as number) < nowMs - this.windowMs) {
      const group = this.order[this.left] as number;
      this.running[group] = (this.running[group] as number) - (this.blocked[this.left] as number);
      touch(group);
      this.left += 1;
    }
    // Rounding in the running sums never drops a group at the bar.
    const floor = this.bar - 1e-6 * Math.max(1, this.bar);
    for (const group of touched) {
      const sum = this.running[group] as number;
      if (sum > 0 && sum >= floor) this.near.add(group);
      else this.near.delete(group);
    }
  }

  /** The series near the bar and those of `also`, in their original order. */
  candidates(also: Iterable<number>): GroupSeries[] {
    const all = new Set(this.near);
    for (const group of also) all.add(group);
    return [...all].sort((a, b) => a - b).map((group) => this.groups[group] as GroupSeries);
  }
}

interface WindowContext {
  readonly historyFromMs: number;
  readonly toMs: number;
  /** `rejected_spike`: how far back each seasonal sample window ends. */
  readonly offsets: SeasonalSampleEnds;
}

/** The group's window at `nowMs`; undefined under the lowest bar (unless `always`). */
function groupWindow(
  rule: AlertRule,
  series: GroupSeries,
  nowMs: number,
  firstBlockedMs: number,
  context: WindowContext,
  always: boolean,
): GroupWindow | undefined {
  const { historyFromMs } = context;
  const windowStart = nowMs - rule.windowMs;
  const counts = series.sum(windowStart, nowMs);
  const base = { key: series.key, ...counts, firstBlockedMs };
  // Under the lowest bar any condition has (a sustained instance's share of minCount), nothing can start or
  // hold, so the baseline and the origin's past are not worth computing (most groups, most minutes).
  if (counts.blocked < rule.minCount * RESOLVE_HYSTERESIS) return always ? base : undefined;
  switch (rule.kind) {
    case 'rejected_spike': {
      // Sample windows that would start before the first stored minute are left out (see SeasonalSamples).
      const firstEnd = historyFromMs + rule.windowMs;
      const samples = (offsets: readonly number[]): number[] => {
        const values: number[] = [];
        for (const offset of offsets) {
          const end = nowMs - offset;
          if (end >= firstEnd && end <= context.toMs) {
            values.push(series.windowSumAt(end, rule.windowMs, firstEnd, context.toMs));
          }
        }
        return values;
      };
      const seasonal: SeasonalSamples = {
        daily: samples(context.offsets.daily),
        weekly: samples(context.offsets.weekly),
      };
      return { ...base, seasonal };
    }
    case 'new_rejected_origin':
    case 'newly_blocked_origin': {
      // With no stored minute before the window, nothing is known about the origin: it starts nothing
      // (otherwise every origin at the start of the data would look new). The past only matters for entry.
      if (windowStart <= historyFromMs || counts.blocked < rule.minCount) return base;
      const priorFrom = Math.max(nowMs - rule.lookbackMs, historyFromMs);
      const prior: PriorTraffic = { ...series.sum(priorFrom, windowStart), spanMs: windowStart - priorFrom };
      return { ...base, prior };
    }
    case 'blocked_ratio':
      return base;
    default: {
      const unexpected: never = rule;
      throw new Error(`unhandled rule kind ${JSON.stringify(unexpected)}`);
    }
  }
}

export function backtestRule(input: BacktestInput): BacktestResult {
  const { rule } = input;
  const groups = seriesOf(input);
  const firings: { key: GroupKey; start: number; end: number | null; peak: number }[] = [];
  const open = new Map<string, (typeof firings)[number]>();
  let state: RuleState = INACTIVE;
  let notifications = 0;
  let evaluations = 0;
  const first = Math.ceil(input.fromMs / MINUTE_MS) * MINUTE_MS;
  const context: WindowContext = {
    historyFromMs: input.historyFromMs,
    toMs: Math.floor(input.toMs / MINUTE_MS) * MINUTE_MS,
    offsets:
      rule.kind === 'rejected_spike'
        ? seasonalSampleOffsets(rule.windowMs, rule.baselineMs)
        : { daily: [], weekly: [] },
  };
  const tracker = new WindowTracker(groups, rule.windowMs, rule.minCount * RESOLVE_HYSTERESIS);
  const indexes = new Map(groups.map((series, index) => [series.id, index]));
  for (let nowMs = first; nowMs <= input.toMs; nowMs += MINUTE_MS) {
    tracker.advance(nowMs);
    // Groups near the bar, and those with an instance (which the evaluator must see while they have traffic).
    const instances: number[] = [];
    for (const id of state.instances.keys()) {
      const index = indexes.get(id);
      if (index !== undefined) instances.push(index);
    }
    const live: GroupWindow[] = [];
    for (const series of tracker.candidates(instances)) {
      const firstBlocked = series.firstBlockedIn(nowMs - rule.windowMs, nowMs);
      if (firstBlocked === undefined) {
        // An instance's group with allowed traffic only: the origin kinds tell it from one without any
        // (rule-condition.ts, keepFiringFor), as the collector's reads do.
        const counts = series.sum(nowMs - rule.windowMs, nowMs);
        if (state.instances.has(series.id) && counts.allowed > 0) live.push({ key: series.key, ...counts });
        continue;
      }
      const window = groupWindow(rule, series, nowMs, firstBlocked, context, state.instances.has(series.id));
      if (window !== undefined) live.push(window);
    }
    const policyChanges = input.policyChanges ?? [];
    const result = evaluateRule(rule, { nowMs, groups: live, policyChanges }, state);
    evaluations += 1;
    notifications += result.notifications.length;
    for (const transition of result.transitions) {
      if (transition.type === 'firing') {
        const firing = { key: transition.key, start: nowMs, end: null, peak: transition.condition.blocked };
        firings.push(firing);
        open.set(transition.instanceId, firing);
      } else if (transition.type === 'resolved') {
        const firing = open.get(transition.instanceId);
        if (firing !== undefined) {
          firing.end = nowMs;
          open.delete(transition.instanceId);
        }
      }
    }
    state = result.state;
    for (const [id, firing] of open) {
      const instance = state.instances.get(id);
      if (instance !== undefined) firing.peak = Math.max(firing.peak, instance.peak);
    }
  }
  return { firings, notifications, evaluations };
}
