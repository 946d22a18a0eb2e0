// The adapter between ClickHouse and the evaluator for a rule read on its own: fills one rule's
// RuleEvaluationInput at `nowMs` with the statements of alert-input-sql.ts. One grouped query finds the groups
// with blocked traffic in the window; only when some group reaches the rule's floor (most minutes none does) a
// second reads the history the rule's kind needs (seasonal samples, or the lookback before the window) and a
// third the top reasons. The loop reads rules whose window the cycle's shared minutes cover together
// (read-cycle-inputs.ts); this path serves the others (windows over an hour).
import type { ClickHouseClient } from '@clickhouse/client';
import {
  mergePolicyChanges,
  policyHashesQuery,
  policyRunsQuery,
  type PolicyHashRow,
  type PolicyRunRow,
} from '../query/policy-changes.js';
import type { GroupKey, PolicyChange, PriorTraffic, RuleEvaluationInput } from './alert-input.js';
import {
  FIRST_MINUTE_SQL,
  keyOfRow,
  originsFirstSeenSinceQuery,
  priorTrafficQuery,
  reasonsQuery,
  seasonalMinutesQuery,
  windowQuery,
  type PriorRow,
  type ReasonRow,
  type BandMinuteRow,
  type WindowRow,
} from './alert-input-sql.js';
import { keyId } from './alert-key.js';
import type { AlertRule } from './alert-rule.js';
import { RESOLVE_HYSTERESIS, POLICY_CHANGE_LEAD_MS } from './rule-condition.js';
import { readRows } from './read-rows.js';
import { seasonalSampleEnds } from './seasonal-baseline.js';
import type { MutableGroup } from './recent-traffic.js';

const TOP_REASONS = 3;

/** The first stored rollup minute, epoch ms; undefined when nothing is stored yet. */
export async function readFirstStoredMinute(client: ClickHouseClient): Promise<number | undefined> {
  const [row] = await readRows<{ first_s: number; any: number | boolean }>(client, {
    query: FIRST_MINUTE_SQL,
    params: {},
  });
  return row === undefined || !row.any ? undefined : row.first_s * 1000;
}

/** Every service's policy changes in `[fromMs, toMs)`: first sightings and returns (policy-changes.ts). */
export async function readPolicyChanges(
  client: ClickHouseClient,
  fromMs: number,
  toMs: number,
): Promise<PolicyChange[]> {
  const range = { fromMs, toMs };
  const [hashes, runs] = await Promise.all([
    readRows<PolicyHashRow>(client, policyHashesQuery(undefined)),
    readRows<PolicyRunRow>(client, policyRunsQuery(range, undefined)),
  ]);
  return mergePolicyChanges(hashes, runs, range);
}

/** What a rule's reads may reuse from earlier evaluations (the loop keeps one per rule and version). */
export interface RuleInputMemory {
  /**
   * The rule's instances by id: the origin kinds read no lookback for them (it matters on entry only), and
   * their groups are read while they have any traffic (windowQuery).
   */
  readonly known?: ReadonlyMap<string, { readonly key: GroupKey }>;
  /**
   * Lookbacks read in the last PRIOR_REUSE_MS, by group id. A lookback spans days; reusing one a few minutes
   * old changes little, and re-reading it every minute for every blocked origin that is not new was most of
   * a cycle's time (alerts.bench.ts).
   */
  readonly priors?: Map<string, { readonly prior: PriorTraffic; readonly readAtMs: number }>;
  /**
   * `rejected_spike` read on its own: blocked per minute of the seasonal band, per group, read for the next
   * SEASONAL_AHEAD_MS. (Rules read together share one SeasonalBandMemory instead.)
   */
  readonly seasonal?: SeasonalMemory;
}

/** Minutes read for the seasonal samples of evaluations in `[fromMs, untilMs]`. */
export interface SeasonalMemory {
  fromMs: number;
  untilMs: number;
  readonly groups: Map<string, Map<number, number>>;
}

/** How far ahead the seasonal band is read: a group's history is read about once per this. */
export const SEASONAL_AHEAD_MS = 60 * 60_000;

/** How long a group's lookback read is reused. */
export const PRIOR_REUSE_MS = 10 * 60_000;

/**
 * The live groups an origin rule judges on entry (blocked at least `minCount` and no instance yet) whose
 * lookback is still to be read: priors read in the last PRIOR_REUSE_MS are filled in from `memory`, older
 * ones forgotten. Empty when nothing enters.
 */
