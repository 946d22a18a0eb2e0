import { describe, expect, it } from 'vitest';
import {
  type BrowserPersona,
  DEMO_ORIGINS,
  DEMO_SCENARIO,
  DEMO_SPIKE,
  HOSTILE_ORIGIN,
  pageRouteRateAt,
  POLICY_CHANGE_LATEST_SECOND,
  POLICY_CHANGE_SECOND,
  policyChangeSecond,
  policyPhaseAt,
  rateAt,
  type RateSchedule,
  spikePersona,
  type TrafficSpike,
  withPolicyChangeAt,
} from './scenario.js';

describe('rateAt', () => {
  const schedule: RateSchedule = [
    { fromSecond: 0, perSecond: 2 },
    { fromSecond: 60, perSecond: 20 },
    { fromSecond: 90, perSecond: 0 },
  ];
  it.each([
    [0, 2],
    [59.9, 2],
    [60, 20],
    [89, 20],
    [90, 0],
    [1e6, 0],
  ])('at second %d the rate is %d', (second, rate) => {
    expect(rateAt(schedule, second)).toBe(rate);
  });

  it('is 0 before the first phase starts', () => {
    expect(rateAt([{ fromSecond: 10, perSecond: 5 }], 9)).toBe(0);
  });
});

describe('policyPhaseAt', () => {
  it.each([
    [0, 0],
    [POLICY_CHANGE_SECOND - 0.001, 0],
    [POLICY_CHANGE_SECOND, 1],
    [3600, 1],
  ])('at second %d the shop runs policy phase %d', (second, phase) => {
    expect(policyPhaseAt(DEMO_SCENARIO, second)).toBe(phase);
  });
});

describe('policyChangeSecond', () => {
  const minute = Date.UTC(2026, 10, 28, 18, 3);
  it.each([
    // Started early in a minute: the change waits for its 57th second, so that minute (the rules' only
    // earlier traffic on a fresh store) holds at most 3 s of blocked requests.
    [0, 57],
    [11, 46],
    [21.5, 35.5],
    // 35 s in falls at second 57 or later, or in the next minute: no wait.
    [22, 35],
    [40, 35],
    [59.9, 35],
  ])('puts the change of a demo started at second %d of a minute %d s in', (startSecond, expected) => {
    const second = policyChangeSecond(minute + startSecond * 1000, 1);
    expect(second).toBeCloseTo(expected, 6);
    expect(second).toBeLessThanOrEqual(POLICY_CHANGE_LATEST_SECOND);
    const changeSecondOfMinute = (startSecond + second) % 60;
    expect(changeSecondOfMinute >= 57 || startSecond + second >= 60).toBe(true);
  });

  it('keeps 35 s at other speeds, whose scenario seconds are not the rules minutes', () => {
    expect(policyChangeSecond(minute, 10)).toBe(POLICY_CHANGE_SECOND);
  });

  it('moves only the policy change', () => {
    const moved = withPolicyChangeAt(DEMO_SCENARIO, 50);
    expect(moved.shopPolicy.map((phase) => phase.fromSecond)).toEqual([0, 50]);
    expect(moved.shopPolicy.map((phase) => phase.allowedOrigins)).toEqual(
      DEMO_SCENARIO.shopPolicy.map((phase) => phase.allowedOrigins),
    );
    expect(moved.personas).toBe(DEMO_SCENARIO.personas);
    expect(policyPhaseAt(moved, 49.9)).toBe(0);
    expect(policyPhaseAt(moved, 50)).toBe(1);
  });
});

