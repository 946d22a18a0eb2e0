// The evaluator as it runs in the collector: once a minute (a little after the boundary, so the last
// minute's spans have arrived) every rule (the rules file's, the built-in ones and those saved through the
// API) is evaluated over the per-minute rollups, its transitions and notifications are appended to
// alert_events, and notifications are delivered. Deliveries are detached from the cycle, with their own
// timeouts and retries (deliver-notification.ts), so a dead endpoint never delays the next evaluation or
// ingest; each delivery is recorded when it ends.
//
// State lives in memory and in alert_events: a rule's state is rebuilt from its newest rows the first time
// the rule is evaluated after a start, so a restart neither loses a firing alert nor announces it again. If
// that read fails the rule is skipped this minute (starting from nothing would announce again).
import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyBaseLogger } from 'fastify';
import type { CollectorMetrics } from '../ops/collector-metrics.js';
import {
  evaluateRule,
  type AlertInstance,
  type AlertNotification,
  type RuleState,
} from './alert-evaluator.js';
import { deliveryRows, evaluationRows, type AlertEventRow, type RowContext } from './alert-event-rows.js';
import type { PolicyChange } from './alert-input.js';
import type { AlertChannel, AlertRule, AlertRuleSet } from './alert-rule.js';
import {
  insertEventRows,
  readRuleStates,
  readSilences,
  readStoredRules,
  type StoredRules,
} from './alert-store.js';
import { withDefaultRules } from './default-rules.js';
import { DEFAULT_DELIVERY, deliverNotification, type DeliveryOptions } from './deliver-notification.js';
import { emptySeasonalBand, readCycleInputs, type CycleRule } from './read-cycle-inputs.js';
import {
  policyChangesFrom,
  readFirstStoredMinute,
  readPolicyChanges,
  type RuleInputMemory,
  type SeasonalMemory,
} from './read-rule-input.js';
import { readRecentTraffic } from './recent-traffic.js';

const MINUTE = 60_000;
/**
 * Windows up to this long are cut from one read of the last minutes shared by all rules (one query a cycle
 * instead of one per rule); a rule with a longer window reads its own.
 */
const SHARED_WINDOW_MS = 60 * MINUTE;

export type RuleSource = 'file' | 'default' | 'api';

export interface ActiveRule {
  readonly rule: AlertRule;
  readonly source: RuleSource;
  /** 0 for file and built-in rules; the alert_rules version for API rules. */
  readonly version: number;
  /** API rules: the spec as sent. */
  readonly spec?: unknown;
}

/** The rules the evaluator runs: the file's and the built-in ones first; API rules never shadow them. */
export function activeRules(set: AlertRuleSet, stored: StoredRules | undefined): ActiveRule[] {
  const own = new Set(set.rules.map((rule) => rule.id));
  const fromFile: ActiveRule[] = withDefaultRules(set).map((rule) => ({
    rule,
    source: own.has(rule.id) ? 'file' : 'default',
    version: 0,
  }));
  const taken = new Set(fromFile.map((active) => active.rule.id));
  const fromApi: ActiveRule[] = (stored?.rules ?? [])
    .filter((saved) => !taken.has(saved.rule.id))
    .map((saved) => ({ rule: saved.rule, source: 'api', version: saved.version, spec: saved.spec }));
  return [...fromFile, ...fromApi];
}

export interface CycleReport {
  readonly nowMs: number;
  readonly rules: number;
  readonly errors: number;
  readonly transitions: number;
  readonly notifications: number;
  readonly durationMs: number;
}

export interface AlertLoopOptions {
  readonly client: ClickHouseClient;
  readonly ruleSet: AlertRuleSet;
  /** Links in notifications. */
  readonly dashboardUrl: string | undefined;
  /** Names this collector in alert_events (`host:pid`). */
  readonly evaluator: string;
  readonly log: FastifyBaseLogger;
  readonly metrics?: CollectorMetrics;
  readonly delivery?: DeliveryOptions;
  /** How long after each minute boundary the minute is evaluated (late spans); default 15 s. */
  readonly offsetMs?: number;
  readonly now?: () => number;
}

export class AlertLoop {
  private readonly states = new Map<string, RuleState>();
  private readonly priors = new Map<string, NonNullable<RuleInputMemory['priors']>>();
  private readonly seasonal = new Map<string, SeasonalMemory>();
  /** Seasonal minutes shared by the spike rules read together (read-cycle-inputs.ts). */
  private readonly seasonalBand = emptySeasonalBand();
  private readonly deliveries = new Set<Promise<void>>();
  private readonly failingRules = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private cycle: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private lastRules: readonly ActiveRule[] = [];
  private lastStored: StoredRules | undefined;

  constructor(private readonly options: AlertLoopOptions) {}

  get channels(): readonly AlertChannel[] {
    return this.options.ruleSet.channels;
  }

