// The adapter between ClickHouse and the evaluator for a whole evaluation cycle: fills every rule's
// RuleEvaluationInput at `nowMs` with a fixed number of queries, however many rules there are.
//
// - Windows and top reasons: cut in memory from the cycle's shared last minutes (recent-traffic.ts).
// - The origin kinds' lookbacks (`30d` "ever seen", `7d` "ever allowed"): one query for every rule's entering
//   groups, summing whole days from the daily route × origin rollup and only the minutes at the edges from
//   the per-minute one; the minutes since the shared range began come from memory.
// - `rejected_spike`'s seasonal history: one query for every spike rule's groups that are not in the shared
//   band memory yet (blocked per minute inside the time-of-day band of the next hour's sample windows, grouped
//   by every field any spike rule groups or filters by); the samples are summed in memory.
//
// Rules whose window the shared minutes do not cover (windows over an hour) read their own
// (read-rule-input.ts). Everything here is read from ClickHouse and kept in memory only as a cache, so a
// restart reads the same answers again.
import type { ClickHouseClient } from '@clickhouse/client';
import type { GroupKey, PriorTraffic, RuleEvaluationInput } from './alert-input.js';
import { lookbackTotalsQuery, seasonalBandQuery, storedSpans, type StoredSpan } from './alert-input-sql.js';
import { keyId } from './alert-key.js';
import { GROUP_FIELDS, type AlertRule, type GroupField } from './alert-rule.js';
import {
  groupsNeedingPriors,
  readOwnRuleInput,
  SEASONAL_AHEAD_MS,
  type RuleInputContext,
  type RuleInputMemory,
} from './read-rule-input.js';
import {
  reasonsFromRecent,
  TripleGroups,
  tripleReasons,
  tripleTotals,
  windowFromRecent,
  type MutableGroup,
  type RecentTraffic,
  type RuleTriples,
  type TripleReasons,
  type TripleTotals,
} from './recent-traffic.js';
import { readCompactRows } from './read-rows.js';
import { RESOLVE_HYSTERESIS } from './rule-condition.js';
import { seasonalSampleEnds } from './seasonal-baseline.js';

const MINUTE_MS = 60_000;

/**
 * Blocked per minute inside the seasonal band, shared by every `rejected_spike` rule read together, for the
 * evaluations in `[fromMs, untilMs]`. Series are keyed by `columns` (every field a spike rule groups or
 * filters by); `loaded` names the groups read so far (`fields|keyId`), `loadedAll` that every group was.
 */
export interface SeasonalBandMemory {
  signature: string;
  fromMs: number;
  untilMs: number;
  loadedAll: boolean;
  readonly loaded: Set<string>;
  readonly series: Map<string, { readonly key: GroupKey; readonly minutes: Map<number, number> }>;
}

export function emptySeasonalBand(): SeasonalBandMemory {
  return { signature: '', fromMs: 0, untilMs: -1, loadedAll: false, loaded: new Set(), series: new Map() };
}

export interface CycleContext extends RuleInputContext {
  /** The cycle's shared minutes; rules whose window it does not cover read their own. */
  readonly recent?: RecentTraffic;
  /** Kept by the caller between cycles. */
  readonly seasonalBand?: SeasonalBandMemory;
  /** The groupings of `recent`'s triples, kept by the caller between cycles (TripleGroups.forTriples). */
  readonly tripleGroups?: TripleGroups;
}

export interface CycleRule {
  readonly rule: AlertRule;
  readonly memory?: RuleInputMemory;
}

/** A rule being read together with others: its window's groups, and those that may start or hold. */
interface Plan {
  readonly index: number;
  readonly rule: AlertRule;
  readonly memory: RuleInputMemory;
  readonly groups: MutableGroup[];
  readonly live: MutableGroup[];
  readonly view: RuleTriples;
}

function covers(recent: RecentTraffic | undefined, rule: AlertRule, nowMs: number): recent is RecentTraffic {
  return recent !== undefined && recent.fromMs <= nowMs - rule.windowMs && recent.toMs >= nowMs;
}

