// One evaluation cycle of every rule, and what cycles remember between them: every rule (the rules file's, the
// built-in ones and those saved through the API) is evaluated over the per-minute rollups at a minute, its
// transitions are appended to alert_events, and the notifications to deliver are handed back. Runs on its own
// thread in the collector (alert-cycle-thread.ts), so it needs nothing of the main thread's but SQL.
//
// State lives here and in alert_events: a rule's state is rebuilt from its newest rows the first time the rule
// is evaluated after a start, so a restart neither loses a firing alert nor announces it again. If that read
// fails the rule is skipped this minute (starting from nothing would announce again).
import type { ClickHouseClient } from '@clickhouse/client';
import { evaluateRule, retireRule, type AlertNotification, type RuleState } from './alert-evaluator.js';
import { evaluationRows, type AlertEventRow, type RowContext } from './alert-event-rows.js';
import { INHIBITION_ORDER, inhibitionRank, Inhibitors, NO_INHIBITORS } from './alert-inhibition.js';
import type { PolicyChange } from './alert-input.js';
import type { AlertRule, AlertRuleSet } from './alert-rule.js';
import {
  insertEventRows,
  readRuleStates,
  readSilences,
  readStoredRules,
  type StoredRules,
} from './alert-store.js';
import { withDefaultRules } from './default-rules.js';
import { emptySeasonalBand, readCycleInputs, type CycleRule } from './read-cycle-inputs.js';
import {
  policyChangesFrom,
  readFirstStoredMinute,
  readPolicyChanges,
  type RuleInputMemory,
  type SeasonalMemory,
} from './read-rule-input.js';
import { readRecentTraffic, TripleGroups, type RecentTraffic } from './recent-traffic.js';

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

/** A notification to deliver, with what its delivery rows record. */
export interface OutgoingNotification {
  readonly notification: AlertNotification;
  readonly context: RowContext;
}

/** Alert instances over every rule, by state. */
export interface InstanceCounts {
  readonly pending: number;
  readonly firing: number;
}

/** What a cycle hands back to the loop: plain data, so it can cross from a worker thread. */
export interface CycleOutcome {
  readonly report: CycleReport;
  readonly rules: readonly ActiveRule[];
  /** Every evaluated rule's state after the cycle. */
  readonly states: ReadonlyMap<string, RuleState>;
  readonly instances: InstanceCounts;
  readonly outgoing: readonly OutgoingNotification[];
  /** Rules evaluated, and rules that failed (also counted in the report's errors). */
  readonly evaluated: number;
}

/**
 * A cycle's outcome as the loop keeps it: the states read only when something asks for them (the alerts
 * API), since a worker hands them over serialised (alert-cycle-thread.ts says why).
 */
export interface LoopOutcome extends Omit<CycleOutcome, 'states'> {
  readonly states: () => ReadonlyMap<string, RuleState>;
}

function countInstances(states: ReadonlyMap<string, RuleState>): InstanceCounts {
  let pending = 0;
  let firing = 0;
  for (const state of states.values()) {
    for (const instance of state.instances.values()) {
      if (instance.state === 'firing') firing += 1;
      else pending += 1;
    }
  }
  return { pending, firing };
}

/** The two levels a cycle logs at (a pino or Fastify logger fits). */
export interface CycleLog {
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface AlertCycleOptions {
  readonly client: ClickHouseClient;
  readonly ruleSet: AlertRuleSet;
  /** Names this collector in alert_events (`host:pid`). */
  readonly evaluator: string;
  readonly log: CycleLog;
}

/** Cycles, one at a time, and what they remember between them (states, history read, failing rules). */
export class AlertCycle {
  private readonly states = new Map<string, RuleState>();
  private readonly priors = new Map<string, NonNullable<RuleInputMemory['priors']>>();
  private readonly seasonal = new Map<string, SeasonalMemory>();
  /** Seasonal minutes shared by the spike rules read together (read-cycle-inputs.ts). */
  private readonly seasonalBand = emptySeasonalBand();
  /** The last cycle's shared minutes: the next reads only what may have changed since (recent-traffic.ts). */
  private recent: RecentTraffic | undefined;
  /** The groupings of the shared minutes' triples, worked out again only for new triples. */
  private tripleGroups: TripleGroups | undefined;
  private readonly failingRules = new Set<string>();
  private lastStored: StoredRules | undefined;
  /** The rules of the last cycle, by id: a rule gone since is retired with the definition it had. */
  private lastRules = new Map<string, ActiveRule>();

  constructor(private readonly options: AlertCycleOptions) {}

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

