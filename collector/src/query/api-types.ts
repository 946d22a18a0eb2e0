// The query API's answers as types: the one contract between the collector and its readers (the
// dashboard imports `@corsight/collector/api-types`). Type-only on purpose: importing this module pulls in
// no collector code at run time (no chDB, no Fastify), so a Next.js build stays free of them. Element types
// are re-exported from the query modules that shape them; the envelopes are spelled out here from the same
// types, exactly as query-api.ts's routes assemble them. Counts are sums of sample weights and may be
// fractional.
import type { SimulatedOriginRoute } from './allowlist-simulation.js';
import type { GroupBy, Metric } from './query-params.js';
import type { Mismatch } from './mismatches-query.js';
import type { PolicyChange } from './policy-changes.js';
import type { PreflightCacheEntry } from './preflight-cache.js';
import type { RangeEcho } from './query-api.js';
import type { RejectedOrigin } from './rejected-origins-query.js';
import type { Summary } from './summary-query.js';
import type { StepName } from './time-range.js';
import type { Series } from './timeseries-query.js';
import type { AlertKind, AlertRuleSpec, ChannelType, GroupField, RuleFilter } from '../alerts/alert-rule.js';
import type { InstanceState } from '../alerts/alert-evaluator.js';
import type { GroupKey, PolicyChange as AlertPolicyChange, ReasonCount } from '../alerts/alert-input.js';
import type { RuleSource } from '../alerts/alert-loop.js';
import type { StoredSilence, AlertEventView } from '../alerts/alert-store.js';
import type { BacktestFiring } from '../alerts/backtest.js';
import type { DeliveryAttempt, DeliveryRecord } from '../alerts/deliver-notification.js';

export type { SimulatedOriginRoute } from './allowlist-simulation.js';
export type { Finding, GroupBy, Metric } from './query-params.js';
export type { Mismatch, MismatchExample } from './mismatches-query.js';
export type { PolicyChange } from './policy-changes.js';
export type { PreflightCacheEntry } from './preflight-cache.js';
export type { RangeEcho } from './query-api.js';
export type { RejectedOrigin, RejectedOriginRoute } from './rejected-origins-query.js';
export type { Summary } from './summary-query.js';
export type { StepName } from './time-range.js';
export type { Series } from './timeseries-query.js';
/** GET /services/capture: each service's HTTP-span capture status (served from ingest memory, no range). */
export type { CaptureStatusAnswer } from '../server/capture-status-api.js';
export type { ServiceCapture, ServiceCaptureStatus } from '../ingest/http-span-services.js';

/** How an answer echoes the step it counted in. */
export interface StepEcho {
  readonly name: StepName;
  readonly seconds: number;
}

/** Every answer's counted range: ISO-8601, whole minutes, `to` exclusive. */
interface Ranged {
  readonly range: RangeEcho;
}

/** GET /summary */
export type SummaryAnswer = Ranged & Summary;

/** GET /timeseries */
export interface TimeseriesAnswer extends Ranged {
  readonly step: StepEcho;
  readonly metric: Metric;
  readonly groupBy: GroupBy | null;
  /** Bucket starts, ISO-8601; every series has one value per bucket. */
  readonly buckets: readonly string[];
  readonly series: readonly Series[];
}

/** GET /origins/rejected */
export interface RejectedOriginsAnswer extends Ranged {
  /** The range of equal length just before, which `trend` compares with. */
  readonly previousRange: RangeEcho;
  readonly origins: readonly RejectedOrigin[];
}

/** GET /preflight-cache */
export interface PreflightCacheAnswer extends Ranged {
  readonly engineCaps: PreflightCacheEntry['engineCaps'];
  /** The Max-Age `preflightsSavedEstimate` is estimated for, seconds. */
  readonly targetMaxAge: number;
  readonly entries: readonly PreflightCacheEntry[];
}

/** GET /mismatches */
export interface MismatchesAnswer extends Ranged {
  readonly step: StepEcho;
  readonly buckets: readonly string[];
  readonly codes: readonly Mismatch[];
}

/** GET /policy-changes */
export interface PolicyChangesAnswer extends Ranged {
  readonly changes: readonly PolicyChange[];
}

/** POST /simulate: what the candidate allowlist would refuse over the range. */
export interface SimulationAnswer extends Ranged {
  readonly allowlist: readonly string[];
  readonly totals: {
    readonly requests: number;
    readonly refused: number;
    /** Refused volume that is allowed today (allowed + blocked_if_credentialed). */
    readonly newlyBlocked: number;
    readonly refusedOrigins: number;
    readonly newlyBlockedOrigins: number;
  };
  readonly origins: readonly SimulatedOrigin[];
  readonly routes: readonly SimulatedRoute[];
}

export interface SimulatedOrigin {
  readonly origin: string;
  readonly requests: number;
  readonly newlyBlocked: number;
  readonly alreadyBlocked: number;
  readonly currentlyAllowed: boolean;
  /**
   * Per service (two services with the same route template are two entries): biggest newly blocked first,
   * then by service and route, at most 20.
   */
  readonly routes: readonly SimulatedOriginRoute[];
}

export interface SimulatedRoute {
  readonly service: string;
  readonly route: string;
  readonly newlyBlocked: number;
}

/** GET /services: names for the service filter, busiest first. */
export interface ServicesAnswer extends Ranged {
  readonly services: readonly { readonly service: string; readonly requests: number }[];
}

/** GET /routes: routes for the route filter, busiest first. */
export interface RoutesAnswer extends Ranged {
  readonly routes: readonly { readonly service: string; readonly route: string; readonly requests: number }[];
}

