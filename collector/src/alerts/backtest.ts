// Backtest (issue 7, `POST /api/v1/alerts/backtest`): run a rule as if the evaluator had run every minute over
// a range of stored minutes, and report when it would have fired. Pure: the route reads the per-minute
// counts (range plus the history the rule looks back over) and hands them here; the decision is the
// evaluator's own, fed by the same input shape the live loop builds with SQL.
//
// Cost: per evaluated minute, O(groups) pointer steps to find the groups with blocked traffic in the window
// (only they can start or hold an instance), then binary searches over each live group's prefix sums.
import type { GroupKey, GroupWindow, PolicyChange, PriorTraffic, SeasonalSamples } from './alert-input.js';
import { compileFilter, keyId, projectKey } from './alert-key.js';
import type { AlertRule } from './alert-rule.js';
import { evaluateRule, INACTIVE, type RuleState } from './alert-evaluator.js';
import { seasonalSampleEnds } from './seasonal-baseline.js';

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

export interface BacktestInput {
  readonly rule: AlertRule;
  /** Evaluations run at every minute boundary in `[fromMs, toMs]`. */
  readonly fromMs: number;
  readonly toMs: number;
  /** Earliest stored minute: baselines and lookbacks never reach before it. */
  readonly historyFromMs: number;
  /** Minutes from `historyFromMs` to `toMs`, any order; the rule's filter is applied here. */
  readonly minutes: readonly MinuteCounts[];
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

  constructor(readonly key: GroupKey) {}

  push(minuteMs: number, blocked: number, allowed: number): void {
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
  const minutes = [...input.minutes].sort((a, b) => a.minuteMs - b.minuteMs);
  for (const row of minutes) {
    if (row.minuteMs < input.historyFromMs || row.minuteMs >= input.toMs) continue;
    if (!filter.matches(row)) continue;
    const key = projectKey(row, rule.groupBy);
    const id = keyId(key);
    let series = byKey.get(id);
    if (series === undefined) {
      series = new GroupSeries(key);
      byKey.set(id, series);
    }
    series.push(Math.floor(row.minuteMs / MINUTE_MS) * MINUTE_MS, row.blocked, row.allowed);
  }
  return [...byKey.values()];
}

function groupWindow(
  rule: AlertRule,
  series: GroupSeries,
  nowMs: number,
  firstBlockedMs: number,
  historyFromMs: number,
): GroupWindow {
  const windowStart = nowMs - rule.windowMs;
  const counts = series.sum(windowStart, nowMs);
  const base = { key: series.key, ...counts, firstBlockedMs };
  switch (rule.kind) {
    case 'rejected_spike': {
      const ends = seasonalSampleEnds(nowMs, rule.windowMs, rule.baselineMs);
      const sample = (end: number): number => series.sum(end - rule.windowMs, end).blocked;
      const known = (end: number): boolean => end - rule.windowMs >= historyFromMs;
      const seasonal: SeasonalSamples = {
        daily: ends.daily.filter(known).map(sample),
        weekly: ends.weekly.filter(known).map(sample),
      };
      return { ...base, seasonal };
    }
    case 'new_rejected_origin':
    case 'newly_blocked_origin': {
      // With no stored minute before the window, nothing is known about the origin: it starts nothing
      // (otherwise every origin at the start of the data would look new).
      if (windowStart <= historyFromMs) return base;
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
  for (let nowMs = first; nowMs <= input.toMs; nowMs += MINUTE_MS) {
    const live: GroupWindow[] = [];
    for (const series of groups) {
      const firstBlocked = series.firstBlockedIn(nowMs - rule.windowMs, nowMs);
      if (firstBlocked !== undefined) {
        live.push(groupWindow(rule, series, nowMs, firstBlocked, input.historyFromMs));
      }
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
