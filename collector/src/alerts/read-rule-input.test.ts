// The SQL adapters against chDB seeded with known per-minute traffic: each rule kind's input has exactly the
// counts the rows hold (blocked only as blocked, blocked_if_credentialed with allowed), the seasonal samples
// at the instants seasonalSampleEnds names, the lookback before the window, the top reasons and the policy
// change, and the filter globs select by LIKE; read on its own (a rule's own queries) or with other rules
// (the cycle's shared reads), a rule gets the same input.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventStore, type ClickHouseEventStore } from '../store/create-event-store.js';
import { evaluateRule, INACTIVE } from './alert-evaluator.js';
import type { GroupWindow, RuleEvaluationInput } from './alert-input.js';
import { keyId } from './alert-key.js';
import { parseAlertRule, type AlertRule, type AlertRuleSpec } from './alert-rule.js';
import { DAY, MINUTE, storeRows, trafficRows, type Traffic } from './alert-store.fixture.js';
import { emptySeasonalBand, readCycleInputs, readRuleInput, type CycleContext } from './read-cycle-inputs.js';
import {
  readFirstStoredMinute,
  readPolicyChanges,
  PRIOR_REUSE_MS,
  SEASONAL_AHEAD_MS,
} from './read-rule-input.js';
import { readRecentTraffic } from './recent-traffic.js';

/** Monday 2026-11-16 12:00 UTC. */
const NOW = Date.UTC(2026, 10, 16, 12, 0);
const APP = 'https://app.example.com';
const FRESH = 'https://fresh.example.com';
const PARTNER = 'https://shop.partner.test';
const SCANNER = 'https://scan.evil.test';
const RETURNED = 'https://returned.example.com';

const streams: Traffic[] = [
  // History starts ten days back (one quiet allowed minute).
  { origin: 'https://old.example.com', fromMs: NOW - 10 * DAY, toMs: NOW - 10 * DAY + MINUTE, allowed: 1 },
  // APP: a blocked trickle of 2 per minute in the same 5 minutes of each of the last 7 days…
  ...Array.from({ length: 7 }, (_, day) => ({
    origin: APP,
    fromMs: NOW - (day + 1) * DAY - 5 * MINUTE,
    toMs: NOW - (day + 1) * DAY,
    blocked: 2,
  })),
  // …and now 10 blocked, 4 allowed and 1 blocked_if_credentialed per minute.
  {
    origin: APP,
    fromMs: NOW - 5 * MINUTE,
    toMs: NOW,
    blocked: 10,
    allowed: 4,
    blockedIfCredentialed: 1,
    reason: 'allow_origin_mismatch',
  },
  { origin: APP, fromMs: NOW - 2 * MINUTE, toMs: NOW, blocked: 1, reason: 'credentials_not_allowed' },
  // A brand-new origin, blocked 30 times in the last 10 minutes.
  { origin: FRESH, fromMs: NOW - 10 * MINUTE, toMs: NOW, blocked: 3 },
  // A partner allowed yesterday, blocked since a policy change 3 minutes ago.
  { origin: PARTNER, fromMs: NOW - DAY, toMs: NOW - DAY + 50 * MINUTE, allowed: 2, policyHash: 'p1' },
  { origin: PARTNER, fromMs: NOW - 3 * MINUTE, toMs: NOW, blocked: 8, policyHash: 'p2' },
  // A scanner: 3 blocked requests, under every floor.
  { origin: SCANNER, fromMs: NOW - 3 * MINUTE, toMs: NOW, blocked: 1, service: 'search-api' },
  // Allowed again (an alert of it resolves on this).
  { origin: RETURNED, fromMs: NOW - 5 * MINUTE, toMs: NOW, allowed: 6 },
];

let dir: string;
let store: ClickHouseEventStore | undefined;
let context: CycleContext;
/** The same, with the cycle's shared minutes: rules cut their windows from them in memory. */
let shared: CycleContext;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'corsight-rule-input-'));
  store = await createEventStore({ clickhouse: { kind: 'chdb', dataDir: join(dir, 'data') } });
  await storeRows(store, trafficRows(streams));
  const client = store.client;
  context = {
    historyFromMs: await readFirstStoredMinute(client),
    policyChanges: () => readPolicyChanges(client, NOW - 2 * 3_600_000, NOW + MINUTE),
  };
  shared = { ...context, recent: await readRecentTraffic(client, NOW - 15 * MINUTE, NOW) };
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

function client() {
  if (store === undefined) throw new Error('chDB did not open');
  return store.client;
}

function rule(spec: Partial<AlertRuleSpec> & Pick<AlertRuleSpec, 'kind'>) {
  return parseAlertRule({ id: 'r', name: 'r', ...spec });
}

