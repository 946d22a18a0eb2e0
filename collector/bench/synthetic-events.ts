// A synthetic, deterministic mix of CORS rows for the store benchmark: a few services, ~50 routes, ~500
// origins with a skewed (Zipf-like) popularity, mostly summary rows (one per key and 5-second flush, weight =
// the requests counted) and ~10 % detail rows with the full CORS headers and weight 0.
import { randomBytes } from 'node:crypto';
import type { CorsEventRow } from '../src/ingest/cors-event-row.ts';

// A small deterministic generator, so two runs store the same mix.
let seed = 0x2545f491;
function random(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 0x1_0000_0000;
}
/** Index in [0, n) with popularity ∝ 1 / (rank + 1). */
function zipf(n: number): number {
  return Math.min(n - 1, Math.floor(Math.exp(random() * Math.log(n + 1)) - 1));
}
function pick<T>(items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

const SERVICES = ['orders-api', 'search-api', 'accounts-api', 'media-api'];
const ROUTES = Array.from(
  { length: 50 },
  (_, i) => `/v1/${['orders', 'items', 'users', 'files', 'search'][i % 5]}/${i}/:id`,
);
const ORIGINS = Array.from({ length: 500 }, (_, i) =>
  i % 7 === 0 ? `http://localhost:${3000 + i}` : `https://app${i}.customer${i % 97}.example.com`,
);
const USER_AGENTS = Array.from(
  { length: 20 },
  (_, i) =>
    `Mozilla/5.0 (${['X11; Linux x86_64', 'Macintosh', 'Windows NT 10.0'][i % 3]}) Chrome/${120 + i}.0`,
);
const WARNINGS = ['missing_vary_origin', 'max_age_missing', 'max_age_capped', 'header_not_exposed'];
const REASONS = ['allow_origin_mismatch', 'missing_allow_origin', 'header_not_allowed', 'method_not_allowed'];

export function syntheticRow(i: number, startMs: number): CorsEventRow {
  const service = SERVICES[zipf(SERVICES.length)] ?? 'orders-api';
  const route = ROUTES[zipf(ROUTES.length)] ?? '/';
  const origin = ORIGINS[zipf(ORIGINS.length)] ?? 'null';
  const preflight = random() < 0.3;
  const roll = random();
  const outcome = roll < 0.9 ? 'allowed' : roll < 0.98 ? 'blocked' : 'blocked_if_credentialed';
  const detail = random() < 0.1;
  const method = preflight ? 'OPTIONS' : pick(['GET', 'GET', 'POST', 'PUT', 'DELETE']);
  // 50k rows per simulated second of a 5-second flush: summary rows start at a flush boundary plus the
  // emitting instance's offset; detail rows at any millisecond.
  const second = Math.floor(i / 50_000);
  const flush = startMs + Math.floor(second / 5) * 5_000;
  const timestamp = detail ? startMs + second * 1_000 + Math.floor(random() * 1_000) : flush + (i % 16) * 37;
  const headers = detail;
  return {
    timestamp,
    service,
    source: 'corsight',
    spanRole: detail ? 'detail' : 'summary',
    kind: preflight ? 'preflight' : 'actual',
    route,
    origin,
    method,
    requestMethod: preflight ? pick(['PUT', 'POST', 'DELETE']) : '',
    outcome,
    reasons: outcome === 'allowed' ? [] : [pick(REASONS)],
    warnings: random() < 0.3 ? [pick(WARNINGS)] : [],
    hints: headers && outcome === 'blocked' ? ['trailing_slash'] : [],
    credentials: pick(['include', 'omit', 'unknown', 'unknown']),
    needsPreflight: preflight ? null : method !== 'GET',
    requestHeaders: headers ? ['content-type', 'authorization'] : [],
    responseStatus: headers ? (preflight ? 204 : 200) : 0,
    allowOrigin: headers && outcome === 'allowed' ? origin : null,
    allowCredentials: headers ? 'true' : null,
    allowMethods: headers && preflight ? 'GET, POST, PUT, DELETE' : null,
    allowHeaders: headers && preflight ? 'content-type, authorization' : null,
    exposeHeaders: null,
    maxAge: headers && preflight ? '600' : null,
    vary: headers ? 'Origin' : null,
    failedValue: null,
    preflightCacheChromium: preflight ? 600 : null,
    preflightCacheFirefox: preflight ? 600 : null,
    preflightCacheWebkit: preflight ? 600 : null,
    policyHash: `policy-${SERVICES.indexOf(service)}`,
    sampleWeight: detail ? 0 : 1 + zipf(200),
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    parentSpanId: detail && random() < 0.6 ? randomBytes(8).toString('hex') : '',
    userAgent: headers ? pick(USER_AGENTS) : '',
    serverAddress: headers ? `${service}.internal` : '',
  };
}