  /** Starts evaluating every minute. */
  start(): void {
    this.stopped = false;
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    const now = (this.options.now ?? Date.now)();
    const offset = this.options.offsetMs ?? 15_000;
    let minute = Math.floor((now - offset) / MINUTE) * MINUTE + MINUTE;
    if (minute + offset <= now) minute += MINUTE;
    this.timer = setTimeout(
      () => {
        void this.evaluateNow(minute)
          .catch((error: unknown) => {
            this.options.log.error({ err: error }, 'an alert evaluation cycle failed');
          })
          .finally(() => {
            this.schedule();
          });
      },
      minute + offset - now,
    );
    this.timer.unref();
  }

  /**
   * Evaluates every rule at `nowMs` (rounded down to the minute). Cycles run one at a time, in call order;
   * tests call this with a chosen instant instead of waiting for the clock.
   */
  evaluateNow(nowMs: number = (this.options.now ?? Date.now)()): Promise<CycleReport> {
    const minute = Math.floor(nowMs / MINUTE) * MINUTE;
    const run = this.cycle.then(() => this.runCycle(minute));
    this.cycle = run.catch(() => undefined);
    return run;
  }

  /** Current state per evaluated rule. */
  snapshot(): ReadonlyMap<string, RuleState> {
    return this.states;
  }

  /** The rules of the last cycle (or of the file before the first one). */
  rules(): readonly ActiveRule[] {
    return this.lastRules.length > 0 ? this.lastRules : activeRules(this.options.ruleSet, this.lastStored);
  }

  /** Resolves when every delivery started so far has ended and been recorded. */
  async deliveriesSettled(): Promise<void> {
    while (this.deliveries.size > 0) await Promise.allSettled([...this.deliveries]);
  }

  /** Stops the schedule, lets a running cycle end, and waits up to `graceMs` for deliveries. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.cycle;
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      this.deliveriesSettled(),
      new Promise<void>((resolve) => {
        timeout = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timeout);
    if (this.deliveries.size > 0) {
      this.options.log.warn(
        { deliveries: this.deliveries.size },
        'stopping with alert deliveries still in flight; they are not recorded',
      );
    }
  }

  /**
   * Rebuilds from alert_events the state of every rule not evaluated since the start (one query). A rule whose
   * state could not be read is missing from `states` afterwards and skipped this minute.
   */
  private async rebuildStates(ruleIds: readonly string[]): Promise<void> {
    const unknown = ruleIds.filter((id) => !this.states.has(id));
    if (unknown.length === 0) return;
    const rebuilt = await readRuleStates(this.options.client, unknown);
    for (const [ruleId, { state, skipped }] of rebuilt) {
      if (skipped.length > 0) {
        this.options.log.warn(
          { rule: ruleId, instances: skipped },
          'alert instances whose stored state does not parse start afresh',
        );
      }
      this.states.set(ruleId, state);
    }
  }

  /** What the reads of one version of a rule remember between cycles (an edit may change its window). */
  private memoryOf(rule: AlertRule, version: number, previous: RuleState): RuleInputMemory {
    const memoryKey = `${rule.id}@${String(version)}`;
    let priors = this.priors.get(memoryKey);
    if (priors === undefined) {
      priors = new Map();
      this.priors.set(memoryKey, priors);
    }
    let seasonal = this.seasonal.get(memoryKey);
    if (seasonal === undefined) {
      seasonal = { fromMs: 0, untilMs: -1, groups: new Map() };
      this.seasonal.set(memoryKey, seasonal);
    }
    return { known: previous.instances, priors, seasonal };
  }

