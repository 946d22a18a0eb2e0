// The query API's answers as types: the one contract between the collector and its readers (the
// dashboard imports `@corsight/collector/api-types`). Type-only on purpose: importing this module pulls in
// no collector code at run time (no chDB, no Fastify), so a Next.js build stays free of them. Element types
// are re-exported from the query modules that shape them; the envelopes are spelled out here from the same
// types, exactly as query-api.ts's routes assemble them. Counts are sums of sample weights and may be
// fractional.
import type { GroupBy, Metric } from './query-params.js';
import type { Mismatch } from './mismatches-query.js';
import type { PolicyChange } from './policy-changes.js';
import type { PreflightCacheEntry } from './preflight-cache.js';
import type { RangeEcho } from './query-api.js';
import type { RejectedOrigin } from './rejected-origins-query.js';
import type { Summary } from './summary-query.js';
import type { StepName } from './time-range.js';
import type { Series } from './timeseries-query.js';

export type { Finding, GroupBy, Metric } from './query-params.js';
export type { Mismatch, MismatchExample } from './mismatches-query.js';
export type { PolicyChange } from './policy-changes.js';
export type { PreflightCacheEntry } from './preflight-cache.js';
export type { RangeEcho } from './query-api.js';
export type { RejectedOrigin } from './rejected-origins-query.js';
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
  readonly routes: readonly string[];
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
