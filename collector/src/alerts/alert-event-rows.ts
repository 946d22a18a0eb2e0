// From an evaluation to `alert_events` rows and back: every transition, notification (sent or suppressed)
// and delivery becomes a row, and each row of an instance carries the instance as the evaluation left it
// (JSON in `detail.instance`, null once it resolved or was cancelled). At start-up the evaluator takes the
// newest row per instance and restores it, so a restart neither loses a firing alert nor announces it again:
// the rebuilt instance remembers when it was last notified. Pure; the loop inserts and selects.
//
// Not every state change writes a row (a firing instance's peak or the start of a clear stretch change
// silently every minute). After a restart those resume from the last row: a peak may be under-reported and a
// resolve may come up to `keepFiringFor` later, never a duplicate or lost notification.
//
// A 'notified' row also carries its notification as sent (rule, channels, the instance's figures), so that a
// delivery a restart interrupted can be sent again as it was (interrupted-deliveries.ts).
import { z } from 'zod';
import type {
  AlertInstance,
  AlertNotification,
  EvaluationResult,
  NotifiedInstance,
  RuleState,
} from './alert-evaluator.js';
import type { GroupKey } from './alert-input.js';
import { ALERT_KINDS } from './alert-rule.js';
import type { AlertEventType } from './alert-schema.js';
import { ALERT_TABLES } from './alert-schema.js';
import type { DeliveryRecord } from './deliver-notification.js';
import { capText } from './notification-text.js';

/** One `alert_events` row, as JSONEachRow takes it. */
export interface AlertEventRow {
  readonly at: string;
  readonly rule_id: string;
  readonly rule_version: number;
  readonly instance_id: string;
  readonly service: string;
  readonly route: string;
  readonly origin: string;
  readonly event: AlertEventType;
  readonly transition: string;
  readonly blocked: number;
  readonly allowed: number;
  readonly value: number;
  readonly threshold: number;
  readonly baseline: number | null;
  readonly channel_id: string;
  readonly delivery_ok: boolean | null;
  readonly attempts: number;
  readonly evaluator: string;
  readonly detail: string;
}

export interface RowContext {
  readonly ruleVersion: number;
  /** Which collector wrote the row (with several collectors on one cluster, only one evaluates). */
  readonly evaluator: string;
}

/** ClickHouse DateTime64(3) text, UTC. */
export function clickhouseTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

function keyColumns(key: GroupKey) {
  return {
    service: capText(key.service ?? ''),
    route: capText(key.route ?? ''),
    origin: capText(key.origin ?? ''),
  };
}

const policyChangeSchema = z.object({
  service: z.string(),
  atMs: z.number(),
  before: z.string(),
  after: z.string(),
});

const conditionSchema = z.object({
  holds: z.boolean(),
  blocked: z.number(),
  allowed: z.number(),
  value: z.number(),
  threshold: z.number(),
  baseline: z.number().optional(),
});

const optionalMs = z
  .number()
  .nullable()
  .transform((value) => value ?? undefined);

const keySchema = z.object({
  service: z.string().optional(),
  route: z.string().optional(),
  origin: z.string().optional(),
});

const reasonsSchema = z.array(z.object({ code: z.string(), requests: z.number() }));

const snapshotSchema = z.object({
  id: z.string(),
  key: keySchema,
  state: z.enum(['pending', 'firing']),
  activeSinceMs: z.number(),
  firingSinceMs: optionalMs,
  lastNotifiedMs: optionalMs,
  lastAnnouncedMs: optionalMs,
  clearSinceMs: optionalMs,
  peak: z.number(),
  last: conditionSchema,
  topReasons: reasonsSchema,
  policyChange: policyChangeSchema.nullable().transform((value) => value ?? undefined),
});

// JSON leaves out a NotifiedInstance's undefined fields (endsAtMs while firing, baseline, policyChange).
const notifiedDetailSchema = z.object({
  grouped: z.boolean(),
  totalInstances: z.number(),
  rule: z.object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(ALERT_KINDS),
    windowMs: z.number(),
    repeatMs: z.number(),
  }),
  channels: z.array(z.string()),
  notified: z.object({
    id: z.string(),
    key: keySchema,
    startsAtMs: z.number(),
    endsAtMs: z.number().optional(),
    blocked: z.number(),
    allowed: z.number(),
    value: z.number(),
    threshold: z.number(),
    baseline: z.number().optional(),
    peak: z.number(),
    topReasons: reasonsSchema,
    policyChange: policyChangeSchema.optional(),
  }),
});

/** What a 'notified' row says of its notification. */
export interface NotifiedDetail {
  readonly grouped: boolean;
  readonly totalInstances: number;
  readonly rule: AlertNotification['rule'];
  readonly channels: readonly string[];
  /** The row's instance, as the notification showed it. */
  readonly notified: NotifiedInstance;
}

/**
 * A 'notified' row's notification; undefined for a row that does not parse (written before rows carried
 * it, by a future version, or damaged).
 */
export function readNotifiedDetail(detail: string): NotifiedDetail | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(detail);
  } catch {
    return undefined;
  }
  const result = notifiedDetailSchema.safeParse(parsed);
  if (!result.success) return undefined;
  const { notified } = result.data;
  return {
    ...result.data,
    // The same fields as NotifiedInstance, the optional ones present as undefined.
    notified: {
      ...notified,
      key: notified.key as GroupKey,
      endsAtMs: notified.endsAtMs,
      baseline: notified.baseline,
      policyChange: notified.policyChange,
    },
  };
}

