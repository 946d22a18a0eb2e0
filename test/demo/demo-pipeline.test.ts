// `corsight demo` end to end: a real collector (embedded chDB in a temp directory) and the demo as its own
// process, its scenario sped up 8×, so the policy change comes after ~4 s and the spike from ~9 s to ~17 s.
// Afterwards the query API shows what a new user should see: every outcome, preflights, three services (one
// judged from plain OpenTelemetry HTTP spans only), the rejected origins with their reasons, the policy
// change and the origin it cut off, and the spike.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCollectorConfig, type RunningCollector, startCollector } from '@corsight/collector';
import type { CaptureStatusAnswer, TimeseriesAnswer } from '@corsight/collector/api-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runScript, type ScriptRun } from './run-script.ts';

// 160 scenario seconds: the policy change at 35 s, the spike from 75 s to 135 s, and 25 s after it.
const SPEED = 8;
const DURATION_S = 20;
const LEGACY = 'https://legacy.example.com';
const COPYCAT = 'https://shop-example.copycat.test';
// The spike's length in scenario seconds (DEMO_SPIKE in collector/src/demo/scenario.ts).
const DEMO_SPIKE_SECONDS = 60;

let dataDir: string;
let collector: RunningCollector | undefined;
let demo: ScriptRun;
let fromMs: number;

function running(): RunningCollector {
  if (collector === undefined) throw new Error('the collector did not start');
  return collector;
}