export function groupsNeedingPriors(
  live: readonly MutableGroup[],
  rule: AlertRule,
  memory: RuleInputMemory,
  nowMs: number,
): MutableGroup[] {
  const known = memory.known;
  const entering = live.filter(
    (group) => group.blocked >= rule.minCount && known?.has(keyId(group.key)) !== true,
  );
  if (entering.length === 0) return entering;
  const priors = memory.priors;
  if (priors !== undefined) {
    for (const [id, entry] of priors) if (nowMs - entry.readAtMs >= PRIOR_REUSE_MS) priors.delete(id);
    for (const group of entering) {
      const reused = priors.get(keyId(group.key));
      if (reused !== undefined) group.prior = reused.prior;
    }
  }
  return entering.filter((group) => group.prior === undefined);
}

export interface RuleInputContext {
  /** First stored minute (readFirstStoredMinute), read once per evaluation cycle. */
  readonly historyFromMs: number | undefined;
  /** Policy changes of the last hours, read at most once per cycle and only when a rule needs them. */
  readonly policyChanges: () => Promise<readonly PolicyChange[]>;
}

/** Fills the evaluation input of `rule` at `nowMs` (a minute boundary) with the rule's own queries. */
export async function readOwnRuleInput(
  client: ClickHouseClient,
  rule: AlertRule,
  nowMs: number,
  context: RuleInputContext,
  memory: RuleInputMemory = {},
): Promise<RuleEvaluationInput> {
  const { historyFromMs } = context;
  if (historyFromMs === undefined) return { nowMs, groups: [] };
  const instances = [...(memory.known?.values() ?? [])].map((instance) => instance.key);
  const rows = await readRows<WindowRow>(client, windowQuery(rule, nowMs, instances));
  const groups: MutableGroup[] = rows.map((row) => {
    const group: MutableGroup = {
      key: keyOfRow(row as unknown as Record<string, unknown>, rule.groupBy),
      blocked: row.blocked,
      allowed: row.allowed,
    };
    if (row.first_blocked_s > 0) group.firstBlockedMs = row.first_blocked_s * 1000;
    return group;
  });
  // Under the lowest bar any condition has (a firing instance's share of minCount) nothing can start or
  // hold, so neither history nor reasons are worth reading for those groups.
  const live = groups.filter((group) => group.blocked >= rule.minCount * RESOLVE_HYSTERESIS);
  if (live.length === 0) return { nowMs, groups };
  const byId = new Map(live.map((group) => [keyId(group.key), group]));
  const find = (row: object): MutableGroup | undefined =>
    byId.get(keyId(keyOfRow(row as Record<string, unknown>, rule.groupBy)));

  const reasonRows = await readRows<ReasonRow>(
    client,
    reasonsQuery(
      rule,
      nowMs,
      live.map((group) => group.key),
      TOP_REASONS,
    ),
  );
  await readHistory(client, rule, nowMs, historyFromMs, live, find, memory);
  for (const row of reasonRows) {
    const group = find(row);
    if (group === undefined) continue;
    group.topReasons = [...(group.topReasons ?? []), { code: row.code, requests: row.requests }];
  }
  if (rule.kind !== 'newly_blocked_origin') return { nowMs, groups };
  const policyChanges = await context.policyChanges();
  return { nowMs, groups, policyChanges };
}

