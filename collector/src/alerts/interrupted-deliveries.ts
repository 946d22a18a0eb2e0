// Deliveries a restart interrupted, found again at start-up so that an alert that fired is delivered even
// when the collector stopped (a deploy's SIGTERM, a crash) while a receiver was down and its delivery was
// retrying. A cycle writes a notification's 'notified' rows before its deliveries start, and the loop writes a
// channel's 'delivery' row when that channel's delivery ends, delivered or failed after all its retries
// (alert-loop.ts). So a notification of the last RESUME_WINDOW_MS with a channel that has no 'delivery' row
// was interrupted, and the loop sends it to that channel again, with the usual retries and record. Pure: the
// loop reads the rows (alert-store.ts) and delivers.
//
// Only while the notification is still true: a firing or reminder notification goes out again only if its
// instance still fires, since the same start (not a page for an alert that has resolved since); a resolved
// notification unless the instance fires again (its newer firing notification speaks for it, and a late
// resolve would end the new alert in Alertmanager). A grouped notification keeps the instances still true.
//
// At least once, not at most once: a delivery that succeeded just before the process died, before its row
// was written, is sent a second time. For paging that is the right side to err on: a duplicate costs a
// glance (and Alertmanager merges an alert posted again into the one it holds), a lost page costs an incident
// nobody hears of until the reminder hours later. The window is short to keep that to the restart itself.
//
// A 'delivery' row names its notification by rule, transition, the notification's minute (`notifiedAtMs`)
// and instance (none for a grouped one), and that names one notification: an evaluation of a rule sends
// one notification per instance and transition, or one grouped notification per transition.
import type {
  AlertInstance,
  AlertNotification,
  NotificationTransition,
  NotifiedInstance,
  RuleState,
} from './alert-evaluator.js';
import { readNotifiedDetail, type NotifiedDetail } from './alert-event-rows.js';
import { ALERT_TABLES } from './alert-schema.js';

/**
 * How far back notifications are looked at: DEFAULT_DELIVERY gives up within four minutes, and a restart
 * (a deploy, a crash and the supervisor's restart) takes a few more. A notification older than this is left
 * to the instance's next reminder or resolve.
 */
export const RESUME_WINDOW_MS = 15 * 60_000;

/** 'notified' rows of `[from, to]` (epoch ms), oldest first. Parameters: `{from:Int64, to:Int64}`. */
export const NOTIFIED_ROWS_SQL = `SELECT rule_id, rule_version, toFloat64(toUnixTimestamp64Milli(at)) AS at_ms,
  instance_id, transition, detail
FROM ${ALERT_TABLES.events}
WHERE event = 'notified'
  AND at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND at <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')
ORDER BY at, rule_id, transition, instance_id`;

/**
 * The notification of each 'delivery' row since `from`: a delivery row is written after its notification's
 * row, so these cover every notification from `from` on. Parameters: `{from:Int64}`.
 */
export const DELIVERED_ROWS_SQL = `SELECT DISTINCT rule_id, transition, instance_id, channel_id,
  JSONExtractFloat(detail, 'notifiedAtMs') AS notified_ms
FROM ${ALERT_TABLES.events}
WHERE event = 'delivery' AND at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')`;

export interface NotifiedRow {
  readonly rule_id: string;
  readonly rule_version: number;
  readonly at_ms: number;
  readonly instance_id: string;
  readonly transition: string;
  readonly detail: string;
}

export interface DeliveredRow {
  readonly rule_id: string;
  readonly transition: string;
  readonly instance_id: string;
  readonly channel_id: string;
  readonly notified_ms: number;
}

/** Names one notification; a 'delivery' row and its notification's 'notified' rows give the same. */
export function notificationKey(
  ruleId: string,
  transition: string,
  notifiedAtMs: number,
  instanceId: string,
): string {
  return JSON.stringify([ruleId, transition, notifiedAtMs, instanceId]);
}

