// The adapter between ClickHouse and the evaluator: fills one rule's RuleEvaluationInput at `nowMs` with the
// statements of alert-input-sql.ts. One grouped query finds the groups with blocked traffic in the window;
// only when some group reaches the rule's floor (most minutes none does) a second reads the history the
// rule's kind needs (seasonal samples, or the lookback before the window) and a third the top reasons.
import type { ClickHouseClient } from '@clickhouse/client';
import { policyChangesIn, policyHashesQuery, type PolicyHashRow } from '../query/policy-changes.js';
import type { GroupWindow, PolicyChange, RuleEvaluationInput } from './alert-input.js';
import {
  FIRST_MINUTE_SQL,
  keyOfRow,
  originsFirstSeenSinceQuery,
  priorTrafficQuery,
  reasonsQuery,
  seasonalSamplesQuery,
  windowQuery,
  type AlertQuery,
  type PriorRow,
  type ReasonRow,
  type SampleRow,
  type WindowRow,
} from './alert-input-sql.js';
import { keyId } from './alert-key.js';
import type { AlertRule } from './alert-rule.js';
import { RESOLVE_HYSTERESIS, POLICY_CHANGE_LEAD_MS } from './rule-condition.js';
import { seasonalSampleEnds } from './seasonal-baseline.js';

const TOP_REASONS = 3;

export async function readRows<T>(client: ClickHouseClient, built: AlertQuery): Promise<T[]> {
  const result = await client.query({
    query: built.query,
    query_params: built.params,
    format: 'JSONEachRow',
  });
  return result.json<T>();
}

/** The first stored rollup minute, epoch ms; undefined when nothing is stored yet. */
export async function readFirstStoredMinute(client: ClickHouseClient): Promise<number | undefined> {
  const [row] = await readRows<{ first_s: number; any: number | boolean }>(client, {
    query: FIRST_MINUTE_SQL,
    params: {},
  });
  return row === undefined || !row.any ? undefined : row.first_s * 1000;
}

/** Every service's policy changes in `[fromMs, toMs)` (policy_changes is small: one row per hash). */
export async function readPolicyChanges(
  client: ClickHouseClient,
  fromMs: number,
  toMs: number,
): Promise<PolicyChange[]> {
  const built = policyHashesQuery(undefined);
  const rows = await readRows<PolicyHashRow>(client, built);
  return policyChangesIn(rows, { fromMs, toMs });
}

export interface RuleInputContext {
  /** First stored minute (readFirstStoredMinute), read once per evaluation cycle. */
  readonly historyFromMs: number | undefined;
  /** Policy changes of the last hours, read at most once per cycle and only when a rule needs them. */
  readonly policyChanges: () => Promise<readonly PolicyChange[]>;
}

type MutableGroup = { -readonly [K in keyof GroupWindow]: GroupWindow[K] };

/** Fills the evaluation input of `rule` at `nowMs` (a minute boundary). */
export async function readRuleInput(
  client: ClickHouseClient,
  rule: AlertRule,
  nowMs: number,
  context: RuleInputContext,
): Promise<RuleEvaluationInput> {
  const { historyFromMs } = context;
  if (historyFromMs === undefined) return { nowMs, groups: [] };
  const rows = await readRows<WindowRow>(client, windowQuery(rule, nowMs));
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

  const reasons = readRows<ReasonRow>(
    client,
    reasonsQuery(
      rule,
      nowMs,
      live.map((group) => group.key),
      TOP_REASONS,
    ),
  );
  const history = readHistory(client, rule, nowMs, historyFromMs, live, find);
  const [reasonRows] = await Promise.all([reasons, history]);
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
): Promise<void> {
  const windowStart = nowMs - rule.windowMs;
  switch (rule.kind) {
    case 'rejected_spike': {
      // Sample windows starting before the first stored minute are left out (see SeasonalSamples).
      const ends = seasonalSampleEnds(nowMs, rule.windowMs, rule.baselineMs);
      const stored = (end: number): boolean => end - rule.windowMs >= historyFromMs;
      const daily = ends.daily.filter(stored);
      const weekly = ends.weekly.filter(stored);
      const counts = new Map<MutableGroup, Map<number, number>>();
      if (daily.length + weekly.length > 0) {
        const rows = await readRows<SampleRow>(
          client,
          seasonalSamplesQuery(
            rule,
            [...new Set([...daily, ...weekly])],
            live.map((group) => group.key),
          ),
        );
        for (const row of rows) {
          const group = find(row);
          if (group === undefined) continue;
          const byEnd = counts.get(group) ?? new Map<number, number>();
          byEnd.set(row.sample_end * 1000, row.blocked);
          counts.set(group, byEnd);
        }
      }
      for (const group of live) {
        const byEnd = counts.get(group);
        group.seasonal = {
          daily: daily.map((end) => byEnd?.get(end) ?? 0),
          weekly: weekly.map((end) => byEnd?.get(end) ?? 0),
        };
      }
      return;
    }
    case 'new_rejected_origin':
    case 'newly_blocked_origin': {
      // With no stored minute before the window nothing is known about an origin: it starts nothing
      // (otherwise every origin would look new on a fresh install). The past only matters for entry.
      const entering = live.filter((group) => group.blocked >= rule.minCount);
      if (windowStart <= historyFromMs || entering.length === 0) return;
      const priorFrom = Math.max(nowMs - rule.lookbackMs, historyFromMs);
      const spanMs = windowStart - priorFrom;
      let unknown: readonly MutableGroup[] = entering;
      if (rule.kind === 'new_rejected_origin' && canUseOriginSightings(rule)) {
        // An origin first seen inside the window was never seen before it: no lookback read for it.
        const fresh = await readRows<Record<string, unknown>>(
          client,
          originsFirstSeenSinceQuery(
            rule,
            windowStart,
            entering.map((group) => group.key),
          ),
        );
        const freshIds = new Set(fresh.map((row) => keyId(keyOfRow(row, rule.groupBy))));
        for (const group of entering) {
          if (freshIds.has(keyId(group.key))) group.prior = { allowed: 0, blocked: 0, spanMs };
        }
        unknown = entering.filter((group) => group.prior === undefined);
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