function snapshotOf(instance: AlertInstance): unknown {
  return {
    ...instance,
    firingSinceMs: instance.firingSinceMs ?? null,
    lastNotifiedMs: instance.lastNotifiedMs ?? null,
    lastAnnouncedMs: instance.lastAnnouncedMs ?? null,
    clearSinceMs: instance.clearSinceMs ?? null,
    policyChange: instance.policyChange ?? null,
  };
}

/** Rows for one evaluation's transitions, notifications and suppressed notifications. */
export function evaluationRows(
  ruleId: string,
  result: EvaluationResult,
  atMs: number,
  context: RowContext,
): AlertEventRow[] {
  const rows: AlertEventRow[] = [];
  const row = (
    instanceId: string,
    key: GroupKey,
    event: AlertEventType,
    transition: string,
    measure: {
      blocked: number;
      allowed: number;
      value: number;
      threshold: number;
      baseline?: number | undefined;
    },
    extra: Record<string, unknown> = {},
  ): void => {
    const instance = result.state.instances.get(instanceId);
    rows.push({
      at: clickhouseTime(atMs),
      rule_id: ruleId,
      rule_version: context.ruleVersion,
      instance_id: instanceId,
      ...keyColumns(key),
      event,
      transition,
      blocked: measure.blocked,
      allowed: measure.allowed,
      value: measure.value,
      threshold: measure.threshold,
      baseline: measure.baseline ?? null,
      channel_id: '',
      delivery_ok: null,
      attempts: 0,
      evaluator: context.evaluator,
      detail: JSON.stringify({ ...extra, instance: instance === undefined ? null : snapshotOf(instance) }),
    });
  };
  for (const transition of result.transitions) {
    row(transition.instanceId, transition.key, transition.type, transition.type, transition.condition);
  }
  for (const notification of result.notifications) {
    for (const instance of notification.instances) {
      row(instance.id, instance.key, 'notified', notification.transition, instance, {
        grouped: notification.grouped,
        totalInstances: notification.totalInstances,
        rule: notification.rule,
        channels: notification.channels,
        notified: instance,
      });
    }
  }
  // The detail names what kept it quiet: `silenceId`, or `inhibitedBy` ({ ruleId, instanceId }).
  for (const { instanceId, transition, ...why } of result.suppressed) {
    // A resolve held back by a silence is of an instance no longer in the state: its key and counts are
    // those of its `resolved` transition (without them the row named no service or origin).
    const instance = result.state.instances.get(instanceId);
    const ended = result.transitions.find((change) => change.instanceId === instanceId);
    const measure = instance?.last ?? ended?.condition ?? { blocked: 0, allowed: 0, value: 0, threshold: 0 };
    row(instanceId, instance?.key ?? ended?.key ?? {}, 'suppressed', transition, measure, why);
  }
  return rows;
}

/** One row per channel a notification went to, with its attempts. */
export function deliveryRows(
  notification: AlertNotification,
  records: readonly DeliveryRecord[],
  context: RowContext,
): AlertEventRow[] {
  const single = notification.grouped ? undefined : notification.instances[0];
  return records.map((record) => ({
    at: clickhouseTime(record.attempts.at(-1)?.startedAtMs ?? notification.atMs),
    rule_id: notification.rule.id,
    rule_version: context.ruleVersion,
    instance_id: single?.id ?? '',
    ...keyColumns(single?.key ?? {}),
    event: 'delivery',
    transition: notification.transition,
    blocked: single?.blocked ?? 0,
    allowed: single?.allowed ?? 0,
    value: single?.value ?? 0,
    threshold: single?.threshold ?? 0,
    baseline: single?.baseline ?? null,
    channel_id: record.channelId,
    delivery_ok: record.ok,
    attempts: Math.min(255, record.attempts.length),
    evaluator: context.evaluator,
    detail: JSON.stringify({
      channelType: record.channelType,
      attempts: record.attempts,
      instances: notification.instances.map((instance) => instance.id),
      totalInstances: notification.totalInstances,
      notifiedAtMs: notification.atMs,
    }),
  }));
}

/**
 * The newest instance-bearing row per instance of each of some rules (deliveries carry no state), all rules
 * in one read (the loop's first cycle after a start rebuilds every rule). Parameters:
 * `{rule_ids:Array(String)}`.
 */
export const LATEST_INSTANCE_ROWS_SQL = `SELECT rule_id, instance_id, argMax(detail, (at, event)) AS detail
FROM ${ALERT_TABLES.events}
WHERE rule_id IN {rule_ids:Array(String)} AND event != 'delivery' AND instance_id != ''
GROUP BY rule_id, instance_id`;

export interface LatestInstanceRow {
  readonly rule_id: string;
  readonly instance_id: string;
  readonly detail: string;
}

/**
 * The rule's state as the newest rows left it. A row that does not parse (written by a future version, or
 * damaged) is skipped and reported, never thrown: the instance then starts afresh.
 */
export function rebuildRuleState(rows: readonly Omit<LatestInstanceRow, 'rule_id'>[]): {
  state: RuleState;
  skipped: string[];
} {
  const instances = new Map<string, AlertInstance>();
  const skipped: string[] = [];
  for (const row of rows) {
    let detail: unknown;
    try {
      detail = JSON.parse(row.detail);
    } catch {
      skipped.push(row.instance_id);
      continue;
    }
    const instance = (detail as { instance?: unknown } | null)?.instance;
    if (instance === null) continue;
    const parsed = snapshotSchema.safeParse(instance);
    if (!parsed.success || parsed.data.id !== row.instance_id) {
      skipped.push(row.instance_id);
      continue;
    }
    instances.set(row.instance_id, parsed.data as AlertInstance);
  }
  return { state: { instances }, skipped };
}