/**
 * Fills the evaluation input of each rule at `nowMs` (a minute boundary), in the order given. A rule whose
 * reads failed gets the Error instead; the others are unaffected by its own queries (shared ones fail every
 * rule that needed them).
 */
export async function readCycleInputs(
  client: ClickHouseClient,
  rules: readonly CycleRule[],
  nowMs: number,
  context: CycleContext,
): Promise<(RuleEvaluationInput | Error)[]> {
  const results: (RuleEvaluationInput | Error)[] = [];
  const { historyFromMs, recent } = context;
  if (historyFromMs === undefined) return rules.map(() => ({ nowMs, groups: [] }));
  const plans: Plan[] = [];
  let triples: TripleGroups | undefined;
  const windows = new Map<number, TripleTotals>();
  const reasonWindows = new Map<number, TripleReasons>();
  for (const [index, { rule, memory = {} }] of rules.entries()) {
    // The collector's receivers share this event loop: a cycle of many rules over a busy minute must not
    // hold ingest requests until it ends.
    await new Promise((resolve) => setImmediate(resolve));
    if (!covers(recent, rule, nowMs)) {
      try {
        results[index] = await readOwnRuleInput(client, rule, nowMs, context, memory);
      } catch (error) {
        results[index] = error instanceof Error ? error : new Error(String(error));
      }
      continue;
    }
    triples ??=
      context.tripleGroups?.triples === recent.triples
        ? context.tripleGroups
        : new TripleGroups(recent.triples);
    const view = triples.view(rule);
    let totals = windows.get(rule.windowMs);
    if (totals === undefined) {
      totals = tripleTotals(recent, nowMs, rule.windowMs);
      windows.set(rule.windowMs, totals);
    }
    const groups = windowFromRecent(totals, view, memory.known);
    // Under the lowest bar any condition has (a firing instance's share of minCount) nothing can start or
    // hold, so neither history nor reasons are worth computing for those groups.
    const live = groups.filter((group) => group.blocked >= rule.minCount * RESOLVE_HYSTERESIS);
    if (live.length > 0) {
      let reasons = reasonWindows.get(rule.windowMs);
      if (reasons === undefined) {
        reasons = tripleReasons(recent, nowMs, rule.windowMs);
        reasonWindows.set(rule.windowMs, reasons);
      }
      const byId = new Map(live.map((group) => [keyId(group.key), group]));
      reasonsFromRecent(reasons, view, byId);
    }
    plans.push({ index, rule, memory, groups, live, view });
  }
  const failed = new Map<number, Error>();
  const attempt = async (affected: readonly Plan[], read: () => Promise<void>): Promise<void> => {
    if (affected.length === 0) return;
    try {
      await read();
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const plan of affected) failed.set(plan.index, failure);
    }
  };
  const spikes = plans.filter((plan) => plan.rule.kind === 'rejected_spike');
  await attempt(
    spikes.filter((plan) => plan.live.length > 0),
    () => fillSeasonal(client, spikes, nowMs, historyFromMs, context.seasonalBand ?? emptySeasonalBand()),
  );
  const origins = plans.filter(
    (plan) => plan.rule.kind === 'new_rejected_origin' || plan.rule.kind === 'newly_blocked_origin',
  );
  if (recent !== undefined) {
    await attempt(
      origins.filter((plan) => plan.live.length > 0),
      () => fillPriors(client, origins, nowMs, historyFromMs, recent),
    );
  }
  const needChanges = plans.filter(
    (plan) => plan.rule.kind === 'newly_blocked_origin' && plan.live.length > 0,
  );
  let policyChanges: Awaited<ReturnType<CycleContext['policyChanges']>> = [];
  await attempt(needChanges, async () => {
    policyChanges = await context.policyChanges();
  });
  for (const plan of plans) {
    const failure = failed.get(plan.index);
    if (failure !== undefined) results[plan.index] = failure;
    else if (plan.rule.kind === 'newly_blocked_origin' && plan.live.length > 0) {
      results[plan.index] = { nowMs, groups: plan.groups, policyChanges };
    } else results[plan.index] = { nowMs, groups: plan.groups };
  }
  return results;
}

