// The decision, pure: (rule, the window's counts at `nowMs`, the previous state, silences) → (new state,
// state transitions, notifications). The collector's loop runs it every minute over the rollups and the
// backtest runs it over stored minutes; neither adds any logic of its own.
//
// States follow Grafana and Prometheus: an instance (one per `groupBy` group) is absent (inactive) until
// its condition holds, then `pending` until it has held for `for`, then `firing`; a firing instance becomes
// `resolved` (and is dropped) once its condition has been clear for `keepFiringFor`, and while firing it
// sends a reminder every `repeat`. A pending instance whose condition fails is dropped without a word (a
// one-minute blip under `for` never notifies).
//
// Notifications: one per instance and transition (firing, reminder, resolved), except that more than the
// rule's `groupLimit` of one transition in one evaluation (a scanner sending from hundreds of random
// origins) are folded into one grouped notification. A silenced instance changes state as usual but its
// notifications are recorded as suppressed; a firing instance that was never announced is announced when
// its silence ends, and one that was never announced resolves silently. Inhibition (alert-inhibition.ts)
// works the same way: while a more specific rule fires for the same service and origin, the instance's
// firing and reminder notifications are recorded as suppressed, naming the inhibiting rule.
import type {
  AlertSilence,
  GroupKey,
  GroupWindow,
  PolicyChange,
  ReasonCount,
  RuleEvaluationInput,
} from './alert-input.js';
import { NO_INHIBITORS, type InhibitedBy, type Inhibitors } from './alert-inhibition.js';
import { isProjected, keyId, projectKey } from './alert-key.js';
import type { AlertKind, AlertRule } from './alert-rule.js';
import {
  evaluateCondition,
  keepFiringFor,
  precedingPolicyChange,
  type ConditionResult,
} from './rule-condition.js';

export type InstanceState = 'pending' | 'firing';

export interface AlertInstance {
  readonly id: string;
  readonly key: GroupKey;
  readonly state: InstanceState;
  /** First evaluation at which the condition held (start of pending). */
  readonly activeSinceMs: number;
  readonly firingSinceMs: number | undefined;
  /** Last firing or reminder notification actually sent (not suppressed). */
  readonly lastNotifiedMs: number | undefined;
  /** Last firing or reminder notification sent, silenced or inhibited: reminders count from here. */
  readonly lastAnnouncedMs: number | undefined;
  /** First evaluation of the current clear stretch while firing. */
  readonly clearSinceMs: number | undefined;
  /** Largest blocked count in the window since the instance started. */
  readonly peak: number;
  readonly last: ConditionResult;
  readonly topReasons: readonly ReasonCount[];
  /** `newly_blocked_origin`: the policy change found when the instance started. */
  readonly policyChange: PolicyChange | undefined;
}

/** Instances by `keyId`; a rule without any is inactive everywhere. */
export interface RuleState {
  readonly instances: ReadonlyMap<string, AlertInstance>;
}

export const INACTIVE: RuleState = { instances: new Map() };

/** Every state change, for `alert_events` (and for rebuilding state at start-up). */
export interface AlertTransition {
  readonly type: 'pending' | 'firing' | 'resolved' | 'cancelled';
  readonly ruleId: string;
  readonly instanceId: string;
  readonly key: GroupKey;
  readonly atMs: number;
  readonly condition: ConditionResult;
}

export type NotificationTransition = 'firing' | 'reminder' | 'resolved';

export interface NotifiedInstance {
  readonly id: string;
  readonly key: GroupKey;
  /** When the instance started firing. */
  readonly startsAtMs: number;
  /** When it resolved; undefined while firing. */
  readonly endsAtMs: number | undefined;
  readonly blocked: number;
  readonly allowed: number;
  readonly value: number;
  readonly threshold: number;
  readonly baseline: number | undefined;
  readonly peak: number;
  readonly topReasons: readonly ReasonCount[];
  readonly policyChange: PolicyChange | undefined;
}

export interface AlertNotification {
  readonly rule: {
    readonly id: string;
    readonly name: string;
    readonly kind: AlertKind;
    readonly windowMs: number;
    readonly repeatMs: number;
  };
  readonly transition: NotificationTransition;
  readonly atMs: number;
  readonly channels: readonly string[];
  /** Largest blocked count first; a grouped notification lists at most MAX_LISTED_INSTANCES. */
  readonly instances: readonly NotifiedInstance[];
  readonly totalInstances: number;
  readonly grouped: boolean;
}