// ——— Alerting (`/api/v1/alerts/*`, collector/src/alerts/alerts-api.ts) ———
// The route file assembles its answers inline; the shapes below are spelled out from the alerts modules'
// own types, exactly as the routes build them (times as epoch milliseconds unless said otherwise).
export type { AlertKind, AlertRuleSpec, ChannelType, GroupField, RuleFilter } from '../alerts/alert-rule.js';
export type { InstanceState } from '../alerts/alert-evaluator.js';
export type { GroupKey, ReasonCount } from '../alerts/alert-input.js';
export type { AlertPolicyChange };
export type { RuleSource } from '../alerts/alert-loop.js';
export type { StoredSilence, AlertEventView } from '../alerts/alert-store.js';
export type { BacktestFiring } from '../alerts/backtest.js';
export type { DeliveryAttempt, DeliveryRecord } from '../alerts/deliver-notification.js';

/** A rule as GET /alerts/rules describes it: the parsed rule with durations as text again. */
interface AlertRuleViewCommon {
  readonly id: string;
  readonly name: string;
  readonly filter: RuleFilter;
  readonly groupBy: readonly GroupField[];
  readonly window: string;
  readonly minCount: number;
  readonly for: string;
  readonly keepFiringFor: string;
  readonly repeat: string;
  readonly notify: readonly string[];
  readonly groupLimit: number;
}
export type AlertRuleView = AlertRuleViewCommon &
  (
    | { readonly kind: 'rejected_spike'; readonly baseline: string; readonly factor: number }
    | { readonly kind: 'new_rejected_origin' | 'newly_blocked_origin'; readonly lookback: string }
    | { readonly kind: 'blocked_ratio'; readonly ratio: number }
  );

/** A rule's state over its instances: firing when any fires, pending when any is pending. */
export type AlertRuleState = 'inactive' | 'pending' | InstanceState;

/** One entry of GET /alerts/rules. */
export interface AlertRuleEntry {
  readonly id: string;
  readonly name: string;
  readonly kind: AlertKind;
  readonly source: RuleSource;
  /** 0 for rules from the file or built in. */
  readonly version: number;
  readonly rule: AlertRuleView;
  /** API rules: the spec as it was sent (for editing); null otherwise. */
  readonly spec: AlertRuleSpec | null;
  readonly state: AlertRuleState;
  readonly instances: { readonly firing: number; readonly pending: number };
}

/** GET /alerts/rules */
export interface AlertRulesAnswer {
  readonly rules: readonly AlertRuleEntry[];
  readonly channels: readonly { readonly id: string; readonly type: ChannelType }[];
  /** Stored rules whose spec no longer validates: skipped by the evaluator. */
  readonly invalid: readonly { readonly id: string; readonly problems: readonly string[] }[];
}

/** POST /alerts/rules (201) and PUT /alerts/rules/:id */
export interface AlertRuleSaved {
  readonly rule: AlertRuleView;
  readonly version: number;
}

/** One current alert instance (GET /alerts/state). */
export interface AlertInstanceView {
  readonly ruleId: string;
  readonly ruleName: string;
  readonly id: string;
  readonly key: GroupKey;
  readonly state: InstanceState;
  readonly activeSince: number;
  readonly firingSince: number | null;
  readonly lastNotified: number | null;
  readonly blocked: number;
  readonly allowed: number;
  readonly value: number;
  readonly threshold: number;
  readonly baseline: number | null;
  readonly peak: number;
  readonly topReasons: readonly ReasonCount[];
  readonly policyChange: AlertPolicyChange | null;
  /**
   * A firing instance whose notifications a more specific alert for the same service and origin holds back
   * (alert-inhibition.ts); null when none does.
   */
  readonly inhibitedBy: {
    readonly ruleId: string;
    readonly ruleName: string;
    readonly instanceId: string;
  } | null;
}

/** GET /alerts/state */
export interface AlertStateAnswer {
  /** False on a collector that does not evaluate (CORSIGHT_ALERTS=off): state comes from alert_events. */
  readonly evaluating: boolean;
  readonly evaluator: string;
  readonly instances: readonly AlertInstanceView[];
}

/** A silence as the API returns it (times in epoch ms). */
export type AlertSilenceView = StoredSilence;

/** GET /alerts/silences: current and future ones. */
export interface AlertSilencesAnswer {
  readonly silences: readonly StoredSilence[];
}

/** POST /alerts/silences (201) */
export interface AlertSilenceSaved {
  readonly silence: StoredSilence;
}

/** GET /alerts/events: newest first. `range` is ISO-8601. */
export interface AlertEventsAnswer {
  readonly range: RangeEcho;
  readonly events: readonly AlertEventView[];
}

/** POST /alerts/backtest */
export interface BacktestAnswer {
  readonly range: { readonly from: number; readonly to: number };
  readonly firings: readonly BacktestFiring[];
  /** Notifications the rule would have sent (grouped ones count once). */
  readonly notifications: number;
  readonly evaluations: number;
}

/** POST /alerts/test (200, or 502 when the channel failed) */
export interface AlertTestAnswer {
  readonly delivery: DeliveryRecord | null;
}

/** What a delivery row of alert_events carries in `detail`. */
export interface AlertDeliveryDetail {
  readonly channelType: DeliveryRecord['channelType'];
  readonly attempts: readonly DeliveryAttempt[];
  readonly instances: readonly string[];
  readonly totalInstances: number;
  readonly notifiedAtMs: number;
}

/** A refusal from the alerts API: `problems` for an invalid rule, `parameter` for a bad field. */
export interface AlertApiRefusal {
  readonly error: string;
  readonly message: string;
  readonly parameter?: string;
  readonly problems?: readonly string[];
}
