// The answers of the collector's query API (collector/src/query/query-api.ts) that the dashboard reads.
// The dashboard depends on this wire contract only, never on the collector's code; counts are sums of
// sample weights and may be fractional.

export interface RangeEcho {
  readonly from: string;
  readonly to: string;
}

export interface Summary {
  readonly range: RangeEcho;
  readonly requests: number;
  readonly preflights: number;
  readonly actual: number;
  readonly allowed: number;
  readonly blocked: number;
  /** Allowed traffic at risk (blocked only for credentialed callers): never shown as a rejection. */
  readonly blocked_if_credentialed: number;
  readonly needs_preflight: number;
}

export interface Series {
  readonly group: string;
  readonly total: number;
  readonly values: readonly number[];
}

export interface Timeseries {
  readonly range: RangeEcho;
  readonly step: { readonly name: string; readonly seconds: number };
  readonly metric: string;
  readonly groupBy: string | null;
  readonly buckets: readonly string[];
  readonly series: readonly Series[];
}

export interface RejectedOrigin {
  readonly origin: string;
  readonly blocked: number;
  readonly requests: number;
  readonly share: number;
  readonly firstBlocked: string;
  readonly lastBlocked: string;
  readonly trend: {
    readonly previousBlocked: number;
    readonly change: number;
    readonly ratio: number | null;
  };
  readonly routes: readonly { readonly route: string; readonly blocked: number }[];
  readonly reasons: readonly { readonly code: string; readonly blocked: number }[];
}

export interface RejectedOrigins {
  readonly range: RangeEcho;
  readonly previousRange: RangeEcho;
  readonly origins: readonly RejectedOrigin[];
}

export interface Services {
  readonly range: RangeEcho;
  readonly services: readonly { readonly service: string; readonly requests: number }[];
}

export interface EngineSeconds {
  readonly chromium: number;
  readonly firefox: number;
  readonly webkit: number;
}

export interface PreflightCacheEntry {
  readonly route: string;
  readonly origin: string;
  readonly method: string;
  readonly needingPreflight: number;
  readonly allowedPreflights: number;
  readonly estimatedHits: number;
  readonly hitRatio: number | null;
  /** null = not sent; absent = no example kept to read it from. */
  readonly maxAgeSent?: string | null;
  readonly maxAgeSamples: number;
  readonly effectiveCacheSeconds: EngineSeconds;
  readonly engineCaps: EngineSeconds;
  readonly preflightsSavedEstimate: number;
}

export interface PreflightCache {
  readonly range: RangeEcho;
  readonly engineCaps: EngineSeconds;
  readonly targetMaxAge: number;
  readonly entries: readonly PreflightCacheEntry[];
}

export interface MismatchExample {
  readonly traceId: string;
  readonly spanId: string;
  readonly time: string;
  readonly service: string;
  readonly route: string;
  readonly origin: string;
  readonly method: string;
  readonly requestMethod: string;
  readonly kind: string;
  readonly outcome: string;
  readonly credentials: string;
  readonly status: number;
  readonly requestHeaders: readonly string[];
  readonly responseHeaders: Readonly<Record<string, string | null>>;
}

export interface Mismatch {
  readonly finding: 'reason' | 'warning';
  readonly code: string;
  readonly total: number;
  readonly values: readonly number[];
  readonly summary: string | null;
  readonly fix: string | null;
  readonly examples: readonly MismatchExample[];
}

export interface Mismatches {
  readonly range: RangeEcho;
  readonly step: { readonly name: string; readonly seconds: number };
  readonly buckets: readonly string[];
  readonly codes: readonly Mismatch[];
}

export interface PolicyChange {
  readonly service: string;
  readonly at: string;
  readonly before: string;
  readonly after: string;
  readonly originsBlockedAfter: readonly {
    readonly origin: string;
    readonly allowedBefore: number;
    readonly blockedAfter: number;
  }[];
}

export interface PolicyChanges {
  readonly range: RangeEcho;
  readonly changes: readonly PolicyChange[];
}

export interface Simulation {
  readonly range: RangeEcho;
  readonly allowlist: readonly string[];
  readonly totals: {
    readonly requests: number;
    readonly refused: number;
    readonly newlyBlocked: number;
    readonly refusedOrigins: number;
    readonly newlyBlockedOrigins: number;
  };
  readonly origins: readonly {
    readonly origin: string;
    readonly requests: number;
    readonly newlyBlocked: number;
    readonly alreadyBlocked: number;
    readonly currentlyAllowed: boolean;
    readonly routes: readonly string[];
  }[];
  readonly routes: readonly {
    readonly service: string;
    readonly route: string;
    readonly newlyBlocked: number;
  }[];
}