/** A notification not sent: a silence covered it, or a more specific alert inhibited it. */
export type SuppressedNotification = {
  readonly instanceId: string;
  readonly transition: NotificationTransition;
} & ({ readonly silenceId: string } | { readonly inhibitedBy: InhibitedBy });

export interface EvaluationResult {
  readonly state: RuleState;
  readonly transitions: readonly AlertTransition[];
  readonly notifications: readonly AlertNotification[];
  readonly suppressed: readonly SuppressedNotification[];
}

/** A grouped notification names this many instances and counts the rest. */
export const MAX_LISTED_INSTANCES = 20;

const TOP_REASONS = 3;

function emptyGroup(key: GroupKey): GroupWindow {
  return { key, blocked: 0, allowed: 0 };
}

function sumElementwise(a: readonly number[], b: readonly number[]): readonly number[] {
  return a.length === b.length ? a.map((value, index) => value + (b[index] ?? 0)) : a;
}

function mergeReasons(a: readonly ReasonCount[], b: readonly ReasonCount[]): readonly ReasonCount[] {
  const totals = new Map<string, number>();
  for (const { code, requests } of [...a, ...b]) totals.set(code, (totals.get(code) ?? 0) + requests);
  return [...totals].map(([code, requests]) => ({ code, requests })).sort((x, y) => y.requests - x.requests);
}

/** Groups folded onto the rule's `groupBy` (an adapter may hand over finer groups). */
function groupsByKey(rule: AlertRule, groups: readonly GroupWindow[]): Map<string, GroupWindow> {
  const byKey = new Map<string, GroupWindow>();
  for (const group of groups) {
    const projected = isProjected(group.key, rule.groupBy);
    const key = projected ? group.key : projectKey(group.key, rule.groupBy);
    const id = keyId(key);
    const seen = byKey.get(id);
    if (seen === undefined) {
      byKey.set(id, projected ? group : { ...group, key });
      continue;
    }
    const merged: {
      -readonly [K in keyof GroupWindow]: GroupWindow[K];
    } = { key, blocked: seen.blocked + group.blocked, allowed: seen.allowed + group.allowed };
    const firstBlocked = [seen.firstBlockedMs, group.firstBlockedMs].filter((ms) => ms !== undefined);
    if (firstBlocked.length > 0) merged.firstBlockedMs = Math.min(...firstBlocked);
    merged.topReasons = mergeReasons(seen.topReasons ?? [], group.topReasons ?? []);
    if (seen.seasonal !== undefined && group.seasonal !== undefined) {
      merged.seasonal = {
        daily: sumElementwise(seen.seasonal.daily, group.seasonal.daily),
        weekly: sumElementwise(seen.seasonal.weekly, group.seasonal.weekly),
      };
    }
    if (seen.prior !== undefined && group.prior !== undefined) {
      merged.prior = {
        allowed: seen.prior.allowed + group.prior.allowed,
        blocked: seen.prior.blocked + group.prior.blocked,
        spanMs: Math.max(seen.prior.spanMs, group.prior.spanMs),
      };
    }
    byKey.set(id, merged);
  }
  return byKey;
}

function activeSilence(
  rule: AlertRule,
  key: GroupKey,
  silences: readonly AlertSilence[],
  nowMs: number,
): AlertSilence | undefined {
  return silences.find(
    (silence) =>
      silence.ruleId === rule.id &&
      (silence.origin === undefined || silence.origin === key.origin) &&
      silence.startsAtMs <= nowMs &&
      nowMs < silence.endsAtMs,
  );
}

function notified(instance: AlertInstance, endsAtMs: number | undefined): NotifiedInstance {
  return {
    id: instance.id,
    key: instance.key,
    startsAtMs: instance.firingSinceMs ?? instance.activeSinceMs,
    endsAtMs,
    blocked: instance.last.blocked,
    allowed: instance.last.allowed,
    value: instance.last.value,
    threshold: instance.last.threshold,
    baseline: instance.last.baseline,
    peak: instance.peak,
    topReasons: instance.topReasons,
    policyChange: instance.policyChange,
  };
}

