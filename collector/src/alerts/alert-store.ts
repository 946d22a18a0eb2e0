// The alerting tables as the loop and the API use them: rules saved through the API (versioned rows in
// alert_rules), silences (alert_silences, newest version wins), and alert_events (appended rows, state
// rebuilt from the newest row per instance, interrupted deliveries found among the recent rows). Thin:
// parameterised SQL in, typed rows out.
import type { ClickHouseClient } from '@clickhouse/client';
import type { RuleState } from './alert-evaluator.js';
import {
  clickhouseTime,
  LATEST_INSTANCE_ROWS_SQL,
  rebuildRuleState,
  type AlertEventRow,
  type LatestInstanceRow,
} from './alert-event-rows.js';
import type { AlertSilence } from './alert-input.js';
import { AlertRuleError, parseAlertRule, type AlertRule } from './alert-rule.js';
import { ALERT_TABLES } from './alert-schema.js';
import {
  DELIVERED_ROWS_SQL,
  interruptedDeliveries,
  NOTIFIED_ROWS_SQL,
  type DeliveredRow,
  type InterruptedDeliveries,
  type NotifiedRow,
} from './interrupted-deliveries.js';
import { readRows } from './read-rows.js';

const rows = <T>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown> = {},
): Promise<T[]> => readRows<T>(client, { query, params });

export interface StoredRule {
  readonly rule: AlertRule;
  readonly version: number;
  /** The rule as it was sent (durations as text), for the API to hand back and for editing. */
  readonly spec: unknown;
  readonly updatedAtMs: number;
  readonly updatedBy: string;
}

export interface StoredRules {
  readonly rules: readonly StoredRule[];
  /** Newest version per rule id, deleted ones included (the next save takes version + 1). */
  readonly versions: ReadonlyMap<string, number>;
  /** Rules whose stored spec no longer validates (a newer collector wrote them): skipped, reported. */
  readonly invalid: readonly { readonly id: string; readonly problems: readonly string[] }[];
}

interface RuleRow {
  readonly rule_id: string;
  readonly latest: number;
  readonly spec: string;
  readonly removed: boolean;
  readonly updated_ms: number;
  readonly updated_by: string;
}

/** The current version of every rule saved through the API. */
export async function readStoredRules(client: ClickHouseClient): Promise<StoredRules> {
  const found = await rows<RuleRow>(
    client,
    `SELECT rule_id, max(version) AS latest, argMax(spec, version) AS spec, argMax(deleted, version) AS removed,
  toFloat64(toUnixTimestamp64Milli(argMax(updated_at, version))) AS updated_ms,
  argMax(updated_by, version) AS updated_by
FROM ${ALERT_TABLES.rules}
GROUP BY rule_id
ORDER BY rule_id`,
  );
  const versions = new Map<string, number>();
  const stored: StoredRule[] = [];
  const invalid: { id: string; problems: readonly string[] }[] = [];
  for (const row of found) {
    versions.set(row.rule_id, row.latest);
    if (row.removed) continue;
    try {
      const spec: unknown = JSON.parse(row.spec);
      stored.push({
        rule: parseAlertRule(spec),
        version: row.latest,
        spec,
        updatedAtMs: row.updated_ms,
        updatedBy: row.updated_by,
      });
    } catch (error) {
      invalid.push({
        id: row.rule_id,
        problems: error instanceof AlertRuleError ? error.problems : [(error as Error).message],
      });
    }
  }
  return { rules: stored, versions, invalid };
}

/** Appends a version of a rule (or its deletion). */
export async function writeStoredRule(
  client: ClickHouseClient,
  row: {
    readonly id: string;
    readonly version: number;
    readonly spec: unknown;
    readonly deleted: boolean;
    readonly by: string;
  },
): Promise<void> {
  await client.insert({
    table: ALERT_TABLES.rules,
    format: 'JSONEachRow',
    values: [
      {
        rule_id: row.id,
        version: row.version,
        source: 'api',
        spec: JSON.stringify(row.spec),
        deleted: row.deleted,
        updated_by: row.by,
      },
    ],
  });
}

export interface StoredSilence extends AlertSilence {
  readonly comment: string;
  readonly createdBy: string;
}

interface SilenceRow {
  readonly silence_id: string;
  readonly rule_id: string;
  readonly origin: string;
  readonly starts_ms: number;
  readonly ends_ms: number;
  readonly comment: string;
  readonly created_by: string;
}

/** Silences not deleted that end after `afterMs` (all current and future ones for the evaluator). */
export async function readSilences(client: ClickHouseClient, afterMs: number): Promise<StoredSilence[]> {
  const found = await rows<SilenceRow>(
    client,
    `SELECT silence_id, s.1 AS rule_id, s.2 AS origin,
  toFloat64(toUnixTimestamp64Milli(s.3)) AS starts_ms, toFloat64(toUnixTimestamp64Milli(s.4)) AS ends_ms,
  s.5 AS comment, s.6 AS created_by
FROM (
  SELECT silence_id,
    argMax((rule_id, origin, starts_at, ends_at, comment, created_by, deleted), version) AS s
  FROM ${ALERT_TABLES.silences}
  GROUP BY silence_id
)
WHERE NOT s.7 AND s.4 > fromUnixTimestamp64Milli({after:Int64}, 'UTC')
ORDER BY starts_ms, silence_id`,
    { after: afterMs },
  );
  return found.map((row) => ({
    id: row.silence_id,
    ruleId: row.rule_id,
    ...(row.origin === '' ? {} : { origin: row.origin }),
    startsAtMs: row.starts_ms,
    endsAtMs: row.ends_ms,
    comment: row.comment,
    createdBy: row.created_by,
  }));
}