describe('DEMO_SCENARIO', () => {
  const browsers = DEMO_SCENARIO.personas.filter((persona) => persona.kind === 'browser');
  const scanners = DEMO_SCENARIO.personas.filter((persona) => persona.kind === 'scanner');

  it('changes the policy 30–40 s in, so a new user sees it within a minute', () => {
    expect(POLICY_CHANGE_SECOND).toBeGreaterThanOrEqual(30);
    expect(POLICY_CHANGE_SECOND).toBeLessThanOrEqual(40);
    expect(DEMO_SCENARIO.shopPolicy.map((phase) => phase.fromSecond)).toEqual([0, POLICY_CHANGE_SECOND]);
  });

  it('drops exactly the legacy storefront, which keeps calling the shop after the change', () => {
    const [before, after] = DEMO_SCENARIO.shopPolicy;
    const dropped = before?.allowedOrigins.filter((origin) => !after?.allowedOrigins.includes(origin));
    expect(dropped).toEqual([DEMO_ORIGINS.legacy]);
    const legacy = browsers.find((persona) => persona.origin === DEMO_ORIGINS.legacy);
    expect(rateAt(legacy?.rate ?? [], POLICY_CHANGE_SECOND + 10)).toBeGreaterThan(0);
    expect(legacy?.fetches.every((fetch) => fetch.service === 'shop')).toBe(true);
  });

  it('has a page on an origin the shop never allowed', () => {
    const allowedEver = new Set(DEMO_SCENARIO.shopPolicy.flatMap((phase) => phase.allowedOrigins));
    const rejected = browsers.filter(
      (persona) =>
        !allowedEver.has(persona.origin) && persona.fetches.some((fetch) => fetch.service === 'shop'),
    );
    expect(new Set(rejected.map((persona) => persona.origin))).toEqual(new Set([DEMO_ORIGINS.copycat]));
  });

  it('has a preflight-heavy page: custom headers or non-safelisted methods on most of its calls', () => {
    const admin = browsers.find((persona) => persona.origin === DEMO_ORIGINS.admin);
    const preflighted = admin?.fetches.filter(
      (fetch) =>
        !['GET', 'HEAD', 'POST'].includes(fetch.method) ||
        fetch.headers.some(([name]) => name.toLowerCase().startsWith('x-')),
    );
    expect(preflighted?.length).toBe(admin?.fetches.length);
  });

  it('has a misconfigured partner: a header the shop does not allow and cookies to the wildcard catalog', () => {
    const partner = browsers.find((persona) => persona.origin === DEMO_ORIGINS.partner);
    expect(partner?.fetches.some((fetch) => fetch.headers.some(([name]) => name === 'X-Partner-Key'))).toBe(
      true,
    );
    expect(
      partner?.fetches.some((fetch) => fetch.service === 'catalog' && fetch.credentials === 'include'),
    ).toBe(true);
    expect(partner?.cookie).toBeDefined();
  });

  it('sends the hostile origin among the scanner noise', () => {
    expect(scanners).toHaveLength(1);
    expect(scanners[0]?.origins).toContain(HOSTILE_ORIGIN);
    expect(scanners[0]?.randomOriginShare).toBeGreaterThan(0);
  });

  it('starts every persona but the spike at once and stays at tens of requests per second', () => {
    for (const persona of DEMO_SCENARIO.personas) {
      expect(rateAt(persona.rate, 0) > 0, persona.name).toBe(persona.name !== 'copycat price widget');
    }
    const total = DEMO_SCENARIO.personas.reduce((sum, persona) => sum + rateAt(persona.rate, 0), 0);
    expect(total).toBeGreaterThanOrEqual(10);
    expect(total).toBeLessThanOrEqual(50);
  });
});

describe('the inventory API (plain OpenTelemetry HTTP spans)', () => {
  const browsers = DEMO_SCENARIO.personas.filter((persona) => persona.kind === 'browser');
  const inventoryCalls = browsers.flatMap((persona) =>
    persona.fetches
      .filter((fetch) => fetch.service === 'inventory')
      .map((fetch) => ({ origin: persona.origin, fetch })),
  );

  it('allows the storefront and the admin app, not the partner', () => {
    expect(DEMO_SCENARIO.inventoryAllowedOrigins).toEqual([DEMO_ORIGINS.storefront, DEMO_ORIGINS.admin]);
  });

  it('is called by allowed pages, by a refused one, and with a method that is always preflighted', () => {
    const allowed = inventoryCalls.filter(({ origin }) =>
      DEMO_SCENARIO.inventoryAllowedOrigins.includes(origin),
    );
    const refused = inventoryCalls.filter(
      ({ origin }) => !DEMO_SCENARIO.inventoryAllowedOrigins.includes(origin),
    );
    expect(allowed.some(({ fetch }) => fetch.method === 'GET' && fetch.headers.length === 0)).toBe(true);
    expect(allowed.some(({ fetch }) => fetch.method === 'PATCH')).toBe(true);
    expect(refused.map(({ origin }) => origin)).toEqual([DEMO_ORIGINS.partner]);
  });

  it('is probed by the scanner too', () => {
    const scanner = DEMO_SCENARIO.personas.find((persona) => persona.kind === 'scanner');
    expect(scanner?.services).toContain('inventory');
  });
});

