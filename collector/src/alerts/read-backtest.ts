// The backtest's adapter: one grouped query returns the rule's minutes (already grouped by its `groupBy`
// and filtered by its globs in SQL, one row per group with its minutes as arrays), then backtest.ts runs the
// evaluator over them.
import type { ClickHouseClient } from '@clickhouse/client';
import type { PolicyChange } from './alert-input.js';
import { backtestMinutesQuery } from './alert-input-sql.js';
import type { AlertRule, GroupField } from './alert-rule.js';
import { backtestRule, type BacktestResult, type MinuteSeries } from './backtest.js';
import { POLICY_CHANGE_LEAD_MS } from './rule-condition.js';
import { readFirstStoredMinute, readPolicyChanges } from './read-rule-input.js';

/** How much history before the first evaluated minute the rule reads. */
export function historyNeededMs(rule: AlertRule): number {
  switch (rule.kind) {
    case 'rejected_spike':
      return rule.baselineMs + rule.windowMs;
    case 'new_rejected_origin':
    case 'newly_blocked_origin':
      return rule.lookbackMs;
    case 'blocked_ratio':
      return rule.windowMs;
    default: {
      const unexpected: never = rule;
      throw new Error(`unhandled rule kind ${JSON.stringify(unexpected)}`);
    }
  }
}

export interface BacktestTiming {
  readonly rows: number;
  readonly queryMs: number;
  readonly evaluateMs: number;
}

/** Runs `rule` as if evaluated every minute in `[fromMs, toMs]` over the stored rollups. */
export async function readBacktest(
  client: ClickHouseClient,
  rule: AlertRule,
  fromMs: number,
  toMs: number,
): Promise<BacktestResult & { readonly timing: BacktestTiming }> {
  const started = performance.now();
  const first = await readFirstStoredMinute(client);
  if (first === undefined) {
    return { firings: [], notifications: 0, evaluations: 0, timing: { rows: 0, queryMs: 0, evaluateMs: 0 } };
  }
  const historyFromMs = Math.max(first, fromMs - historyNeededMs(rule));
  const built = backtestMinutesQuery(rule, historyFromMs, toMs);
  const result = await client.query({
    query: built.query,
    query_params: built.params,
    format: 'JSONCompactEachRow',
  });
  const rows = await result.json<unknown[]>();
  const fields = rule.groupBy;
  const text = (row: readonly unknown[], field: GroupField): string => {
    const index = fields.indexOf(field);
    const cell = index === -1 ? '' : row[index];
    return typeof cell === 'string' ? cell : '';
  };
  const numbers = (cell: unknown, scale = 1): number[] =>
    Array.isArray(cell) ? cell.map((value) => Number(value) * scale) : [];
  let minuteCount = 0;
  const series: MinuteSeries[] = rows.map((row) => {
    const minutesMs = numbers(row[fields.length], 1000);
    minuteCount += minutesMs.length;
    return {
      service: text(row, 'service'),
      route: text(row, 'route'),
      origin: text(row, 'origin'),
      minutesMs,
      blocked: numbers(row[fields.length + 1]),
      allowed: numbers(row[fields.length + 2]),
    };
  });
  let policyChanges: PolicyChange[] = [];
  if (rule.kind === 'newly_blocked_origin') {
    policyChanges = await readPolicyChanges(client, historyFromMs - POLICY_CHANGE_LEAD_MS, toMs + 1);
  }
  const queried = performance.now();
  // The SQL applied the filter already; fields outside `groupBy` come back empty and would not match it.
  const outcome = backtestRule({
    rule: { ...rule, filter: {} },
    fromMs,
    toMs,
    historyFromMs,
    minutes: [],
    series,
    policyChanges,
  });
  return {
    ...outcome,
    timing: {
      rows: minuteCount,
      queryMs: Math.round(queried - started),
      evaluateMs: Math.round(performance.now() - queried),
    },
  };
}