function byOrigin(input: RuleEvaluationInput): Map<string | undefined, GroupWindow> {
  return new Map(input.groups.map((group) => [group.key.origin, group]));
}

describe.each([
  ['its own queries', () => context],
  ['the shared recent minutes', () => shared],
] as const)('readRuleInput with %s', (_, contextOf) => {
  it('finds the first stored minute', () => {
    expect(contextOf().historyFromMs).toBe(NOW - 10 * DAY);
  });

  it('rejected_spike: window counts, blocked only as blocked, seasonal samples and top reasons', async () => {
    const spike = rule({ kind: 'rejected_spike', window: '5m', baseline: '7d', minCount: 20, for: '0m' });
    const input = await readRuleInput(client(), spike, NOW, contextOf());
    const groups = byOrigin(input);
    expect([...groups.keys()].sort()).toEqual([APP, FRESH, PARTNER, SCANNER].sort());
    const app = groups.get(APP);
    expect(app).toMatchObject({
      key: { service: 'orders-api', origin: APP },
      blocked: 52,
      allowed: 25,
      firstBlockedMs: NOW - 5 * MINUTE,
      topReasons: [
        { code: 'allow_origin_mismatch', requests: 50 },
        { code: 'credentials_not_allowed', requests: 2 },
      ],
    });
    expect(app?.seasonal?.daily).toEqual([10, 10, 10, 10, 10, 10, 10]);
    // Week one at ±30 minutes in 5-minute steps: only the instant a week back had blocked traffic.
    expect(app?.seasonal?.weekly).toEqual([0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0]);
    // Under the floor: no history read, no reasons.
    expect(groups.get(SCANNER)).toEqual({
      key: { service: 'search-api', origin: SCANNER },
      blocked: 3,
      allowed: 0,
      firstBlockedMs: NOW - 3 * MINUTE,
    });
    const result = evaluateRule(spike, input, INACTIVE);
    // APP is 52 against a baseline of 10 (threshold 3 × 10); PARTNER has no blocked history at all.
    const fired = new Map(result.transitions.map((t) => [t.key.origin, t]));
    expect([...fired.keys()].sort()).toEqual([APP, PARTNER].sort());
    expect(fired.get(APP)?.condition).toMatchObject({ baseline: 10, threshold: 30 });
    expect(fired.get(PARTNER)?.condition).toMatchObject({ baseline: 0, threshold: 20 });
  });

  it('new_rejected_origin: a never-seen origin has an empty past, a known one its lookback', async () => {
    const fresh = rule({ kind: 'new_rejected_origin', window: '10m', lookback: '30d', minCount: 20 });
    const groups = byOrigin(await readRuleInput(client(), fresh, NOW, contextOf()));
    const span = 10 * DAY - 10 * MINUTE;
    expect(groups.get(FRESH)?.prior).toEqual({ allowed: 0, blocked: 0, spanMs: span });
    expect(groups.get(APP)?.prior).toEqual({ allowed: 0, blocked: 70, spanMs: span });
    expect(groups.get(PARTNER)?.prior).toEqual({ allowed: 100, blocked: 0, spanMs: span });
  });

  it('reads the lookback from the rollups when the rule involves routes', async () => {
    const byRoute = rule({
      kind: 'new_rejected_origin',
      window: '10m',
      minCount: 20,
      groupBy: ['route', 'origin'],
    });
    const groups = byOrigin(await readRuleInput(client(), byRoute, NOW, contextOf()));
    expect(groups.get(FRESH)).toMatchObject({ key: { route: '/orders', origin: FRESH }, blocked: 30 });
    expect(groups.get(FRESH)?.prior).toMatchObject({ allowed: 0, blocked: 0 });
  });

  it('newly_blocked_origin: the lookback before the window and the policy change', async () => {
    const newly = rule({
      kind: 'newly_blocked_origin',
      window: '5m',
      lookback: '7d',
      minCount: 10,
      for: '0m',
    });
    const input = await readRuleInput(client(), newly, NOW, contextOf());
    const partner = byOrigin(input).get(PARTNER);
    expect(partner).toMatchObject({ blocked: 24, allowed: 0 });
    expect(partner?.prior).toEqual({ allowed: 100, blocked: 0, spanMs: 7 * DAY - 5 * MINUTE });
    expect(input.policyChanges).toEqual([
      { service: 'orders-api', atMs: NOW - 3 * MINUTE + 7_000, before: 'p1', after: 'p2' },
    ]);
    const result = evaluateRule(newly, input, INACTIVE);
    const firing = result.notifications.find((n) => n.instances[0]?.key.origin === PARTNER);
    expect(firing?.instances[0]?.policyChange).toMatchObject({ before: 'p1', after: 'p2' });
  });

  it('reads the group of an instance the rule has while it has traffic, allowed only included', async () => {
    const newly = rule({ kind: 'newly_blocked_origin', window: '5m', lookback: '7d', minCount: 10 });
    expect(byOrigin(await readRuleInput(client(), newly, NOW, contextOf())).has(RETURNED)).toBe(false);
    const key = { service: 'orders-api', origin: RETURNED };
    const known = new Map([[keyId(key), { key }]]);
    const input = await readRuleInput(client(), newly, NOW, contextOf(), { known });
    expect(byOrigin(input).get(RETURNED)).toMatchObject({ key, blocked: 0, allowed: 30 });
  });

  it('reads no lookback for an instance the rule already has, and reuses one read minutes ago', async () => {
    const newly = rule({ kind: 'newly_blocked_origin', window: '5m', lookback: '7d', minCount: 10 });
    const partnerId = keyId({ service: 'orders-api', origin: PARTNER });
    const skipped = await readRuleInput(client(), newly, NOW, contextOf(), {
      known: new Map([[partnerId, { key: { service: 'orders-api', origin: PARTNER } }]]),
    });
    expect(byOrigin(skipped).get(PARTNER)?.prior).toBeUndefined();
    const remembered = { allowed: 1, blocked: 2, spanMs: 3 };
    const recentRead = new Map([[partnerId, { prior: remembered, readAtMs: NOW - PRIOR_REUSE_MS + MINUTE }]]);
    const reused = await readRuleInput(client(), newly, NOW, contextOf(), { priors: recentRead });
    expect(byOrigin(reused).get(PARTNER)?.prior).toEqual(remembered);
    const staleRead = new Map([[partnerId, { prior: remembered, readAtMs: NOW - PRIOR_REUSE_MS }]]);
    const reread = await readRuleInput(client(), newly, NOW, contextOf(), { priors: staleRead });
    const prior = { allowed: 100, blocked: 0, spanMs: 7 * DAY - 5 * MINUTE };
    expect(byOrigin(reread).get(PARTNER)?.prior).toEqual(prior);
    expect(staleRead.get(partnerId)).toEqual({ prior, readAtMs: NOW });
  });

  it('selects by the filter globs and groups by nothing when groupBy is empty', async () => {
    const partners = rule({
      kind: 'blocked_ratio',
      ratio: 0.5,
      minCount: 1,
      filter: { origin: 'https://*.partner.test', service: 'orders-*' },
      groupBy: ['origin'],
    });
    const input = await readRuleInput(client(), partners, NOW, contextOf());
    expect(input.groups.map((group) => keyId(group.key))).toEqual([keyId({ origin: PARTNER })]);
    const all = rule({ kind: 'blocked_ratio', ratio: 0.5, minCount: 1, groupBy: [] });
    const total = await readRuleInput(client(), all, NOW, contextOf());
    expect(total.groups).toMatchObject([{ key: {}, blocked: 52 + 15 + 24 + 3, allowed: 25 + 30 }]);
    // A literal `_` or `%` in a filter is not a wildcard.
    const literal = rule({
      kind: 'blocked_ratio',
      ratio: 0.5,
      minCount: 1,
      filter: { service: 'orders_api' },
    });
    expect((await readRuleInput(client(), literal, NOW, contextOf())).groups).toEqual([]);
  });
});