/** The key a notification's delivery rows carry (instance_id is empty for a grouped one). */
export function keyOfNotification(notification: AlertNotification): string {
  const single = notification.grouped ? '' : (notification.instances[0]?.id ?? '');
  return notificationKey(notification.rule.id, notification.transition, notification.atMs, single);
}

export interface InterruptedDelivery {
  /** The notification as it was sent, with `channels` those without a delivery row. */
  readonly notification: AlertNotification;
  readonly ruleVersion: number;
}

export interface InterruptedDeliveries {
  /** Oldest first. */
  readonly resume: readonly InterruptedDelivery[];
  /** Interrupted, and no longer true (see above): not sent. */
  readonly stale: number;
  /** 'notified' rows that do not parse (written before rows carried their notification): not sent. */
  readonly unreadable: number;
}

function isNotificationTransition(value: string): value is NotificationTransition {
  return value === 'firing' || value === 'reminder' || value === 'resolved';
}

/** Whether `instance`, as the rule's state now has it, is still as the notification announced. */
function stillTrue(
  transition: NotificationTransition,
  notified: NotifiedInstance,
  now: AlertInstance | undefined,
): boolean {
  switch (transition) {
    case 'firing':
    case 'reminder':
      return now?.state === 'firing' && now.firingSinceMs === notified.startsAtMs;
    case 'resolved':
      return now?.state !== 'firing';
    default: {
      const unexpected: never = transition;
      throw new Error(`unhandled transition ${String(unexpected)}`);
    }
  }
}

interface Gathered {
  readonly ruleVersion: number;
  readonly transition: NotificationTransition;
  readonly atMs: number;
  readonly detail: NotifiedDetail;
  readonly instances: NotifiedInstance[];
}

/**
 * The notifications of `notified` (one row per instance) with a channel that no delivery row names, still
 * true in `states` (each rule's state as restored at start-up).
 */
export function interruptedDeliveries(
  notified: readonly NotifiedRow[],
  delivered: readonly DeliveredRow[],
  states: ReadonlyMap<string, RuleState>,
): InterruptedDeliveries {
  const done = new Map<string, Set<string>>();
  for (const row of delivered) {
    const key = notificationKey(row.rule_id, row.transition, row.notified_ms, row.instance_id);
    let channels = done.get(key);
    if (channels === undefined) {
      channels = new Set();
      done.set(key, channels);
    }
    channels.add(row.channel_id);
  }
  const gathered = new Map<string, Gathered>();
  let unreadable = 0;
  for (const row of notified) {
    const detail = readNotifiedDetail(row.detail);
    if (detail === undefined || !isNotificationTransition(row.transition)) {
      unreadable += 1;
      continue;
    }
    const key = notificationKey(
      row.rule_id,
      row.transition,
      row.at_ms,
      detail.grouped ? '' : row.instance_id,
    );
    const seen = gathered.get(key);
    if (seen === undefined) {
      gathered.set(key, {
        ruleVersion: row.rule_version,
        transition: row.transition,
        atMs: row.at_ms,
        detail,
        instances: [detail.notified],
      });
    } else {
      seen.instances.push(detail.notified);
    }
  }
  const resume: InterruptedDelivery[] = [];
  let stale = 0;
  for (const [key, { ruleVersion, transition, atMs, detail, instances }] of gathered) {
    const sent = done.get(key);
    const channels = detail.channels.filter((channel) => sent?.has(channel) !== true);
    if (channels.length === 0) continue;
    const state = states.get(detail.rule.id);
    const current = instances
      .filter((instance) => stillTrue(transition, instance, state?.instances.get(instance.id)))
      .sort((a, b) => b.blocked - a.blocked || a.id.localeCompare(b.id));
    if (current.length === 0) {
      stale += 1;
      continue;
    }
    resume.push({
      ruleVersion,
      notification: {
        rule: detail.rule,
        transition,
        atMs,
        channels,
        instances: current,
        totalInstances: detail.totalInstances - (instances.length - current.length),
        grouped: detail.grouped,
      },
    });
  }
  return { resume, stale, unreadable };
}