interface Outgoing {
  readonly transition: NotificationTransition;
  readonly instance: NotifiedInstance;
}

/** What one evaluation of a rule records and sends, shared by evaluateRule and retireRule. */
class EvaluationOutput {
  readonly transitions: AlertTransition[] = [];
  readonly outgoing: Outgoing[] = [];
  readonly suppressed: SuppressedNotification[] = [];

  constructor(
    private readonly rule: AlertRule,
    private readonly nowMs: number,
    private readonly silences: readonly AlertSilence[],
    private readonly inhibitors: Inhibitors = NO_INHIBITORS,
  ) {}

  /** Why a firing or reminder notification of `instance` is not sent now, if it is not. */
  quietened(instance: AlertInstance): { silenceId: string } | { inhibitedBy: InhibitedBy } | undefined {
    const silence = activeSilence(this.rule, instance.key, this.silences, this.nowMs);
    if (silence !== undefined) return { silenceId: silence.id };
    const inhibitedBy = this.inhibitors.inhibitorOf(this.rule, instance.key);
    return inhibitedBy === undefined ? undefined : { inhibitedBy };
  }

  transition(type: AlertTransition['type'], instance: AlertInstance): void {
    this.transitions.push({
      type,
      ruleId: this.rule.id,
      instanceId: instance.id,
      key: instance.key,
      atMs: this.nowMs,
      condition: instance.last,
    });
  }

  /** Sends (or suppresses) a notification; answers whether it went out. */
  announce(kind: NotificationTransition, instance: AlertInstance, endsAtMs?: number): boolean {
    // A resolve is never inhibited: it is only sent when the firing was, and a receiver told of a firing
    // alert must hear that it ended.
    const quiet = this.quietened(instance);
    const why = kind === 'resolved' && quiet !== undefined && 'inhibitedBy' in quiet ? undefined : quiet;
    if (why !== undefined) {
      this.suppressed.push({ instanceId: instance.id, transition: kind, ...why });
      return false;
    }
    this.outgoing.push({ transition: kind, instance: notified(instance, endsAtMs) });
    return true;
  }

  result(instances: Map<string, AlertInstance>): EvaluationResult {
    return {
      state: { instances },
      transitions: this.transitions,
      notifications: bundle(this.rule, this.nowMs, this.outgoing),
      suppressed: this.suppressed,
    };
  }
}

function bundle(rule: AlertRule, nowMs: number, outgoing: readonly Outgoing[]): AlertNotification[] {
  const notifications: AlertNotification[] = [];
  const ruleSummary = {
    id: rule.id,
    name: rule.name,
    kind: rule.kind,
    windowMs: rule.windowMs,
    repeatMs: rule.repeatMs,
  };
  for (const transition of ['firing', 'reminder', 'resolved'] as const) {
    const instances = outgoing
      .filter((item) => item.transition === transition)
      .map((item) => item.instance)
      .sort((a, b) => b.blocked - a.blocked || a.id.localeCompare(b.id));
    if (instances.length === 0) continue;
    const base = { rule: ruleSummary, transition, atMs: nowMs, channels: rule.notify };
    if (instances.length > rule.groupLimit) {
      notifications.push({
        ...base,
        instances: instances.slice(0, MAX_LISTED_INSTANCES),
        totalInstances: instances.length,
        grouped: true,
      });
    } else {
      for (const instance of instances) {
        notifications.push({ ...base, instances: [instance], totalInstances: 1, grouped: false });
      }
    }
  }
  return notifications;
}

/**
 * One evaluation of one rule at `input.nowMs`. `previous` is the result's `state` of the last evaluation
 * (or INACTIVE, or state rebuilt from `alert_events`); `inhibitors`, the firing instances of the more
 * specific rules, already evaluated at `nowMs`.
 */
