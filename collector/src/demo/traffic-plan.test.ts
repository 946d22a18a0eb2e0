import { describe, expect, it } from 'vitest';
import { DEMO_ORIGINS, DEMO_SCENARIO, DEMO_SPIKE, HOSTILE_ORIGIN, type Scenario } from './scenario.js';
import { type PlannedRequest, seededRandom, TrafficPlan } from './traffic-plan.js';

function originOf(request: PlannedRequest): string {
  if (request.kind === 'page') return request.persona.origin;
  return request.headers.find(([name]) => name === 'Origin')?.[1] ?? '';
}

function plan(scenario: Scenario, seed: number, untilMs: number): PlannedRequest[] {
  return new TrafficPlan(scenario, seed).due(untilMs);
}

const oneMinute = plan(DEMO_SCENARIO, 7, 60_000);

describe('seededRandom', () => {
  it('repeats for a seed, differs across seeds, stays in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const first = Array.from({ length: 100 }, () => a());
    expect(Array.from({ length: 100 }, () => b())).toEqual(first);
    expect(Array.from({ length: 100 }, () => c())).not.toEqual(first);
    expect(first.every((value) => value >= 0 && value < 1)).toBe(true);
  });
});

describe('TrafficPlan', () => {
  it('reproduces the same traffic from the same seed, and other traffic from another', () => {
    const again = plan(DEMO_SCENARIO, 7, 60_000);
    expect(again.map((r) => [r.atMs, r.method, r.path])).toEqual(
      oneMinute.map((r) => [r.atMs, r.method, r.path]),
    );
    const other = plan(DEMO_SCENARIO, 8, 60_000);
    expect(other.map((r) => r.atMs)).not.toEqual(oneMinute.map((r) => r.atMs));
  });

  it('hands out each request once, in time order, however the window is sliced', () => {
    const sliced = new TrafficPlan(DEMO_SCENARIO, 7);
    const parts: PlannedRequest[] = [];
    for (let until = 50; until <= 60_000; until += 50) parts.push(...sliced.due(until));
    expect(parts.map((r) => r.atMs)).toEqual(oneMinute.map((r) => r.atMs));
    const times = oneMinute.map((r) => r.atMs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  // Spacing is (0.5 + U) / rate: over n arrivals the sum drifts by about sqrt(n / 12) intervals (σ).
  it("sends each persona's rate per second, within a few requests a minute", () => {
    for (const persona of DEMO_SCENARIO.personas) {
      const count = oneMinute.filter((r) => r.persona === persona).length;
      const expected = (persona.rate[0]?.perSecond ?? 0) * 60;
      expect(Math.abs(count - expected), persona.name).toBeLessThanOrEqual(
        Math.max(6, 4 * Math.sqrt(expected / 12)),
      );
    }
  });

  it('has every persona that starts at 0 on the wire within its first two seconds', () => {
    const early = new Set(plan(DEMO_SCENARIO, 7, 2000).map((r) => r.persona.name));
    const starting = DEMO_SCENARIO.personas.filter((persona) => (persona.rate[0]?.perSecond ?? 0) > 0);
    expect(early).toEqual(new Set(starting.map((persona) => persona.name)));
  });

  it('fills {id} paths with ids in range and copies the template', () => {
    const items = oneMinute.filter((r) => r.kind === 'page' && r.path.startsWith('/cart/items/'));
    expect(items.length).toBeGreaterThan(0);
    const ids = new Set(items.map((r) => Number(r.path.split('/').at(-1))));
    expect([...ids].every((id) => Number.isInteger(id) && id >= 1 && id <= 60)).toBe(true);
    expect(ids.size).toBeGreaterThan(20);
    expect(oneMinute.some((r) => r.path.includes('{'))).toBe(false);
  });

  it('sends scanner probes with the hostile origin, fixed origins and made-up ones, some as preflights', () => {
    const scanner = oneMinute.filter((r) => r.kind === 'raw');
    const origins = scanner.map(originOf);
    expect(origins).toContain(HOSTILE_ORIGIN);
    expect(origins.filter((origin) => /^https:\/\/[0-9a-z]{8}\.[a-z]+$/.test(origin)).length).toBeGreaterThan(
      5,
    );
    expect(scanner.some((r) => r.method === 'OPTIONS')).toBe(true);
    expect(scanner.some((r) => r.method === 'GET')).toBe(true);
  });

  it('sends the spike: ten times the route’s calls inside its window, the usual rate before and after', () => {
    const { route, fromSecond, toSecond } = DEMO_SPIKE;
    const requests = plan(DEMO_SCENARIO, 7, (toSecond + 60) * 1000).filter(
      (r) =>
        r.kind === 'page' &&
        r.persona.origin === route.origin &&
        r.service === route.service &&
        r.method === route.method &&
        r.path === route.path,
    );
    const perSecond = (from: number, to: number) =>
      requests.filter((r) => r.atMs >= from * 1000 && r.atMs < to * 1000).length / (to - from);
    const before = perSecond(15, fromSecond);
    const during = perSecond(fromSecond, toSecond);
    const after = perSecond(toSecond, toSecond + 60);
    expect(during / before).toBeGreaterThan(8);
    expect(during / before).toBeLessThan(12);
    expect(after / before).toBeGreaterThan(0.7);
    expect(after / before).toBeLessThan(1.3);
  });

  it('sends pages to the inventory API: allowed GETs, preflighted PATCHes, the refused partner', () => {
    const inventory = oneMinute.filter((r) => r.kind === 'page' && r.service === 'inventory');
    const origins = (method: string) => new Set(inventory.filter((r) => r.method === method).map(originOf));
    expect(origins('GET')).toEqual(new Set([DEMO_ORIGINS.storefront, DEMO_ORIGINS.partner]));
    expect(origins('PATCH')).toEqual(new Set([DEMO_ORIGINS.admin]));
    expect(inventory.every((r) => /^\/stock\/\d+$/.test(r.path))).toBe(true);
  });

  it('keeps the legacy storefront calling after the policy change', () => {
    const after = oneMinute.filter((r) => r.atMs >= 40_000 && originOf(r) === DEMO_ORIGINS.legacy);
    expect(after.length).toBeGreaterThan(20);
  });

  it('follows rate phases: a spike phase multiplies the volume, a zero phase silences a persona', () => {
    const [first] = DEMO_SCENARIO.personas;
    if (first === undefined) throw new Error('no persona');
    const spiky: Scenario = {
      shopPolicy: DEMO_SCENARIO.shopPolicy,
      inventoryAllowedOrigins: DEMO_SCENARIO.inventoryAllowedOrigins,
      personas: [
        {
          ...first,
          rate: [
            { fromSecond: 0, perSecond: 2 },
            { fromSecond: 10, perSecond: 20 },
            { fromSecond: 20, perSecond: 0 },
          ],
        },
      ],
    };
    const requests = plan(spiky, 3, 60_000);
    const inWindow = (from: number, to: number) =>
      requests.filter((r) => r.atMs >= from && r.atMs < to).length;
    expect(Math.abs(inWindow(0, 10_000) - 20)).toBeLessThanOrEqual(2);
    expect(Math.abs(inWindow(10_000, 20_000) - 200)).toBeLessThanOrEqual(10);
    expect(inWindow(20_000, 60_000)).toBe(0);
  });
});