  private async runCycle(nowMs: number): Promise<CycleReport> {
    const started = performance.now();
    const { client, log, metrics } = this.options;
    try {
      this.lastStored = await readStoredRules(client);
    } catch (error) {
      // Keep evaluating the rules known from the last cycle.
      log.warn({ err: error }, 'reading the saved alert rules failed; evaluating the last known ones');
    }
    const rules = activeRules(this.options.ruleSet, this.lastStored);
    this.lastRules = rules;
    const silences = await readSilences(client, nowMs);
    const historyFromMs = await readFirstStoredMinute(client);
    const sharedMs = Math.min(
      SHARED_WINDOW_MS,
      Math.max(0, ...rules.map((active) => active.rule.windowMs).filter((ms) => ms <= SHARED_WINDOW_MS)),
    );
    const recent =
      historyFromMs === undefined || sharedMs === 0
        ? undefined
        : await readRecentTraffic(client, nowMs - sharedMs, nowMs);
    let policyChanges: Promise<PolicyChange[]> | undefined;
    const context = {
      historyFromMs,
      ...(recent === undefined ? {} : { recent }),
      policyChanges: () =>
        (policyChanges ??= readPolicyChanges(
          client,
          policyChangesFrom(
            nowMs,
            rules.map((active) => active.rule),
          ),
          nowMs + 1,
        )),
    };
    const rows: AlertEventRow[] = [];
    const outgoing: { notification: AlertNotification; context: RowContext }[] = [];
    let errors = 0;
    let transitions = 0;
    const fail = (ruleId: string, error: unknown): void => {
      errors += 1;
      metrics?.alertEvaluations.inc({ result: 'error' });
      // One line when a rule starts failing, not one per minute.
      if (!this.failingRules.has(ruleId)) {
        log.error({ err: error, rule: ruleId }, 'evaluating an alert rule failed; it keeps its state');
        this.failingRules.add(ruleId);
      }
    };
    try {
      await this.rebuildStates(rules.map((active) => active.rule.id));
    } catch (error) {
      // Starting from nothing would announce firing instances again: those rules wait for the next minute.
      log.error({ err: error }, 'rebuilding alert state from alert_events failed; those rules are skipped');
    }
    const ready: (ActiveRule & { readonly previous: RuleState })[] = [];
    for (const active of rules) {
      const previous = this.states.get(active.rule.id);
      if (previous === undefined) fail(active.rule.id, new Error('its state could not be read'));
      else ready.push({ ...active, previous });
    }
    const reads: CycleRule[] = ready.map(({ rule, version, previous }) => ({
      rule,
      memory: this.memoryOf(rule, version, previous),
    }));
    const inputs = await readCycleInputs(client, reads, nowMs, {
      ...context,
      seasonalBand: this.seasonalBand,
    });
    for (const [index, { rule, version, previous }] of ready.entries()) {
      const rowContext: RowContext = { ruleVersion: version, evaluator: this.options.evaluator };
      try {
        const input = inputs[index];
        if (input === undefined) throw new Error('no input was read');
        if (input instanceof Error) throw input;
        const result = evaluateRule(rule, input, previous, silences);
        this.states.set(rule.id, result.state);
        rows.push(...evaluationRows(rule.id, result, nowMs, rowContext));
        transitions += result.transitions.length;
        for (const notification of result.notifications) outgoing.push({ notification, context: rowContext });
        metrics?.alertEvaluations.inc({ result: 'ok' });
        this.failingRules.delete(rule.id);
      } catch (error) {
        fail(rule.id, error);
      }
    }
    const ids = new Set(rules.map((active) => active.rule.id));
    for (const id of this.states.keys()) if (!ids.has(id)) this.states.delete(id);
    const memoryKeys = new Set(rules.map((active) => `${active.rule.id}@${String(active.version)}`));
    for (const key of this.priors.keys()) if (!memoryKeys.has(key)) this.priors.delete(key);
    for (const key of this.seasonal.keys()) if (!memoryKeys.has(key)) this.seasonal.delete(key);
    try {
      await insertEventRows(client, rows);
    } catch (error) {
      log.error({ err: error, rows: rows.length }, 'recording alert transitions in alert_events failed');
    }
    for (const { notification, context: rowContext } of outgoing) this.deliver(notification, rowContext);
    this.updateGauge();
    const durationMs = performance.now() - started;
    metrics?.alertCycleSeconds.observe(durationMs / 1000);
    return { nowMs, rules: rules.length, errors, transitions, notifications: outgoing.length, durationMs };
  }

  private updateGauge(): void {
    const metrics = this.options.metrics;
    if (metrics === undefined) return;
    let pending = 0;
    let firing = 0;
    for (const state of this.states.values()) {
      for (const instance of state.instances.values()) {
        if (instance.state === 'firing') firing += 1;
        else pending += 1;
      }
    }
    metrics.alertInstances.set({ state: 'pending' }, pending);
    metrics.alertInstances.set({ state: 'firing' }, firing);
  }

  private deliver(notification: AlertNotification, context: RowContext): void {
    const { client, log, metrics } = this.options;
    const task = (async () => {
      const records = await deliverNotification(
        notification,
        this.channels,
        { dashboardUrl: this.options.dashboardUrl },
        this.options.delivery ?? DEFAULT_DELIVERY,
      );
      for (const record of records) {
        metrics?.alertDeliveries.inc({
          channel_type: record.channelType,
          result: record.ok ? 'ok' : 'failed',
        });
        if (!record.ok) {
          log.warn(
            { rule: notification.rule.id, channel: record.channelId, attempts: record.attempts },
            'an alert notification could not be delivered',
          );
        }
      }
      try {
        await insertEventRows(client, deliveryRows(notification, records, context));
      } catch (error) {
        log.error({ err: error }, 'recording an alert delivery in alert_events failed');
      }
    })();
    this.deliveries.add(task);
    void task.finally(() => this.deliveries.delete(task));
  }
}

/** Firing and pending instances of a state, firing first, for answers. */
export function instancesOf(state: RuleState | undefined): AlertInstance[] {
  return [...(state?.instances.values() ?? [])].sort(
    (a, b) => (a.state === b.state ? 0 : a.state === 'firing' ? -1 : 1) || b.last.blocked - a.last.blocked,
  );
}