/** One rule's input, read as a cycle of one rule (the shared minutes when `context.recent` covers its window). */
export async function readRuleInput(
  client: ClickHouseClient,
  rule: AlertRule,
  nowMs: number,
  context: CycleContext,
  memory: RuleInputMemory = {},
): Promise<RuleEvaluationInput> {
  const [result] = await readCycleInputs(client, [{ rule, memory }], nowMs, context);
  if (result instanceof Error) throw result;
  if (result === undefined) throw new Error('readCycleInputs answered nothing for one rule');
  return result;
}

/** The fields a rule's groups are cut by: what it groups and what it filters by. */
function fieldsOf(rule: AlertRule): GroupField[] {
  return GROUP_FIELDS.filter((field) => rule.groupBy.includes(field) || rule.filter[field] !== undefined);
}

const fieldsId = (fields: readonly GroupField[]): string => fields.join(',');

/** `values[from, to)` as numbers, copied in a loop: spreading a typed array goes through its iterator. */
function numbersOf(values: Float64Array, from: number, to: number): number[] {
  const numbers = new Array<number>(to - from);
  for (let index = from; index < to; index += 1) numbers[index - from] = values[index] as number;
  return numbers;
}

async function fillSeasonal(
  client: ClickHouseClient,
  spikes: readonly Plan[],
  nowMs: number,
  historyFromMs: number,
  memo: SeasonalBandMemory,
): Promise<void> {
  const rules = spikes.map((plan) => plan.rule);
  const columns = GROUP_FIELDS.filter((field) => rules.some((rule) => fieldsOf(rule).includes(field)));
  const longestWindow = Math.max(
    ...rules.map((rule) => (rule.kind === 'rejected_spike' ? rule.windowMs : 0)),
  );
  const shapes = [
    ...new Set(
      rules.map((rule) => (rule.kind === 'rejected_spike' ? `${rule.windowMs}/${rule.baselineMs}` : '')),
    ),
  ].sort();
  const signature = JSON.stringify({ columns, shapes });
  if (memo.signature !== signature || nowMs < memo.fromMs || nowMs > memo.untilMs) {
    memo.signature = signature;
    memo.fromMs = nowMs;
    memo.untilMs = nowMs + SEASONAL_AHEAD_MS;
    memo.loadedAll = false;
    memo.loaded.clear();
    memo.series.clear();
  }
  // Groups not read yet, per set of grouping fields.
  const missing = new Map<string, { fields: readonly GroupField[]; keys: Map<string, GroupKey> }>();
  for (const { rule, live } of spikes) {
    const id = fieldsId(rule.groupBy);
    for (const group of live) {
      const groupId = keyId(group.key);
      if (memo.loadedAll || memo.loaded.has(`${id}|${groupId}`)) continue;
      const entry = missing.get(id) ?? { fields: rule.groupBy, keys: new Map<string, GroupKey>() };
      entry.keys.set(groupId, group.key);
      missing.set(id, entry);
    }
  }
  if (missing.size > 0) {
    // Read from the band's first evaluation, so every series in the memo covers the same instants.
    const bandEnds: number[] = [];
    for (const rule of rules) {
      if (rule.kind !== 'rejected_spike') continue;
      const ends = seasonalSampleEnds(memo.fromMs, rule.windowMs, rule.baselineMs);
      bandEnds.push(...ends.daily, ...ends.weekly);
    }
    const candidates = [...missing.values()].map(({ fields, keys }) => ({
      fields,
      keys: [...keys.values()],
    }));
    if (bandEnds.length > 0) {
      const built = seasonalBandQuery(
        columns,
        [...new Set(bandEnds)],
        longestWindow,
        memo.untilMs - memo.fromMs,
        candidates,
      );
      for (const row of await readCompactRows(client, built)) {
        const key: { service?: string; route?: string; origin?: string } = {};
        columns.forEach((field, index) => {
          const value = row[index + 1];
          key[field] = typeof value === 'string' ? value : '';
        });
        const id = keyId(key);
        let series = memo.series.get(id);
        if (series === undefined) {
          series = { key, minutes: new Map() };
          memo.series.set(id, series);
        }
        series.minutes.set(Number(row[0]) * 1000, Number(row[columns.length + 1]));
      }
    }
    for (const { fields, keys } of candidates) {
      if (fields.length === 0) memo.loadedAll = true;
      for (const key of keys) memo.loaded.add(`${fieldsId(fields)}|${keyId(key)}`);
    }
  }
  // Series projected and filtered once per grouping and filter, like the shared minutes.
  const seriesList = [...memo.series.values()];
  const seriesGroups = new TripleGroups(
    seriesList.map(({ key }) => ({
      service: key.service ?? '',
      route: key.route ?? '',
      origin: key.origin ?? '',
    })),
  );
  // Each series' sample windows, summed once per window and baseline (rules of the same shape share them).
  const sampled = new Map<string, (Float64Array | undefined)[]>();
  for (const { rule, live } of spikes) {
    if (rule.kind !== 'rejected_spike' || live.length === 0) continue;
    // Sample windows starting before the first stored minute are left out (see SeasonalSamples).
    const ends = seasonalSampleEnds(nowMs, rule.windowMs, rule.baselineMs);
    const stored = (end: number): boolean => end - rule.windowMs >= historyFromMs;
    const daily = ends.daily.filter(stored);
    const weekly = ends.weekly.filter(stored);
    const all = [...daily, ...weekly];
    const shape = `${String(rule.windowMs)}/${String(rule.baselineMs)}`;
    let cache = sampled.get(shape);
    if (cache === undefined) {
      cache = [];
      sampled.set(shape, cache);
    }
    const samplesOf = (index: number): Float64Array => {
      let samples = cache[index];
      if (samples === undefined) {
        const minutes = seriesList[index]?.minutes;
        const computed = new Float64Array(all.length);
        if (minutes !== undefined && minutes.size > 0) {
          all.forEach((end, sample) => {
            let sum = 0;
            for (let minute = end - rule.windowMs; minute < end; minute += MINUTE_MS) {
              sum += minutes.get(minute) ?? 0;
            }
            computed[sample] = sum;
          });
        }
        samples = computed;
        cache[index] = samples;
      }
      return samples;
    };
    const sums = new Map<string, Float64Array>();
    for (const group of live) sums.set(keyId(group.key), new Float64Array(all.length));
    const view = seriesGroups.view(rule);
    for (let index = 0; index < seriesList.length; index += 1) {
      const id = view.groupOf(index);
      const sum = id === null ? undefined : sums.get(id);
      if (sum === undefined) continue;
      const samples = samplesOf(index);
      for (let sample = 0; sample < all.length; sample += 1) {
        sum[sample] = (sum[sample] as number) + (samples[sample] as number);
      }
    }
    for (const group of live) {
      const sum = sums.get(keyId(group.key)) ?? new Float64Array(all.length);
      group.seasonal = {
        daily: numbersOf(sum, 0, daily.length),
        weekly: numbersOf(sum, daily.length, all.length),
      };
    }
  }
}

