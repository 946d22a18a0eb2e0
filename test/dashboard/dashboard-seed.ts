// Known CORS traffic for the dashboard's browser test, and the figures each view must show. Most of it goes
// through the collector's front door (OTLP/JSON summary spans); the hostile origin cannot (ingest refuses
// anything that is not a serialised origin), so it is written the way a row with such a value can be
// stored: straight into cors_events, with the value only ever a bound query parameter.
import type { RunningCollector } from '@corsight/collector';
import { ATTR } from '@corsight/instrumentation';
import { otlpJsonBatch, spanIdOf } from '../collector/otlp-json-batch.ts';

export const HOSTILE_ORIGIN = 'https://x.test"><img src=x onerror=alert(1)>';
export const EVIL_ORIGIN = 'https://evil.test';
export const ADMIN_ORIGIN = 'https://admin.example.com';
export const OLD_ORIGIN = 'https://old.example.com';
/** The Access-Control-Allow-Origin the exemplar of a blocked evil.test request carries. */
export const EXAMPLE_ALLOW_ORIGIN = 'https://app.example.com';
const HOUR_MS = 3_600_000;
/** orders-api's first request under policy p2 (the app's PUTs, 10 minutes back). */
export const POLICY_CHANGE_AGO_MS = 10 * 60_000;

interface Group {
  readonly service: 'orders-api' | 'search-api';
  readonly origin: string;
  readonly kind: 'preflight' | 'actual';
  readonly outcome: 'allowed' | 'blocked' | 'blocked_if_credentialed';
  readonly reasons: readonly string[];
  readonly route: string;
  readonly spans: number;
  /** How long before "now" the spans start. */
  readonly agoMs: number;
  /** Attributes over the group's defaults (method asked for, exemplar role and headers, …). */
  readonly extra?: Readonly<Record<string, string | number | boolean | readonly string[]>>;
}

const GROUPS: readonly Group[] = [
  {
    service: 'orders-api',
    origin: 'https://app.example.com',
    kind: 'actual',
    outcome: 'allowed',
    reasons: [],
    route: '/orders/:id',
    spans: 6,
    agoMs: 10 * 60_000,
    extra: { [ATTR.httpRequestMethod]: 'PUT', [ATTR.needsPreflight]: true },
  },
  {
    service: 'orders-api',
    origin: 'https://app.example.com',
    kind: 'preflight',
    outcome: 'allowed',
    reasons: [],
    route: '/orders/:id',
    spans: 4,
    agoMs: 20 * 60_000,
    extra: { [ATTR.requestMethod]: 'PUT' },
  },
  // An exemplar (weight 0: counted nowhere) with the headers the Mismatches page shows as an example.
  {
    service: 'orders-api',
    origin: EVIL_ORIGIN,
    kind: 'actual',
    outcome: 'blocked',
    reasons: ['allow_origin_mismatch'],
    route: '/orders/:id',
    spans: 1,
    agoMs: 5 * 60_000,
    extra: {
      [ATTR.spanRole]: 'detail',
      [ATTR.sampleWeight]: 0,
      [ATTR.responseAllowOrigin]: EXAMPLE_ALLOW_ORIGIN,
      [ATTR.responseVary]: 'Origin',
    },
  },
  {
    service: 'orders-api',
    origin: EVIL_ORIGIN,
    kind: 'actual',
    outcome: 'blocked',
    reasons: ['allow_origin_mismatch'],
    route: '/orders/:id',
    spans: 5,
    agoMs: 5 * 60_000,
  },
  {
    service: 'orders-api',
    origin: 'http://localhost:3000',
    kind: 'actual',
    outcome: 'blocked_if_credentialed',
    reasons: ['wildcard_origin_with_credentials'],
    route: '/orders',
    spans: 3,
    agoMs: 15 * 60_000,
  },
  {
    service: 'search-api',
    origin: ADMIN_ORIGIN,
    kind: 'preflight',
    outcome: 'blocked',
    reasons: ['missing_allow_origin'],
    route: '/search',
    spans: 2,
    agoMs: 30 * 60_000,
  },
  {
    service: 'search-api',
    origin: 'https://app.example.com',
    kind: 'actual',
    outcome: 'allowed',
    reasons: [],
    route: '/search',
    spans: 4,
    agoMs: 40 * 60_000,
  },
  // 30 hours back: inside "last 7 d", outside "last 24 h" (and within the 2 days ingest accepts).
  {
    service: 'orders-api',
    origin: OLD_ORIGIN,
    kind: 'actual',
    outcome: 'blocked',
    reasons: ['allow_origin_mismatch'],
    route: '/orders',
    spans: 9,
    agoMs: 30 * HOUR_MS,
  },
];

const HOSTILE_BLOCKED = 7;

