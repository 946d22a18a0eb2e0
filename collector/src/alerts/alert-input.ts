// What the evaluator reads for one rule at one minute: plain data, so the SQL adapter (per-minute rollups,
// origin sightings, policy changes) and the backtest (minute series in memory) fill the same shape and the
// decision is tested with tables. Every count is a sum of `cors.sample_weight` (DESIGN.md §3).

/** One alert instance's identity: the rule's `groupBy` fields, and only those. */
export interface GroupKey {
  readonly service?: string;
  readonly route?: string;
  readonly origin?: string;
}

export interface ReasonCount {
  readonly code: string;
  readonly requests: number;
}

/**
 * `rejected_spike`: the window's blocked count at the same point of earlier days and weeks, for the instants
 * `seasonalSampleEnds` lists (the minutes in `[end − window, end)` for each end). Instants before any stored data are left out, not
 * given as 0, so a fresh install does not learn a zero baseline from days it never saw.
 */
export interface SeasonalSamples {
  readonly daily: readonly number[];
  readonly weekly: readonly number[];
}

/** Traffic of one group before the window, within the rule's `lookback`: minutes in `[now − lookback, now − window)`. */
export interface PriorTraffic {
  readonly allowed: number;
  readonly blocked: number;
  /** Length of the span these counts cover (shorter than `lookback − window` when history is shorter). */
  readonly spanMs: number;
}

export interface GroupWindow {
  readonly key: GroupKey;
  /**
   * `blocked` requests in the window: the per-minute rollup rows whose minute starts in `[now − window, now)`.
   * Never `blocked_if_credentialed`.
   */
  readonly blocked: number;
  /**
   * Allowed requests in the window, `blocked_if_credentialed` included: "allowed for callers without
   * credentials" is counted with allowed traffic and shown as a risk, never as a rejection (DESIGN.md §3).
   */
  readonly allowed: number;
  /** Start of the first minute with blocked requests in the window, epoch ms. */
  readonly firstBlockedMs?: number;
  /** The most frequent blocking reason codes in the window, largest first. */
  readonly topReasons?: readonly ReasonCount[];
  /**
   * `rejected_spike` only. May be left out when `blocked < minCount × RESOLVE_HYSTERESIS` (nothing can start
   * or hold there, so the adapter can skip the history query for most groups).
   */
  readonly seasonal?: SeasonalSamples;
  /**
   * `new_rejected_origin` and `newly_blocked_origin` only; absent means unknown, and nothing starts. Only
   * read when an instance may start, so it may be left out when `blocked < minCount`.
   */
  readonly prior?: PriorTraffic;
}

/** A service's CORS policy fingerprint (`cors.policy.hash`) changed at `atMs` (first request under `after`). */
export interface PolicyChange {
  readonly service: string;
  readonly atMs: number;
  readonly before: string;
  readonly after: string;
}

export interface RuleEvaluationInput {
  /** The evaluation instant, epoch ms, on a minute boundary; the window ends here. */
  readonly nowMs: number;
  /**
   * Groups that matched the rule's filter with traffic in the window. A group the evaluator knows from its
   * state but that is missing here had no traffic (all counts 0).
   */
  readonly groups: readonly GroupWindow[];
  /** Policy changes of the services in `groups` during the last few hours, any order. */
  readonly policyChanges?: readonly PolicyChange[];
}

/** Mute a rule, or a rule for one origin, until a time (`endsAtMs`, exclusive). */
export interface AlertSilence {
  readonly id: string;
  readonly ruleId: string;
  readonly origin?: string;
  readonly startsAtMs: number;
  readonly endsAtMs: number;
}