async function readHistory(
  client: ClickHouseClient,
  rule: AlertRule,
  nowMs: number,
  historyFromMs: number,
  live: readonly MutableGroup[],
  find: (row: object) => MutableGroup | undefined,
  memory: RuleInputMemory,
): Promise<void> {
  const windowStart = nowMs - rule.windowMs;
  switch (rule.kind) {
    case 'rejected_spike': {
      // Sample windows starting before the first stored minute are left out (see SeasonalSamples).
      const ends = seasonalSampleEnds(nowMs, rule.windowMs, rule.baselineMs);
      const stored = (end: number): boolean => end - rule.windowMs >= historyFromMs;
      const daily = ends.daily.filter(stored);
      const weekly = ends.weekly.filter(stored);
      const samples = [...new Set([...daily, ...weekly])];
      const memo: SeasonalMemory = memory.seasonal ?? { fromMs: nowMs, untilMs: nowMs, groups: new Map() };
      if (nowMs < memo.fromMs || nowMs > memo.untilMs) {
        memo.groups.clear();
        memo.fromMs = nowMs;
        memo.untilMs = nowMs + SEASONAL_AHEAD_MS;
      }
      const missing = live.filter((group) => !memo.groups.has(keyId(group.key)));
      if (samples.length > 0 && missing.length > 0) {
        // Read from the band's first evaluation, so every group in the memo covers the same instants.
        const bandEnds = seasonalSampleEnds(memo.fromMs, rule.windowMs, rule.baselineMs);
        const rows = await readRows<BandMinuteRow>(
          client,
          seasonalMinutesQuery(
            rule,
            [...bandEnds.daily, ...bandEnds.weekly],
            memo.untilMs - memo.fromMs,
            missing.map((group) => group.key),
          ),
        );
        for (const group of missing) memo.groups.set(keyId(group.key), new Map());
        for (const row of rows) {
          const minutes = memo.groups.get(
            keyId(keyOfRow(row as unknown as Record<string, unknown>, rule.groupBy)),
          );
          minutes?.set(row.minute_s * 1000, row.blocked);
        }
      }
      const windowSum = (minutes: ReadonlyMap<number, number> | undefined, end: number): number => {
        let sum = 0;
        if (minutes === undefined || minutes.size === 0) return 0;
        for (let minute = end - rule.windowMs; minute < end; minute += 60_000)
          sum += minutes.get(minute) ?? 0;
        return sum;
      };
      for (const group of live) {
        const minutes = memo.groups.get(keyId(group.key));
        group.seasonal = {
          daily: daily.map((end) => windowSum(minutes, end)),
          weekly: weekly.map((end) => windowSum(minutes, end)),
        };
      }
      return;
    }
    case 'new_rejected_origin':
    case 'newly_blocked_origin': {
      // With no stored minute before the window nothing is known about an origin: it starts nothing
      // (otherwise every origin would look new on a fresh install). The past only matters for entry.
      if (windowStart <= historyFromMs) return;
      let unknown: readonly MutableGroup[] = groupsNeedingPriors(live, rule, memory, nowMs);
      if (unknown.length === 0) return;
      const priorFrom = Math.max(nowMs - rule.lookbackMs, historyFromMs);
      const spanMs = windowStart - priorFrom;
      const priors = memory.priors;
      if (rule.kind === 'new_rejected_origin' && canUseOriginSightings(rule)) {
        // An origin first seen inside the window was never seen before it: no lookback read for it.
        const fresh = await readRows<Record<string, unknown>>(
          client,
          originsFirstSeenSinceQuery(
            rule,
            windowStart,
            unknown.map((group) => group.key),
          ),
        );
        const freshIds = new Set(fresh.map((row) => keyId(keyOfRow(row, rule.groupBy))));
        for (const group of unknown) {
          if (freshIds.has(keyId(group.key))) group.prior = { allowed: 0, blocked: 0, spanMs };
        }
        unknown = unknown.filter((group) => group.prior === undefined);
        if (unknown.length === 0) return;
      }
      const rows = await readRows<PriorRow>(
        client,
        priorTrafficQuery(
          rule,
          priorFrom,
          windowStart,
          unknown.map((group) => group.key),
        ),
      );
      for (const group of unknown) group.prior = { allowed: 0, blocked: 0, spanMs };
      for (const row of rows) {
        const group = find(row);
        if (group !== undefined) group.prior = { allowed: row.allowed, blocked: row.blocked, spanMs };
      }
      for (const group of unknown) {
        if (group.prior !== undefined) priors?.set(keyId(group.key), { prior: group.prior, readAtMs: nowMs });
      }
      return;
    }
    case 'blocked_ratio':
      return;
    default: {
      const unexpected: never = rule;
      throw new Error(`unhandled rule kind ${JSON.stringify(unexpected)}`);
    }
  }
}

/** Origin sightings are kept per service and origin: usable when the rule involves no route. */
function canUseOriginSightings(rule: AlertRule): boolean {
  return !rule.groupBy.includes('route') && rule.filter.route === undefined;
}

/** How far back a cycle reads policy changes: the longest window of any rule plus the lead time. */
export function policyChangesFrom(nowMs: number, rules: readonly AlertRule[]): number {
  const longest = Math.max(0, ...rules.map((rule) => rule.windowMs));
  return nowMs - longest - POLICY_CHANGE_LEAD_MS;
}
