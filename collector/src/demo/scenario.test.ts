import { describe, expect, it } from 'vitest';
import {
  DEMO_ORIGINS,
  DEMO_SCENARIO,
  HOSTILE_ORIGIN,
  POLICY_CHANGE_SECOND,
  policyPhaseAt,
  rateAt,
  type RateSchedule,
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
    expect(rejected.map((persona) => persona.origin)).toEqual([DEMO_ORIGINS.copycat]);
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

  it('starts every persona at once and stays at tens of requests per second', () => {
    for (const persona of DEMO_SCENARIO.personas) expect(rateAt(persona.rate, 0)).toBeGreaterThan(0);
    const total = DEMO_SCENARIO.personas.reduce((sum, persona) => sum + rateAt(persona.rate, 0), 0);
    expect(total).toBeGreaterThanOrEqual(10);
    expect(total).toBeLessThanOrEqual(50);
  });
});
