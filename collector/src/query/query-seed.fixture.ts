// Generated CORS rows whose true counts the query API tests compute themselves: two services, three routes,
// five origins (one hostile), preflights and actual requests, summary rows with fractional weights,
// exemplars (weight 0) and per-request detail rows (weight 2), all three outcomes, reasons and warnings, and
// a policy change of orders-api halfway through, over three days. Weights are multiples of 1/4 so every sum
// is exact in floating point, whatever order ClickHouse adds in.
import type { CorsOutcome } from '@corsight/instrumentation';
import type { CorsEventRow } from '../ingest/cors-event-row.js';
import { eventRow } from '../ingest/cors-event-row.fixture.js';

export const T0 = Date.UTC(2026, 10, 20, 0, 0, 0);
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** orders-api switches from policy p1 to p2 here; admin.example.com is blocked from then on. */
export const POLICY_CHANGE = T0 + 36 * HOUR + 17 * 60_000 + 123;

export const HOSTILE_ORIGIN = 'https://x.test"><img src=x onerror=alert(1)>';
export const ORIGINS = [
  'https://app.example.com',
  'https://admin.example.com',
  'https://evil.test',
  'http://localhost:3000',
  HOSTILE_ORIGIN,
] as const;
export const SERVICES = ['orders-api', 'search-api'] as const;
export const ROUTES = ['/orders/:id', '/orders', '/search'] as const;

/** Max-Age sent and what each engine makes of it, per route. */
const MAX_AGE: Record<string, { sent: string | null; chromium: number; firefox: number; webkit: number }> = {
  '/orders/:id': { sent: '600', chromium: 600, firefox: 600, webkit: 600 },
  '/orders': { sent: null, chromium: 5, firefox: 0, webkit: 5 },
  '/search': { sent: '86400', chromium: 7200, firefox: 86_400, webkit: 600 },
};

const WEIGHTS = [1, 2, 0.5, 0.25, 4, 1.5, 3, 0.75];

