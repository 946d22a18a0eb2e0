// The evaluator as it runs in the collector: once a minute (a little after the boundary, so the last
// minute's spans have arrived) every rule (the rules file's, the built-in ones and those saved through the
// API) is evaluated over the per-minute rollups, its transitions and notifications are appended to
// alert_events (alert-cycle.ts), and notifications are delivered. Deliveries are detached from the cycle, with
// their own timeouts and retries (deliver-notification.ts), so a dead endpoint never delays the next
// evaluation or ingest; each channel's delivery is recorded when it ends.
//
// A stop does not wait minutes for a receiver that is down: deliveries still running after a short grace are
// interrupted and left unrecorded, and the next start sends them again before its first cycle, as a start
// after a crash does (interrupted-deliveries.ts).
//
// Cycles run on a worker thread of their own (alert-cycle-thread.ts), not on the event loop that takes
// ingest; their SQL still runs on this thread's background client.
import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyBaseLogger } from 'fastify';
import type { CollectorMetrics } from '../ops/collector-metrics.js';
import {
  AlertCycle,
  activeRules,
  type ActiveRule,
  type LoopOutcome,
  type CycleReport,
} from './alert-cycle.js';
import { AlertCycleThread } from './alert-cycle-thread.js';
import type { AlertInstance, AlertNotification, RuleState } from './alert-evaluator.js';
import { deliveryRows, type RowContext } from './alert-event-rows.js';
import type { AlertChannel, AlertRuleSet } from './alert-rule.js';
import { insertEventRows, readInterruptedDeliveries } from './alert-store.js';
import { DEFAULT_DELIVERY, deliverToChannel, type DeliveryOptions } from './deliver-notification.js';
import { keyOfNotification, RESUME_WINDOW_MS } from './interrupted-deliveries.js';

export { activeRules, type ActiveRule, type CycleReport, type RuleSource } from './alert-cycle.js';

const MINUTE = 60_000;

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
  /**
   * Where cycles run: on a worker thread (default), or on this thread (the in-process benchmarks compare
   * the two).
   */
  readonly cycleThread?: 'worker' | 'main';
}

export class AlertLoop {
  /** Undefined until the first cycle has ended: the state is then only in alert_events. */
  private states: (() => ReadonlyMap<string, RuleState>) | undefined;
  private readonly deliveries = new Set<Promise<void>>();
  /** Notification key and channel of each delivery running, so that a resume never sends one twice. */
  private readonly inFlight = new Set<string>();
  /** Aborted by `stop` once its grace has passed: interrupts the deliveries still running. */
  private interrupt = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private cycle: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private lastRules: readonly ActiveRule[] = [];
  /** Runs the cycles: a worker thread, or this thread (`cycleThread: 'main'`). */
  private readonly cycles: { run(nowMs: number): Promise<LoopOutcome>; close(): Promise<void> };

  constructor(private readonly options: AlertLoopOptions) {
    const { client, ruleSet, evaluator, log } = options;
    if (options.cycleThread === 'main') {
      const cycle = new AlertCycle({ client, ruleSet, evaluator, log });
      this.cycles = {
        run: async (nowMs) => {
          const outcome = await cycle.run(nowMs);
          return { ...outcome, states: () => outcome.states };
        },
        close: () => Promise.resolve(),
      };
    } else {
      this.cycles = new AlertCycleThread({ client, ruleSet, evaluator, log });
    }
  }

  get channels(): readonly AlertChannel[] {
    return this.options.ruleSet.channels;
  }

  /** Sends again what the last stop or crash interrupted, then evaluates every minute. */
  start(): void {
    this.stopped = false;
    if (this.interrupt.signal.aborted) this.interrupt = new AbortController();
    // Before the first cycle, which waits for it (cycles run after this.cycle).
    const resume = this.cycle.then(() => this.resumeDeliveries());
    this.cycle = resume.catch((error: unknown) => {
      this.options.log.error(
        { err: error },
        'reading the alert deliveries a restart interrupted failed; they are not sent again',
      );
    });
    this.schedule();
  }