describe('readRuleInput with its own queries', () => {
  it('rejected_spike: keeps the seasonal minutes it read for the next evaluations of the hour', async () => {
    const spike = rule({ kind: 'rejected_spike', window: '5m', baseline: '7d', minCount: 20 });
    const seasonal = { fromMs: 0, untilMs: 0, groups: new Map<string, Map<number, number>>() };
    const first = await readRuleInput(client(), spike, NOW, context, { seasonal });
    expect(byOrigin(first).get(APP)?.seasonal?.daily).toEqual([10, 10, 10, 10, 10, 10, 10]);
    expect(seasonal).toMatchObject({ fromMs: NOW, untilMs: NOW + SEASONAL_AHEAD_MS });
    const appId = keyId({ service: 'orders-api', origin: APP });
    // The same minutes a day back, as remembered: 7 per minute. Read from memory, not from ClickHouse.
    const remembered = new Map(
      Array.from({ length: 5 }, (_, i) => [NOW - DAY - (i + 1) * MINUTE, 7] as const),
    );
    seasonal.groups.set(appId, remembered);
    const second = await readRuleInput(client(), spike, NOW, context, { seasonal });
    expect(byOrigin(second).get(APP)?.seasonal?.daily).toEqual([35, 0, 0, 0, 0, 0, 0]);
    // Read for an hour that has passed: read again.
    const stale = {
      fromMs: NOW - 2 * SEASONAL_AHEAD_MS,
      untilMs: NOW - SEASONAL_AHEAD_MS,
      groups: new Map([[appId, remembered]]),
    };
    const third = await readRuleInput(client(), spike, NOW, context, { seasonal: stale });
    expect(byOrigin(third).get(APP)?.seasonal?.daily).toEqual([10, 10, 10, 10, 10, 10, 10]);
    expect(stale.fromMs).toBe(NOW);
  });
});