interface PriorNeed {
  readonly plan: Plan;
  readonly groups: MutableGroup[];
  readonly fromMs: number;
  /** Which of the query's lookbacks (column pair) holds this rule's. */
  readonly lookback: number;
}

async function fillPriors(
  client: ClickHouseClient,
  plans: readonly Plan[],
  nowMs: number,
  historyFromMs: number,
  recent: RecentTraffic,
): Promise<void> {
  const needs: PriorNeed[] = [];
  const lookbacks: StoredSpan[][] = [];
  const lookbackIds = new Map<number, number>();
  const origins = new Set<string>();
  for (const plan of plans) {
    const { rule, memory, live } = plan;
    if (rule.kind !== 'new_rejected_origin' && rule.kind !== 'newly_blocked_origin') continue;
    const windowStart = nowMs - rule.windowMs;
    // With no stored minute before the window nothing is known about an origin: it starts nothing
    // (otherwise every origin would look new on a fresh install). The past only matters for entry.
    if (windowStart <= historyFromMs) continue;
    const unknown = groupsNeedingPriors(live, rule, memory, nowMs);
    if (unknown.length === 0) continue;
    const fromMs = Math.max(nowMs - rule.lookbackMs, historyFromMs);
    let lookback = lookbackIds.get(fromMs);
    if (lookback === undefined) {
      lookback = lookbacks.length;
      lookbacks.push(storedSpans(fromMs, Math.max(fromMs, recent.fromMs), historyFromMs));
      lookbackIds.set(fromMs, lookback);
    }
    for (const group of unknown) origins.add(group.key.origin ?? '');
    needs.push({ plan, groups: unknown, fromMs, lookback });
  }
  if (needs.length === 0) return;
  const stored = lookbacks.some((spans) => spans.length > 0)
    ? await readCompactRows(client, lookbackTotalsQuery(lookbacks, [...origins].sort()))
    : [];
  const text = (value: unknown): string => (typeof value === 'string' ? value : '');
  // Triples projected and filtered once per grouping and filter, like the shared minutes.
  const storedGroups = new TripleGroups(
    stored.map((row) => ({ service: text(row[0]), route: text(row[1]), origin: text(row[2]) })),
  );
  // Every origin kind groups by origin: a rule visits only the rows and triples of its groups' origins.
  const byOrigin = (origins: readonly string[]): Map<string, number[]> => {
    const indexes = new Map<string, number[]>();
    origins.forEach((origin, index) => {
      const list = indexes.get(origin);
      if (list === undefined) indexes.set(origin, [index]);
      else list.push(index);
    });
    return indexes;
  };
  const storedByOrigin = byOrigin(storedGroups.triples.map((triple) => triple.origin));
  const recentByOrigin = byOrigin(recent.triples.map((triple) => triple.origin));
  // Each triple's minutes between the stored spans and a window, from the shared ones, per range.
  const between = new Map<string, TripleTotals>();
  for (const { plan, groups, fromMs, lookback } of needs) {
    const { rule, memory } = plan;
    const windowStart = nowMs - rule.windowMs;
    const totals = new Map<string, { blocked: number; allowed: number }>();
    for (const group of groups) totals.set(keyId(group.key), { blocked: 0, allowed: 0 });
    const wanted = [...new Set(groups.map((group) => group.key.origin ?? ''))];
    const view = storedGroups.view(rule);
    for (const index of wanted.flatMap((origin) => storedByOrigin.get(origin) ?? [])) {
      const id = view.groupOf(index);
      const total = id === null ? undefined : totals.get(id);
      const row = stored[index];
      if (total === undefined || row === undefined) continue;
      total.blocked += Number(row[3 + 2 * lookback]);
      total.allowed += Number(row[4 + 2 * lookback]);
    }
    const recentFrom = Math.max(fromMs, recent.fromMs);
    const range = `${String(recentFrom)}-${String(windowStart)}`;
    let before = between.get(range);
    if (before === undefined) {
      before = tripleTotals(recent, windowStart, windowStart - recentFrom);
      between.set(range, before);
    }
    for (const triple of wanted.flatMap((origin) => recentByOrigin.get(origin) ?? [])) {
      const id = plan.view.groupOf(triple);
      const total = id === null ? undefined : totals.get(id);
      if (total === undefined) continue;
      total.blocked += before.blocked[triple] as number;
      total.allowed += before.allowed[triple] as number;
    }
    for (const group of groups) {
      const total = totals.get(keyId(group.key)) ?? { blocked: 0, allowed: 0 };
      const prior: PriorTraffic = { ...total, spanMs: windowStart - fromMs };
      group.prior = prior;
      memory.priors?.set(keyId(group.key), { prior, readAtMs: nowMs });
    }
  }
}