function generator(seed: number): () => number {
  let state = seed;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

function hex(random: () => number, length: number): string {
  let text = '';
  while (text.length < length) text += Math.floor(random() * 16).toString(16);
  return text;
}

interface Verdict {
  readonly outcome: CorsOutcome;
  readonly reasons: readonly string[];
  readonly warnings: readonly string[];
}

function judge(
  service: string,
  origin: string,
  kind: 'preflight' | 'actual',
  timestamp: number,
  route: string,
): Verdict {
  const warnings = kind === 'preflight' && MAX_AGE[route]?.sent === null ? ['max_age_missing'] : [];
  // A code seen only on the first half day: the newest examples of it are not in the last day.
  if (kind === 'preflight' && service === 'search-api' && timestamp < T0 + 12 * HOUR) {
    warnings.push('preflight_unmatched_route');
  }
  if (origin === 'https://evil.test' || origin === HOSTILE_ORIGIN) {
    return { outcome: 'blocked', reasons: ['allow_origin_mismatch'], warnings };
  }
  if (origin === 'https://admin.example.com' && service === 'orders-api' && timestamp >= POLICY_CHANGE) {
    return { outcome: 'blocked', reasons: ['missing_allow_origin'], warnings };
  }
  if (origin === 'http://localhost:3000') {
    return {
      outcome: 'blocked_if_credentialed',
      reasons: ['wildcard_origin_with_credentials'],
      warnings: [...warnings, 'credentials_for_insecure_origin'],
    };
  }
  return {
    outcome: 'allowed',
    reasons: [],
    warnings: kind === 'actual' ? ['missing_vary_origin'] : warnings,
  };
}

/** The three days from T0 (default), or `days` days from `start`, with its own `seed`. */
export function seedRows(count = 3000, start = T0, days = 3, seed = 0x5eed1234): CorsEventRow[] {
  const random = generator(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const rows: CorsEventRow[] = [];
  for (let i = 0; i < count; i += 1) {
    const service = pick(SERVICES);
    const route = service === 'search-api' ? '/search' : pick(ROUTES.slice(0, 2));
    const origin = pick(ORIGINS);
    const kind = random() < 0.35 ? 'preflight' : 'actual';
    // Every fifth row lands exactly on a minute (range edges must count it once, in the right minute).
    const offset = Math.floor(random() * days * DAY);
    const timestamp = i % 5 === 0 ? start + Math.floor(offset / 60_000) * 60_000 : start + offset;
    const roleRoll = random();
    const role = roleRoll < 0.7 ? 'summary' : roleRoll < 0.9 ? 'exemplar' : 'per-request';
    const asked = pick(['PUT', 'DELETE', 'PATCH']);
    const method = kind === 'preflight' ? 'OPTIONS' : pick(['GET', 'PUT', 'DELETE']);
    const verdict = judge(service, origin, kind, timestamp, route);
    const detail = role !== 'summary';
    const cache = MAX_AGE[route] ?? { sent: null, chromium: 5, firefox: 0, webkit: 5 };
    const allowed = verdict.outcome !== 'blocked';
    rows.push(
      eventRow({
        timestamp,
        service,
        spanRole: detail ? 'detail' : 'summary',
        kind,
        route,
        origin,
        method,
        requestMethod: kind === 'preflight' ? asked : '',
        outcome: verdict.outcome,
        reasons: verdict.reasons,
        warnings: verdict.warnings,
        hints: [],
        credentials: pick(['include', 'omit', 'unknown'] as const),
        needsPreflight: kind === 'actual' ? method !== 'GET' : null,
        requestHeaders: detail ? ['content-type', 'x-trace'] : [],
        responseStatus: detail ? (kind === 'preflight' ? 204 : 200) : 0,
        allowOrigin: detail && allowed ? origin : null,
        allowCredentials: detail && allowed ? 'true' : null,
        allowMethods: detail && kind === 'preflight' && allowed ? 'GET, PUT, DELETE, PATCH' : null,
        allowHeaders: detail && kind === 'preflight' && allowed ? 'content-type, x-trace' : null,
        exposeHeaders: null,
        maxAge: detail && kind === 'preflight' && allowed ? cache.sent : null,
        vary: detail ? 'Origin' : null,
        failedValue: null,
        preflightCacheChromium: kind === 'preflight' && allowed ? cache.chromium : null,
        preflightCacheFirefox: kind === 'preflight' && allowed ? cache.firefox : null,
        preflightCacheWebkit: kind === 'preflight' && allowed ? cache.webkit : null,
        policyHash: service === 'orders-api' ? (timestamp >= POLICY_CHANGE ? 'p2' : 'p1') : 's1',
        sampleWeight: role === 'exemplar' ? 0 : role === 'per-request' ? 2 : pick(WEIGHTS),
        traceId: hex(random, 32),
        spanId: hex(random, 16),
        parentSpanId: detail ? hex(random, 16) : '',
      }),
    );
  }
  // Two exemplars of one key that sent another Max-Age: the key's most common value must still win. The key
  // with the most such rows in the last day, over which the Max-Age sent is read.
  const samples = new Map<string, CorsEventRow[]>();
  for (const row of rows) {
    if (row.spanRole !== 'detail' || row.kind !== 'preflight' || row.route !== '/orders/:id') continue;
    if (row.outcome === 'blocked' || row.timestamp < T0 + 2 * DAY) continue;
    const key = JSON.stringify([row.origin, row.requestMethod]);
    samples.set(key, [...(samples.get(key) ?? []), row]);
  }
  const [key] = [...samples.values()].sort((a, b) => b.length - a.length)[0] ?? [];
  if (key !== undefined) {
    for (const n of [1, 2]) {
      rows.push({ ...key, maxAge: '60', sampleWeight: 0, spanId: `00000000000000a${n}` });
    }
  }
  return rows;
}