  /**
   * Delivers again, to the channels without a delivery record, the notifications of the last
   * RESUME_WINDOW_MS that are still true (interrupted-deliveries.ts). `start` calls it; tests call it after a
   * "restart" on the same data.
   */
  async resumeDeliveries(): Promise<{ resumed: number; stale: number; unreadable: number }> {
    const { client, evaluator, log } = this.options;
    const nowMs = (this.options.now ?? Date.now)();
    const found = await readInterruptedDeliveries(client, nowMs - RESUME_WINDOW_MS, nowMs);
    let resumed = 0;
    for (const { notification, ruleVersion } of found.resume) {
      const key = keyOfNotification(notification);
      const channels = notification.channels.filter((channel) => !this.inFlight.has(`${key} ${channel}`));
      if (channels.length === 0) continue;
      this.deliver({ ...notification, channels }, { ruleVersion, evaluator });
      resumed += 1;
    }
    if (resumed > 0 || found.stale > 0) {
      log.info(
        { resumed, stale: found.stale },
        'delivering again the alert notifications a restart interrupted (stale: no longer true, not sent)',
      );
    }
    if (found.unreadable > 0) {
      log.warn(
        { rows: found.unreadable },
        'notified rows in alert_events that do not parse: if their delivery was interrupted, it is not sent again',
      );
    }
    return { resumed, stale: found.stale, unreadable: found.unreadable };
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

  /**
   * Current state per evaluated rule; undefined before the first cycle has ended (up to 75 s after a
   * start), when the caller reads it from alert_events as a collector that does not evaluate does.
   */
  snapshot(): ReadonlyMap<string, RuleState> | undefined {
    return this.states?.();
  }

  /** The rules of the last cycle (or of the file before the first one). */
  rules(): readonly ActiveRule[] {
    return this.lastRules.length > 0 ? this.lastRules : activeRules(this.options.ruleSet, undefined);
  }

  /** Resolves when every delivery started so far has ended and been recorded. */
  async deliveriesSettled(): Promise<void> {
    while (this.deliveries.size > 0) await Promise.allSettled([...this.deliveries]);
  }

  /**
   * Stops the schedule, lets a running cycle end, waits up to `graceMs` for deliveries, then interrupts those
   * still running (a receiver that is down would hold the stop for minutes of retries): they are not recorded,
   * and the next start sends them again.
   */
  async stop(graceMs = 5000): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.cycle;
    await this.cycles.close();
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      this.deliveriesSettled(),
      new Promise<void>((resolve) => {
        timeout = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timeout);
    const running = this.deliveries.size;
    if (running > 0) {
      this.interrupt.abort();
      await this.deliveriesSettled();
      this.options.log.warn(
        { deliveries: running },
        'stopping with alert deliveries still running: interrupted, the next start sends them again',
      );
    }
  }

  private async runCycle(nowMs: number): Promise<CycleReport> {
    const started = performance.now();
    const { metrics } = this.options;
    const outcome = await this.cycles.run(nowMs);
    this.states = outcome.states;
    this.lastRules = outcome.rules;
    if (outcome.evaluated > 0) metrics?.alertEvaluations.inc({ result: 'ok' }, outcome.evaluated);
    if (outcome.report.errors > 0) metrics?.alertEvaluations.inc({ result: 'error' }, outcome.report.errors);
    for (const { notification, context } of outcome.outgoing) this.deliver(notification, context);
    metrics?.alertInstances.set({ state: 'pending' }, outcome.instances.pending);
    metrics?.alertInstances.set({ state: 'firing' }, outcome.instances.firing);
    const durationMs = performance.now() - started;
    metrics?.alertCycleSeconds.observe(durationMs / 1000);
    return { ...outcome.report, durationMs };
  }

  /**
   * Delivers to each channel apart and records each delivery when it ends: a restart while one channel is
   * still retrying then sends again to that channel only.
   */
  private deliver(notification: AlertNotification, context: RowContext): void {
    const { client, log, metrics } = this.options;
    const { signal } = this.interrupt;
    const options = { ...(this.options.delivery ?? DEFAULT_DELIVERY), signal };
    const key = keyOfNotification(notification);
    for (const channelId of notification.channels) {
      const flight = `${key} ${channelId}`;
      this.inFlight.add(flight);
      const task = (async () => {
        const record = await deliverToChannel(
          notification,
          channelId,
          this.channels,
          { dashboardUrl: this.options.dashboardUrl },
          options,
        );
        // Interrupted by the stop: no record, so that the next start sends it again.
        if (!record.ok && signal.aborted) return;
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
        try {
          await insertEventRows(client, deliveryRows(notification, [record], context));
        } catch (error) {
          log.error({ err: error }, 'recording an alert delivery in alert_events failed');
        }
      })();
      this.deliveries.add(task);
      void task.finally(() => {
        this.deliveries.delete(task);
        this.inFlight.delete(flight);
      });
    }
  }
}

/** Firing and pending instances of a state, firing first, for answers. */
export function instancesOf(state: RuleState | undefined): AlertInstance[] {
  return [...(state?.instances.values() ?? [])].sort(
    (a, b) => (a.state === b.state ? 0 : a.state === 'firing' ? -1 : 1) || b.last.blocked - a.last.blocked,
  );
}