describe('DEMO_SPIKE', () => {
  const { route } = DEMO_SPIKE;
  const rate = (second: number) => pageRouteRateAt(DEMO_SCENARIO, route, second);
  const usual = rate(0);

  it('comes after a minute of usual traffic and after the policy change, and lasts a minute', () => {
    expect(DEMO_SPIKE.fromSecond).toBeGreaterThanOrEqual(60);
    expect(DEMO_SPIKE.fromSecond).toBeGreaterThan(POLICY_CHANGE_LATEST_SECOND + 15);
    expect(DEMO_SPIKE.toSecond - DEMO_SPIKE.fromSecond).toBe(60);
    expect(DEMO_SPIKE.factor).toBe(10);
  });

  it('is refused traffic: its origin is never on the shop allowlist', () => {
    for (const phase of DEMO_SCENARIO.shopPolicy) expect(phase.allowedOrigins).not.toContain(route.origin);
    expect(route.service).toBe('shop');
  });

  it.each([
    ['before it', DEMO_SPIKE.fromSecond - 0.001, 1],
    ['at its start', DEMO_SPIKE.fromSecond, DEMO_SPIKE.factor],
    ['in its middle', (DEMO_SPIKE.fromSecond + DEMO_SPIKE.toSecond) / 2, DEMO_SPIKE.factor],
    ['just before its end', DEMO_SPIKE.toSecond - 0.001, DEMO_SPIKE.factor],
    ['at its end', DEMO_SPIKE.toSecond, 1],
    ['an hour later', 3600, 1],
  ])('multiplies the route’s usual rate %s by the factor or not (%d s: ×%d)', (_when, second, ratio) => {
    expect(usual).toBeGreaterThan(0);
    expect(rate(second) / usual).toBeCloseTo(ratio, 9);
  });

  it("leaves the origin's other routes alone", () => {
    const cart = { ...route, method: 'POST', path: '/cart' };
    const usualCart = pageRouteRateAt(DEMO_SCENARIO, cart, 0);
    expect(usualCart).toBeGreaterThan(0);
    expect(pageRouteRateAt(DEMO_SCENARIO, cart, DEMO_SPIKE.fromSecond + 1)).toBe(usualCart);
  });
});

describe('spikePersona', () => {
  const base: BrowserPersona = {
    kind: 'browser',
    name: 'page',
    origin: 'https://a.test',
    rate: [{ fromSecond: 0, perSecond: 4 }],
    fetches: [
      { service: 'shop', method: 'GET', path: '/a', headers: [], credentials: 'omit', weight: 3 },
      { service: 'shop', method: 'GET', path: '/b', headers: [], credentials: 'omit', weight: 1 },
    ],
  };
  const spike: TrafficSpike = {
    route: { origin: 'https://a.test', service: 'shop', method: 'GET', path: '/b' },
    fromSecond: 10,
    toSecond: 20,
    factor: 5,
  };

  it("sends (factor − 1) × the base's rate on the route, only inside the window, only to that route", () => {
    const extra = spikePersona(base, spike, 'extra');
    // The base sends 4/s × 1/4 = 1/s to /b: the extra page adds 4/s.
    expect(extra.rate).toEqual([
      { fromSecond: 0, perSecond: 0 },
      { fromSecond: 10, perSecond: 4 },
      { fromSecond: 20, perSecond: 0 },
    ]);
    expect(extra.fetches.map((fetch) => fetch.path)).toEqual(['/b']);
    expect(extra.origin).toBe(base.origin);
  });

  it('refuses a route the base page does not call, or another origin', () => {
    expect(() => spikePersona(base, { ...spike, route: { ...spike.route, path: '/c' } }, 'x')).toThrow(
      /not one that page calls/,
    );
    expect(() =>
      spikePersona(base, { ...spike, route: { ...spike.route, origin: 'https://b.test' } }, 'x'),
    ).toThrow(/not one that page calls/);
  });
});