async function api<T>(path: string): Promise<T> {
  const separator = path.includes('?') ? '&' : '?';
  const response = await fetch(
    `${running().httpUrl}/api/v1/${path}${separator}from=${fromMs}&to=${Date.now() + 60_000}`,
  );
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface HttpSpanRow {
  readonly service: string;
  readonly route: string;
  readonly kind: string;
  readonly outcome: string;
  readonly requests: number;
  readonly reasons: readonly string[];
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

interface Summary {
  readonly preflights: number;
  readonly actual: number;
  readonly allowed: number;
  readonly blocked: number;
  readonly blocked_if_credentialed: number;
}
interface PolicyChanges {
  readonly changes: readonly {
    readonly service: string;
    readonly before: string;
    readonly after: string;
    readonly originsBlockedAfter: readonly { readonly origin: string; readonly blockedAfter: number }[];
  }[];
}

beforeAll(async () => {
  fromMs = Date.now() - 60_000;
  dataDir = mkdtempSync(join(tmpdir(), 'corsight-demo-'));
  // The demo loads for seconds and then waits for /readyz: it starts while the collector opens chDB.
  const port = await freePort();
  const collectorStarting = startCollector(
    readCollectorConfig({
      CORSIGHT_DATA_DIR: dataDir,
      CORSIGHT_OTLP_PORT: String(port),
      CORSIGHT_OTLP_GRPC_PORT: 'off',
      CORSIGHT_BATCH_AGE_MS: '100',
      CORSIGHT_LOG_LEVEL: 'silent',
    }),
  );
  demo = runScript('collector/src/cli/main.ts', [
    'demo',
    '--collector',
    `http://127.0.0.1:${port}`,
    '--shop-port',
    '0',
    '--catalog-port',
    '0',
    '--speed',
    String(SPEED),
    '--duration',
    String(DURATION_S),
    '--seed',
    '5',
  ]);
  collector = await collectorStarting;
  const { metrics } = collector;
  const { code } = await demo.exited;
  if (code !== 0) throw new Error(`corsight demo exited with ${String(code)}:\n${demo.output()}`);
  // The demo has exported everything before exiting; wait until the collector has stored every row it took.
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const accepted = (await metrics.spansAccepted.get()).values[0]?.value ?? 0;
    const stored = (await metrics.rowsStored.get()).values[0]?.value ?? 0;
    if (accepted > 0 && stored >= accepted) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

afterAll(async () => {
  if (demo.child.exitCode === null) demo.child.kill('SIGKILL');
  await collector?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('corsight demo', () => {
  it('says what it runs, announces the policy change and the spike, and stops by itself after --duration', () => {
    const output = demo.output();
    expect(output).toMatch(/demo services: shop-api http:\/\/127\.0\.0\.1:\d+ \(Fastify\), catalog-api/);
    expect(output).toMatch(
      /inventory-api http:\/\/127\.0\.0\.1:\d+ \(Express, plain OpenTelemetry HTTP spans/,
    );
    expect(output).toContain(
      `policy change: shop-api redeployed with a new CORS allowlist; dropped ${LEGACY}`,
    );
    expect(output).toContain(
      `spike: ${COPYCAT} → shop GET /products at 10× its rate for 60 scenario seconds`,
    );
    expect(output).toContain(`spike over: ${COPYCAT} → shop GET /products back to its usual rate`);
    expect(output.indexOf('spike:')).toBeLessThan(output.indexOf('spike over:'));
    expect(output).toMatch(
      /demo finished: \d+ page requests \(\d+ allowed, \d+ blocked\), \d+ preflights sent/,
    );
    expect(output).not.toMatch(/failed/);
  });

  it('fills the summary: preflights, actual requests, allowed, blocked and blocked-if-credentialed', async () => {
    const summary = await api<Summary>('summary');
    expect(summary.preflights).toBeGreaterThan(20);
    expect(summary.actual).toBeGreaterThan(200);
    expect(summary.allowed).toBeGreaterThan(100);
    expect(summary.blocked).toBeGreaterThan(20);
    expect(summary.blocked_if_credentialed).toBeGreaterThan(20);
  });

  it('reports three services', async () => {
    const { services } = await api<{ services: readonly { service: string }[] }>('services');
    expect(services.map((row) => row.service).sort()).toEqual(['catalog-api', 'inventory-api', 'shop-api']);
  });

  it('judges inventory-api from its plain HTTP spans: captured, with judged spans, counted exactly', async () => {
    const response = await fetch(`${running().httpUrl}/api/v1/services/capture`);
    const { services } = (await response.json()) as CaptureStatusAnswer;
    const inventory = services.find((row) => row.service === 'inventory-api');
    expect(inventory?.capture).toBe('captured');
    expect(inventory?.judged).toBeGreaterThan(50);
    // Spans that arrive before the first captured CORS response header are not judged (nothing guessed).
    expect(inventory?.judged).toBeGreaterThan(0.9 * (inventory?.httpSpans ?? 0));
    expect(inventory?.estimated).toBe(false);
    // Corsight's instrumented services send no HTTP spans: the demo's own process has no HTTP instrumentation.
    expect(services.map((row) => row.service)).toEqual(['inventory-api']);
  });

  it('stores the HTTP-span verdicts as http_span rows: allowed, refused preflights, on the route the service names', async () => {
    const result = await running().store.client.query({
      query: `SELECT service, route, kind, outcome, sum(sample_weight) AS requests, groupUniqArrayArray(reasons) AS reasons
              FROM cors_events WHERE source = 'http_span'
              GROUP BY service, route, kind, outcome ORDER BY service, route, kind, outcome`,
      format: 'JSONEachRow',
    });
    const rows = await result.json<HttpSpanRow>();
    expect(new Set(rows.map((row) => row.service))).toEqual(new Set(['inventory-api']));
    const stock = (kind: string, outcome: string) =>
      rows.find((row) => row.route === '/stock/:sku' && row.kind === kind && row.outcome === outcome);
    expect(stock('actual', 'allowed')?.requests).toBeGreaterThan(20);
    expect(stock('preflight', 'allowed')?.requests).toBeGreaterThan(0);
    // The partner is not on the inventory allowlist: its preflights are refused.
    expect(stock('preflight', 'blocked')?.reasons).toContain('missing_allow_origin');
  });

  it('shows the spike: blocked GET /products from the copycat rises tenfold for a minute, then falls back', async () => {
    // Per minute (the API's finest step) the spike is inside the run's one or two buckets: it shows as the
    // copycat's GET /products far above its usual 2 : 1 against its POST /cart.
    const { series } = await api<TimeseriesAnswer>(
      `timeseries?metric=blocked&groupBy=route&service=shop-api&origin=${encodeURIComponent(COPYCAT)}&step=1m`,
    );
    const total = (route: string) => series.find((row) => row.group === route)?.total ?? 0;
    expect(total('/cart')).toBeGreaterThan(10);
    expect(total('/products') / total('/cart')).toBeGreaterThan(5);
    // Its shape, from the stored rows per second of the run.
    const result = await running().store.client.query({
      query: `SELECT toUnixTimestamp(timestamp) AS second, sum(sample_weight) AS blocked
              FROM cors_events
              WHERE service = 'shop-api' AND origin = {origin:String} AND route = '/products' AND outcome = 'blocked'
              GROUP BY second ORDER BY second`,
      query_params: { origin: COPYCAT },
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ second: number; blocked: number }>();
    const firstSecond = rows[0]?.second ?? 0;
    const perSecond = Array.from({ length: (rows.at(-1)?.second ?? 0) - firstSecond + 1 }, () => 0);
    for (const row of rows) perSecond[row.second - firstSecond] = row.blocked;
    // Summary spans count per interval and a busy machine flushes them unevenly, so single seconds are noisy:
    // the spike is the window of its length (less an edge second each side) that holds the most.
    const window = Math.floor((DEMO_SPIKE_SECONDS - 1) / SPEED) - 1;
    const sums = perSecond.map((_blocked, start) => sum(perSecond.slice(start, start + window)));
    const start = sums.indexOf(Math.max(...sums.slice(0, perSecond.length - window)));
    const inside = sum(perSecond.slice(start, start + window)) / window;
    // Before and after it, without the run's first and last (partial) seconds and the spike's edges.
    const before = perSecond.slice(1, start - 1);
    const after = perSecond.slice(start + window + 2, -1);
    const usual = sum(before) / before.length;
    const shape = String(perSecond);
    // 75 scenario seconds of usual traffic before it.
    expect(before.length, shape).toBeGreaterThanOrEqual(Math.floor(75 / SPEED) - 3);
    expect(inside / usual, shape).toBeGreaterThan(5);
    expect(inside / usual, shape).toBeLessThan(20);
    // It ends before the run does, and the rate falls back.
    expect(after.length, shape).toBeGreaterThanOrEqual(1);
    expect(sum(after) / after.length / usual, shape).toBeLessThan(3);
  });

  it('lists the rejected origins with the reasons their misconfiguration causes', async () => {
    const { origins } = await api<{
      origins: readonly { origin: string; blocked: number; reasons: readonly { code: string }[] }[];
    }>('origins/rejected?limit=500');
    const byOrigin = new Map(origins.map((row) => [row.origin, row]));
    const reasons = (origin: string) => byOrigin.get(origin)?.reasons.map((reason) => reason.code) ?? [];
    expect(reasons('https://shop-example.copycat.test')).toContain('missing_allow_origin');
    expect(reasons('https://partner.example.net')).toEqual(
      expect.arrayContaining(['header_not_allowed', 'wildcard_origin_with_credentials']),
    );
    expect(reasons(LEGACY)).toContain('missing_allow_origin');
    // Scanner noise: the hostile origin (not a serialised origin, so counted as `invalid`), `null`, made-up hosts.
    expect(byOrigin.get('invalid')?.blocked).toBeGreaterThan(0);
    expect(origins.filter((row) => /^https:\/\/[0-9a-z]{8}\./.test(row.origin)).length).toBeGreaterThan(3);
    expect(byOrigin.has('https://shop.example.com')).toBe(false);
  });

  it('shows the policy change of the shop API and the origin it cut off', async () => {
    const { changes } = await api<PolicyChanges>('policy-changes');
    expect(changes).toHaveLength(1);
    const [change] = changes;
    expect(change?.service).toBe('shop-api');
    expect(change?.before).not.toBe(change?.after);
    expect(change?.originsBlockedAfter.map((row) => row.origin)).toEqual([LEGACY]);
    expect(change?.originsBlockedAfter[0]?.blockedAfter).toBeGreaterThan(5);
  });

  it('shows the mismatch codes behind the blocked requests and the missing Max-Age', async () => {
    const { codes } = await api<{ codes: readonly { code: string }[] }>('mismatches');
    expect(codes.map((row) => row.code)).toEqual(
      expect.arrayContaining([
        'missing_allow_origin',
        'header_not_allowed',
        'wildcard_origin_with_credentials',
        'max_age_missing',
      ]),
    );
  });
});