describe('readRuleInput with the shared recent minutes', () => {
  it('rejected_spike: keeps the band of seasonal minutes for the next evaluations of the hour', async () => {
    const spike = rule({ kind: 'rejected_spike', window: '5m', baseline: '7d', minCount: 20 });
    const seasonalBand = emptySeasonalBand();
    const withBand = { ...shared, seasonalBand };
    const first = await readRuleInput(client(), spike, NOW, withBand);
    expect(byOrigin(first).get(APP)?.seasonal?.daily).toEqual([10, 10, 10, 10, 10, 10, 10]);
    expect(seasonalBand).toMatchObject({ fromMs: NOW, untilMs: NOW + SEASONAL_AHEAD_MS });
    // The same minutes a day back, as remembered: 7 per minute. Read from memory, not from ClickHouse.
    const app = seasonalBand.series.get(keyId({ service: 'orders-api', origin: APP }));
    app?.minutes.clear();
    for (let i = 1; i <= 5; i += 1) app?.minutes.set(NOW - DAY - i * MINUTE, 7);
    const second = await readRuleInput(client(), spike, NOW, withBand);
    expect(byOrigin(second).get(APP)?.seasonal?.daily).toEqual([35, 0, 0, 0, 0, 0, 0]);
    // Another set of spike rules (grouped by service only) needs other columns: the band is read afresh.
    const perService = rule({ kind: 'rejected_spike', groupBy: ['service'], window: '5m', minCount: 20 });
    const services = await readRuleInput(client(), perService, NOW, withBand);
    const orders = services.groups.find((group) => group.key.service === 'orders-api');
    expect(orders?.seasonal?.daily).toEqual([10, 10, 10, 10, 10, 10, 10]);
    expect(seasonalBand.series.has(keyId({ service: 'orders-api', origin: APP }))).toBe(false);
    // A band read for an hour that has passed is read again.
    seasonalBand.fromMs = NOW - 2 * SEASONAL_AHEAD_MS;
    seasonalBand.untilMs = NOW - SEASONAL_AHEAD_MS;
    const third = await readRuleInput(client(), spike, NOW, withBand);
    expect(byOrigin(third).get(APP)?.seasonal?.daily).toEqual([10, 10, 10, 10, 10, 10, 10]);
    expect(seasonalBand.fromMs).toBe(NOW);
  });
});

describe('readCycleInputs', () => {
  const specs: (Partial<AlertRuleSpec> & Pick<AlertRuleSpec, 'kind'>)[] = [
    { kind: 'rejected_spike', window: '5m', minCount: 20 },
    { kind: 'rejected_spike', window: '15m', minCount: 20, groupBy: ['service'] },
    { kind: 'rejected_spike', window: '10m', minCount: 5, filter: { origin: 'https://*.example.com' } },
    { kind: 'new_rejected_origin', window: '10m', lookback: '30d', minCount: 20 },
    { kind: 'new_rejected_origin', window: '5m', lookback: '2d', minCount: 10, groupBy: ['route', 'origin'] },
    { kind: 'newly_blocked_origin', window: '5m', lookback: '7d', minCount: 10 },
    { kind: 'newly_blocked_origin', window: '15m', lookback: '1h', minCount: 10 },
    { kind: 'blocked_ratio', ratio: 0.5, minCount: 1 },
  ];
  const rules: AlertRule[] = specs.map((spec, index) =>
    parseAlertRule({ id: `r${String(index)}`, name: `r${String(index)}`, ...spec }),
  );

  it('gives every rule, read together, the input its own queries give it', async () => {
    const together = await readCycleInputs(
      client(),
      rules.map((each) => ({ rule: each })),
      NOW,
      { ...shared, seasonalBand: emptySeasonalBand() },
    );
    for (const [index, each] of rules.entries()) {
      const alone = await readRuleInput(client(), each, NOW, context);
      const read = together[index];
      if (read === undefined || read instanceof Error) throw new Error(`rule ${each.id}: ${String(read)}`);
      const byKey = (input: RuleEvaluationInput): Map<string, GroupWindow> =>
        new Map(input.groups.map((group) => [keyId(group.key), group]));
      expect(byKey(read), each.id).toEqual(byKey(alone));
      expect(read.policyChanges, each.id).toEqual(alone.policyChanges);
    }
  });
});