/** Group i goes out as OTLP batch FIRST_BATCH + i (span ids and trace ids derive from it). */
const FIRST_BATCH = 9001;
const EXAMPLE_GROUP = GROUPS.findIndex((group) => group.extra?.[ATTR.spanRole] === 'detail');
/** The trace id of the kept example of a blocked evil.test request (otlpJsonBatch's id scheme). */
export const EXAMPLE_TRACE_ID = 'a'.repeat(16) + spanIdOf(FIRST_BATCH + EXAMPLE_GROUP, 0);

export interface Totals {
  readonly preflights: number;
  readonly actual: number;
  readonly allowed: number;
  readonly blocked: number;
  readonly blocked_if_credentialed: number;
}

/** What the Overview must show: the 24-hour default (all services, orders-api only) and the last 7 days. */
export const EXPECTED = {
  all24h: { preflights: 6, actual: 25, allowed: 14, blocked: 14, blocked_if_credentialed: 3 },
  orders24h: { preflights: 4, actual: 21, allowed: 10, blocked: 12, blocked_if_credentialed: 3 },
  orders7d: { preflights: 4, actual: 30, allowed: 10, blocked: 21, blocked_if_credentialed: 3 },
  /** Blocked per origin in the last 24 h (the Origins table). */
  /** Reason codes (Mismatches page), last 24 h. */
  reasons24h: {
    allow_origin_mismatch: 12,
    missing_allow_origin: 2,
    wildcard_origin_with_credentials: 3,
  } as Record<string, number>,
  /** The preflight-cache row of app.example.com's PUTs to /orders/:id: A = 6, P = 4, hits = 2. */
  preflightCache: { needing: 6, preflights: 4, hits: 2 },
  rejected24h: { [HOSTILE_ORIGIN]: HOSTILE_BLOCKED, [EVIL_ORIGIN]: 5, [ADMIN_ORIGIN]: 2 } as Record<
    string,
    number
  >,
} as const;

async function post(collector: RunningCollector, body: string): Promise<void> {
  const response = await fetch(`${collector.httpUrl}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  if (!response.ok) throw new Error(`seeding failed: ${response.status} ${await response.text()}`);
}

async function insertHostileRow(collector: RunningCollector, nowMs: number): Promise<void> {
  await collector.store.client.command({
    query: `INSERT INTO cors_events (timestamp, service, source, span_role, kind, route, origin, method,
              request_method, outcome, reasons, warnings, hints, credentials, needs_preflight, request_headers,
              response_status, policy_hash, sample_weight, trace_id_hex, span_id_hex, parent_span_id_hex,
              user_agent, server_address)
            SELECT fromUnixTimestamp64Milli({ts:Int64}, 'UTC'), 'orders-api', 'corsight', 'summary', 'actual',
              '/orders', {origin:String}, 'GET', '', 'blocked', ['allow_origin_mismatch'], [], [], 'unknown',
              false, [], 0, 'p2', {weight:Float64}, repeat('b', 32), repeat('c', 16), '', '', ''`,
    query_params: { ts: nowMs - 8 * 60_000, origin: HOSTILE_ORIGIN, weight: HOSTILE_BLOCKED },
  });
}

/** Sends every group to the collector, writes the hostile row, and waits until the summary counts them. */
export async function seedDashboardData(collector: RunningCollector, nowMs: number): Promise<void> {
  for (const [index, group] of GROUPS.entries()) {
    await post(
      collector,
      otlpJsonBatch({
        service: group.service,
        batch: FIRST_BATCH + index,
        spans: group.spans,
        origin: () => group.origin,
        timeMs: nowMs - group.agoMs,
        attributes: () => ({
          [ATTR.kind]: group.kind,
          [ATTR.httpRoute]: group.route,
          [ATTR.httpRequestMethod]: group.kind === 'preflight' ? 'OPTIONS' : 'GET',
          [ATTR.outcome]: group.outcome,
          [ATTR.reasons]: group.reasons,
          // orders-api switches policy POLICY_CHANGE_AGO_MS ago (search-api sends no fingerprint).
          ...(group.service === 'orders-api'
            ? { [ATTR.policyHash]: group.agoMs > POLICY_CHANGE_AGO_MS ? 'p1' : 'p2' }
            : {}),
          ...group.extra,
        }),
      }),
    );
  }
  await insertHostileRow(collector, nowMs);
  const want = EXPECTED.all24h.actual + EXPECTED.all24h.preflights + 9;
  const from = new Date(nowMs - 7 * 24 * HOUR_MS).toISOString();
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const response = await fetch(`${collector.httpUrl}/api/v1/summary?from=${from}`);
    const summary = (await response.json()) as { requests: number };
    if (summary.requests === want) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the collector did not store the seeded ${want} requests within 10 s`);
}