  /** Evaluates every rule at `nowMs` (a minute boundary). Callers run one cycle at a time. */
  async run(nowMs: number): Promise<CycleOutcome> {
    const started = performance.now();
    const { client, log } = this.options;
    try {
      this.lastStored = await readStoredRules(client);
    } catch (error) {
      // Keep evaluating the rules known from the last cycle.
      log.warn({ err: error }, 'reading the saved alert rules failed; evaluating the last known ones');
    }
    const rules = activeRules(this.options.ruleSet, this.lastStored);
    const silences = await readSilences(client, nowMs);
    const historyFromMs = await readFirstStoredMinute(client);
    const sharedMs = Math.min(
      SHARED_WINDOW_MS,
      Math.max(0, ...rules.map((active) => active.rule.windowMs).filter((ms) => ms <= SHARED_WINDOW_MS)),
    );
    const recent =
      historyFromMs === undefined || sharedMs === 0
        ? undefined
        : await readRecentTraffic(client, nowMs - sharedMs, nowMs, this.recent);
    this.recent = recent;
    if (recent !== undefined) {
      this.tripleGroups = this.tripleGroups?.forTriples(recent.triples) ?? new TripleGroups(recent.triples);
    }
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
    const outgoing: OutgoingNotification[] = [];
    let errors = 0;
    let transitions = 0;
    let evaluated = 0;
    const fail = (ruleId: string, error: unknown): void => {
      errors += 1;
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
      ...(this.tripleGroups === undefined ? {} : { tripleGroups: this.tripleGroups }),
    });
    // The more specific kinds first, so that each rule sees this minute's firing instances of the rules that
    // inhibit it (alert-inhibition.ts); the inhibitors change only when the rank does.
    const inhibition = this.options.ruleSet.inhibition?.enabled ?? true;
    const ordered = [...ready.entries()].sort(
      ([, a], [, b]) => inhibitionRank(a.rule.kind) - inhibitionRank(b.rule.kind),
    );
    let inhibitors = NO_INHIBITORS;
    let inhibitorsRank = -1;
    for (const [index, { rule, version, previous }] of ordered) {
      const rowContext: RowContext = { ruleVersion: version, evaluator: this.options.evaluator };
      const rank = inhibitionRank(rule.kind);
      if (inhibition && rank !== inhibitorsRank && rank < INHIBITION_ORDER.length) {
        inhibitors = new Inhibitors(
          rules.flatMap(({ rule: other }) => {
            const state = this.states.get(other.id);
            return state === undefined || inhibitionRank(other.kind) >= rank ? [] : [{ rule: other, state }];
          }),
        );
        inhibitorsRank = rank;
      }
      try {
        const input = inputs[index];
        if (input === undefined) throw new Error('no input was read');
        if (input instanceof Error) throw input;
        const result = evaluateRule(rule, input, previous, silences, inhibitors);
        this.states.set(rule.id, result.state);
        rows.push(...evaluationRows(rule.id, result, nowMs, rowContext));
        transitions += result.transitions.length;
        for (const notification of result.notifications) outgoing.push({ notification, context: rowContext });
        evaluated += 1;
        this.failingRules.delete(rule.id);
      } catch (error) {
        fail(rule.id, error);
      }
    }
    const ids = new Set(rules.map((active) => active.rule.id));
    for (const [id, state] of this.states) {
      if (ids.has(id)) continue;
      const gone = this.lastRules.get(id);
      if (gone !== undefined && state.instances.size > 0) {
        const result = retireRule(gone.rule, state, nowMs, silences);
        const rowContext: RowContext = { ruleVersion: gone.version, evaluator: this.options.evaluator };
        rows.push(...evaluationRows(id, result, nowMs, rowContext));
        transitions += result.transitions.length;
        for (const notification of result.notifications) outgoing.push({ notification, context: rowContext });
      }
      this.states.delete(id);
    }
    this.lastRules = new Map(rules.map((active) => [active.rule.id, active]));
    const memoryKeys = new Set(rules.map((active) => `${active.rule.id}@${String(active.version)}`));
    for (const key of this.priors.keys()) if (!memoryKeys.has(key)) this.priors.delete(key);
    for (const key of this.seasonal.keys()) if (!memoryKeys.has(key)) this.seasonal.delete(key);
    try {
      await insertEventRows(client, rows);
    } catch (error) {
      log.error({ err: error, rows: rows.length }, 'recording alert transitions in alert_events failed');
    }
    return {
      report: {
        nowMs,
        rules: rules.length,
        errors,
        transitions,
        notifications: outgoing.length,
        durationMs: performance.now() - started,
      },
      rules,
      states: new Map(this.states),
      instances: countInstances(this.states),
      outgoing,
      evaluated,
    };
  }
}