export async function writeSilence(
  client: ClickHouseClient,
  silence: StoredSilence,
  options: { readonly deleted: boolean; readonly version: number },
): Promise<void> {
  await client.insert({
    table: ALERT_TABLES.silences,
    format: 'JSONEachRow',
    values: [
      {
        silence_id: silence.id,
        version: options.version,
        rule_id: silence.ruleId,
        origin: silence.origin ?? '',
        starts_at: clickhouseTime(silence.startsAtMs),
        ends_at: clickhouseTime(silence.endsAtMs),
        comment: silence.comment,
        created_by: silence.createdBy,
        deleted: options.deleted,
      },
    ],
  });
}

export async function insertEventRows(
  client: ClickHouseClient,
  events: readonly AlertEventRow[],
): Promise<void> {
  if (events.length === 0) return;
  await client.insert({ table: ALERT_TABLES.events, format: 'JSONEachRow', values: events });
}

/**
 * The state of each of `ruleIds` as its newest alert_events rows left it (see alert-event-rows.ts; rules
 * without rows are inactive), read in one query.
 */
export async function readRuleStates(
  client: ClickHouseClient,
  ruleIds: readonly string[],
): Promise<Map<string, { state: RuleState; skipped: string[] }>> {
  const byRule = new Map<string, LatestInstanceRow[]>(ruleIds.map((id) => [id, []]));
  if (ruleIds.length > 0) {
    const latest = await rows<LatestInstanceRow>(client, LATEST_INSTANCE_ROWS_SQL, { rule_ids: ruleIds });
    for (const row of latest) byRule.get(row.rule_id)?.push(row);
  }
  return new Map([...byRule].map(([id, latest]) => [id, rebuildRuleState(latest)]));
}

/**
 * The notifications of `[fromMs, toMs]` whose delivery a restart interrupted and that are still true, checked
 * against each rule's state as alert_events has it (interrupted-deliveries.ts).
 */
export async function readInterruptedDeliveries(
  client: ClickHouseClient,
  fromMs: number,
  toMs: number,
): Promise<InterruptedDeliveries> {
  const [notified, delivered] = await Promise.all([
    rows<NotifiedRow>(client, NOTIFIED_ROWS_SQL, { from: fromMs, to: toMs }),
    rows<DeliveredRow>(client, DELIVERED_ROWS_SQL, { from: fromMs }),
  ]);
  const ruleIds = [...new Set(notified.map((row) => row.rule_id))];
  const states = new Map(
    [...(await readRuleStates(client, ruleIds))].map(([id, rebuilt]) => [id, rebuilt.state]),
  );
  return interruptedDeliveries(notified, delivered, states);
}

export interface AlertEventView {
  readonly at: number;
  readonly ruleId: string;
  readonly ruleVersion: number;
  readonly instanceId: string;
  readonly key: { readonly service?: string; readonly route?: string; readonly origin?: string };
  readonly event: string;
  readonly transition: string;
  readonly blocked: number;
  readonly allowed: number;
  readonly value: number;
  readonly threshold: number;
  readonly baseline: number | null;
  readonly channelId: string | null;
  readonly deliveryOk: boolean | null;
  readonly attempts: number;
  readonly evaluator: string;
  readonly detail: unknown;
}

/** An `alert_events` row as read back: the time as epoch milliseconds, the event type as ClickHouse prints it. */
type EventRow = Omit<AlertEventRow, 'at' | 'event'> & { readonly at_ms: number; readonly event: string };

/** History in `[fromMs, toMs)`, newest first, at most `limit` rows; optionally one rule's. */
export async function readEvents(
  client: ClickHouseClient,
  range: { readonly fromMs: number; readonly toMs: number },
  limit: number,
  ruleId?: string,
): Promise<AlertEventView[]> {
  const found = await rows<EventRow>(
    client,
    `SELECT toFloat64(toUnixTimestamp64Milli(at)) AS at_ms, rule_id, rule_version, instance_id, service, route,
  origin, event, transition, blocked, allowed, value, threshold, baseline, channel_id, delivery_ok, attempts,
  evaluator, detail
FROM ${ALERT_TABLES.events}
WHERE at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND at < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
  ${ruleId === undefined ? '' : 'AND rule_id = {rule_id:String}'}
ORDER BY at DESC, event DESC
LIMIT {limit:UInt32}`,
    { from: range.fromMs, to: range.toMs, limit, ...(ruleId === undefined ? {} : { rule_id: ruleId }) },
  );
  return found.map((row) => {
    let detail: unknown;
    try {
      detail = JSON.parse(row.detail);
    } catch {
      detail = null;
    }
    const key: { service?: string; route?: string; origin?: string } = {};
    if (row.service !== '') key.service = row.service;
    if (row.route !== '') key.route = row.route;
    if (row.origin !== '') key.origin = row.origin;
    return {
      at: row.at_ms,
      ruleId: row.rule_id,
      ruleVersion: row.rule_version,
      instanceId: row.instance_id,
      key,
      event: row.event,
      transition: row.transition,
      blocked: row.blocked,
      allowed: row.allowed,
      value: row.value,
      threshold: row.threshold,
      baseline: row.baseline,
      channelId: row.channel_id === '' ? null : row.channel_id,
      deliveryOk: row.delivery_ok,
      attempts: row.attempts,
      evaluator: row.evaluator,
      detail,
    };
  });
}