export function evaluateRule(
  rule: AlertRule,
  input: RuleEvaluationInput,
  previous: RuleState,
  silences: readonly AlertSilence[] = [],
  inhibitors: Inhibitors = NO_INHIBITORS,
): EvaluationResult {
  const nowMs = input.nowMs;
  const groups = groupsByKey(rule, input.groups);
  const instances = new Map<string, AlertInstance>();
  const output = new EvaluationOutput(rule, nowMs, silences, inhibitors);

  const announceFiring = (instance: AlertInstance): AlertInstance => {
    const sent = output.announce('firing', instance);
    return { ...instance, lastAnnouncedMs: nowMs, ...(sent ? { lastNotifiedMs: nowMs } : {}) };
  };

  for (const [id, before] of previous.instances) {
    const group = groups.get(id) ?? emptyGroup(before.key);
    const condition = evaluateCondition(rule, group, before.state === 'firing' ? 'sustain' : 'hold');
    const current: AlertInstance = {
      ...before,
      peak: Math.max(before.peak, condition.blocked),
      last: condition,
      topReasons: (group.topReasons ?? before.topReasons).slice(0, TOP_REASONS),
    };

    if (before.state === 'pending') {
      if (!condition.holds) {
        output.transition('cancelled', current);
        continue;
      }
      if (nowMs - before.activeSinceMs < rule.forMs) {
        instances.set(id, current);
        continue;
      }
      const firing: AlertInstance = { ...current, state: 'firing', firingSinceMs: nowMs };
      output.transition('firing', firing);
      instances.set(id, announceFiring(firing));
      continue;
    }

    if (condition.holds) {
      const holding: AlertInstance = { ...current, clearSinceMs: undefined };
      if (holding.lastNotifiedMs === undefined) {
        // Never announced (silenced or inhibited until now): announce as soon as nothing keeps it quiet.
        instances.set(id, output.quietened(holding) === undefined ? announceFiring(holding) : holding);
      } else if (nowMs - (holding.lastAnnouncedMs ?? holding.lastNotifiedMs) >= rule.repeatMs) {
        const sent = output.announce('reminder', holding);
        instances.set(id, { ...holding, lastAnnouncedMs: nowMs, ...(sent ? { lastNotifiedMs: nowMs } : {}) });
      } else {
        instances.set(id, holding);
      }
      continue;
    }

    const clearSinceMs = before.clearSinceMs ?? nowMs;
    if (nowMs - clearSinceMs < keepFiringFor(rule, group)) {
      instances.set(id, { ...current, clearSinceMs });
      continue;
    }
    output.transition('resolved', current);
    // An instance nobody was told about resolves silently (it was silenced or inhibited throughout).
    if (current.lastNotifiedMs !== undefined) output.announce('resolved', current, nowMs);
  }

  for (const [id, group] of groups) {
    if (previous.instances.has(id)) continue;
    const condition = evaluateCondition(rule, group, 'entry');
    if (!condition.holds) continue;
    const policyChange =
      rule.kind === 'newly_blocked_origin'
        ? precedingPolicyChange(group.key.service, nowMs - rule.windowMs, nowMs, input.policyChanges ?? [])
        : undefined;
    const started: AlertInstance = {
      id,
      key: group.key,
      state: 'pending',
      activeSinceMs: nowMs,
      firingSinceMs: undefined,
      lastNotifiedMs: undefined,
      lastAnnouncedMs: undefined,
      clearSinceMs: undefined,
      peak: condition.blocked,
      last: condition,
      topReasons: (group.topReasons ?? []).slice(0, TOP_REASONS),
      policyChange,
    };
    if (rule.forMs > 0) {
      output.transition('pending', started);
      instances.set(id, started);
      continue;
    }
    const firing: AlertInstance = { ...started, state: 'firing', firingSinceMs: nowMs };
    output.transition('firing', firing);
    instances.set(id, announceFiring(firing));
  }

  return output.result(instances);
}

/**
 * The rule was deleted (or replaced by a rule of another id) while it had instances: each firing one
 * resolves, with a resolved notification where one was announced, and each pending one is cancelled. Without
 * this a deleted rule's alerts stayed active in Alertmanager until their end time (the reminder interval plus
 * ten minutes, up to 30 days), receivers never heard, and a new rule of the same id took its instances over
 * from alert_events.
 */
export function retireRule(
  rule: AlertRule,
  previous: RuleState,
  nowMs: number,
  silences: readonly AlertSilence[] = [],
): EvaluationResult {
  const output = new EvaluationOutput(rule, nowMs, silences);
  for (const instance of previous.instances.values()) {
    output.transition(instance.state === 'firing' ? 'resolved' : 'cancelled', instance);
    if (instance.state === 'firing' && instance.lastNotifiedMs !== undefined) {
      output.announce('resolved', instance, nowMs);
    }
  }
  return output.result(new Map());
}
