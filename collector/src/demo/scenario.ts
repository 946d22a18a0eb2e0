// The demo's traffic as data: the three demo services, the pages (origins) that call them and how often, the
// scanner noise, the shop API's allowlist over time and the spike. Pure: no clock, no I/O. The timing is
// chosen so a new user sees every dashboard chart filled within a minute and an alert-worthy event within a
// few: every persona starts at once, summary spans leave every 5 s, the policy change falls at 35–57 s (the
// newly blocked origin; policyChangeSecond says why it moves), and from 75 s to 135 s one rejected origin's calls to one route jump tenfold (the
// spike), after which they fall back. Rejected-origin alerts look at minutes, so the spike lasts one.
//
// To add another spike, give a persona another rate phase (spikePersona builds one for a route); to block
// another origin later, add a policy phase. Both are read by position in time only, so nothing else changes.
import type { HeaderList } from '../cli/browser-request.js';

/** shop-api and catalog-api run Corsight's instrumentation; inventory-api only plain OpenTelemetry. */
export type DemoServiceId = 'shop' | 'catalog' | 'inventory';

/** A rate that changes over the scenario: each phase holds from its second until the next phase's. */
export type RateSchedule = readonly { readonly fromSecond: number; readonly perSecond: number }[];

/** One kind of fetch() a page makes; `{id}` in the path is replaced by a number in 1..ids. */
export interface FetchTemplate {
  readonly service: DemoServiceId;
  readonly method: string;
  readonly path: string;
  readonly ids?: number | undefined;
  /** Headers page script sets (the browser adds Origin, Accept, User-Agent, Cookie itself). */
  readonly headers: HeaderList;
  readonly body?: string | undefined;
  readonly credentials: 'include' | 'omit';
  /** Relative share among the persona's fetches. */
  readonly weight: number;
}

/** A page on one origin, loaded in one browser: its preflight cache and cookies belong to that browser. */
export interface BrowserPersona {
  readonly kind: 'browser';
  readonly name: string;
  readonly origin: string;
  /** The cookie the browser holds for the demo services; sent with credentials: 'include' only. */
  readonly cookie?: string | undefined;
  readonly rate: RateSchedule;
  readonly fetches: readonly FetchTemplate[];
}

/** Not a browser: a script sending whatever Origin it likes, the kind every public API receives. */
export interface ScannerPersona {
  readonly kind: 'scanner';
  readonly name: string;
  readonly rate: RateSchedule;
  /** Sent as-is, including values no browser could send. */
  readonly origins: readonly string[];
  /** Share of requests carrying a freshly made-up origin instead (one per request, never repeated). */
  readonly randomOriginShare: number;
  readonly services: readonly DemoServiceId[];
  readonly paths: readonly string[];
}

export type Persona = BrowserPersona | ScannerPersona;

/** The shop API's CORS allowlist from `fromSecond` on (the policy it is redeployed with). */
export interface PolicyPhase {
  readonly fromSecond: number;
  readonly allowedOrigins: readonly string[];
}

export interface Scenario {
  readonly personas: readonly Persona[];
  /** Ordered by fromSecond; the first starts at 0. */
  readonly shopPolicy: readonly PolicyPhase[];
  /** The inventory API's CORS allowlist (fixed for the whole run). */
  readonly inventoryAllowedOrigins: readonly string[];
}

/** One route called by pages on one origin. */
export interface PageRoute {
  readonly origin: string;
  readonly service: DemoServiceId;
  readonly method: string;
  /** The fetch template's path (`{id}` unreplaced). */
  readonly path: string;
}

/** For [fromSecond, toSecond) the pages' calls to `route` run at `factor` times their usual rate. */
export interface TrafficSpike {
  readonly route: PageRoute;
  readonly fromSecond: number;
  readonly toSecond: number;
  readonly factor: number;
}

export const DEMO_ORIGINS = {
  storefront: 'https://shop.example.com',
  admin: 'https://admin.example.com',
  partner: 'https://partner.example.net',
  legacy: 'https://legacy.example.com',
  copycat: 'https://shop-example.copycat.test',
} as const;

/** The hostile origin every Corsight view must show as text (issue 5). */
export const HOSTILE_ORIGIN = 'https://x.test"><img src=x onerror=alert(1)>';

/** When the shop API drops the legacy storefront from its allowlist, in scenario seconds, at the earliest. */
export const POLICY_CHANGE_SECOND = 35;
/** The second of its wall-clock minute the change falls in at the earliest, in the demo's start minute. */
const CHANGE_SECOND_OF_MINUTE = 57;
/** The latest the change can fall, in scenario seconds: 35 s in, or up to 22 s later. */
export const POLICY_CHANGE_LATEST_SECOND = Math.max(POLICY_CHANGE_SECOND, CHANGE_SECOND_OF_MINUTE);

/**
 * The scenario second of the policy change for a demo whose scenario clock starts at `startMs` (epoch ms).
 * Alert rules read whole minutes, and a newly blocked origin is one whose blocked rate is at least five times
 * its earlier rate: on a fresh store the earlier traffic is the demo's first minute only, and when the change
 * fell early in that minute, its blocked requests there made the earlier rate too high and the demo's alert
 * never fired (about one run in five: those started in a minute's first 13 s). So the change waits, at speed
 * 1, until second 57 of the start minute at least: that minute then holds at most 3 s of blocked requests
 * (8 s with the 5-s summary intervals). At other speeds the scenario's seconds are not the rules' minutes.
 */
export function policyChangeSecond(startMs: number, speed: number): number {
  if (speed !== 1) return POLICY_CHANGE_SECOND;
  const secondOfMinute = (startMs % 60_000) / 1000;
  return Math.max(POLICY_CHANGE_SECOND, CHANGE_SECOND_OF_MINUTE - secondOfMinute);
}

/** The scenario with its policy change (the second phase of the shop's policy) at `second`. */
export function withPolicyChangeAt(scenario: Scenario, second: number): Scenario {
  return {
    ...scenario,
    shopPolicy: scenario.shopPolicy.map((phase, index) =>
      index === 1 ? { ...phase, fromSecond: second } : phase,
    ),
  };
}

const JSON_BODY = [['Content-Type', 'application/json']] as const;

/** The rate in force at `second`: the last phase that has started (0 before the first). */
export function rateAt(schedule: RateSchedule, second: number): number {
  let rate = 0;
  for (const phase of schedule) if (phase.fromSecond <= second) rate = phase.perSecond;
  return rate;
}

/** Index into scenario.shopPolicy of the phase in force at `second`. */
export function policyPhaseAt(scenario: Scenario, second: number): number {
  let index = 0;
  scenario.shopPolicy.forEach((phase, i) => {
    if (phase.fromSecond <= second) index = i;
  });
  return index;
}

function isRoute(fetch: FetchTemplate, route: PageRoute): boolean {
  return fetch.service === route.service && fetch.method === route.method && fetch.path === route.path;
}

/** Calls per second a page persona makes to `route` at `second`: its rate times the route's share. */
function personaRouteRate(persona: BrowserPersona, route: PageRoute, second: number): number {
  if (persona.origin !== route.origin) return 0;
  const total = persona.fetches.reduce((sum, fetch) => sum + fetch.weight, 0);
  const matching = persona.fetches.reduce(
    (sum, fetch) => sum + (isRoute(fetch, route) ? fetch.weight : 0),
    0,
  );
  return total === 0 ? 0 : (rateAt(persona.rate, second) * matching) / total;
}

/** Calls per second all the scenario's pages make to `route` at `second` (scanners aside). */
export function pageRouteRateAt(scenario: Scenario, route: PageRoute, second: number): number {
  let rate = 0;
  for (const persona of scenario.personas) {
    if (persona.kind === 'browser') rate += personaRouteRate(persona, route, second);
  }
  return rate;
}

/**
 * A page on the spike's origin that calls only the spike's route, silent outside the spike and, inside it,
 * at (factor − 1) times what `base` sends to that route then: together they send `factor` times as much.
 */
export function spikePersona(base: BrowserPersona, spike: TrafficSpike, name: string): BrowserPersona {
  const fetch = base.fetches.find((candidate) => isRoute(candidate, spike.route));
  if (base.origin !== spike.route.origin || fetch === undefined) {
    throw new Error(`the spike's route is not one that ${base.name} calls`);
  }
  const usual = personaRouteRate(base, spike.route, spike.fromSecond);
  return {
    kind: 'browser',
    name,
    origin: base.origin,
    cookie: base.cookie,
    rate: [
      { fromSecond: 0, perSecond: 0 },
      { fromSecond: spike.fromSecond, perSecond: (spike.factor - 1) * usual },
      { fromSecond: spike.toSecond, perSecond: 0 },
    ],
    fetches: [{ ...fetch, weight: 1 }],
  };
}

// A site the shop never allowed, embedding its calls anyway: its simple GETs are refused by the missing
// Access-Control-Allow-Origin, its JSON POSTs already at the preflight.
const COPYCAT_SITE: BrowserPersona = {
  kind: 'browser',
  name: 'copycat site',
  origin: DEMO_ORIGINS.copycat,
  rate: [{ fromSecond: 0, perSecond: 0.6 }],
  fetches: [
    { service: 'shop', method: 'GET', path: '/products', headers: [], credentials: 'omit', weight: 2 },
    {
      service: 'shop',
      method: 'POST',
      path: '/cart',
      headers: JSON_BODY,
      body: '{"sku":"tee-42","quantity":9}',
      credentials: 'omit',
      weight: 1,
    },
  ],
};

/**
 * The spike: the copycat site ships a price widget that polls the shop's product list, so its (refused)
 * calls to GET /products jump tenfold for a minute, then stop. Blocked traffic from an origin that was
 * always blocked: what a `rejected_spike` alert is for, unlike the scanner's steady noise.
 */
export const DEMO_SPIKE: TrafficSpike = {
  route: { origin: DEMO_ORIGINS.copycat, service: 'shop', method: 'GET', path: '/products' },
  fromSecond: 75,
  toSecond: 135,
  factor: 10,
};

export const DEMO_SCENARIO: Scenario = {
  shopPolicy: [
    {
      fromSecond: 0,
      allowedOrigins: [
        DEMO_ORIGINS.storefront,
        DEMO_ORIGINS.admin,
        DEMO_ORIGINS.partner,
        DEMO_ORIGINS.legacy,
      ],
    },
    {
      fromSecond: POLICY_CHANGE_SECOND,
      allowedOrigins: [DEMO_ORIGINS.storefront, DEMO_ORIGINS.admin, DEMO_ORIGINS.partner],
    },
  ],
  // The inventory team lists its own two frontends; the partner widget's stock lookups are refused.
  inventoryAllowedOrigins: [DEMO_ORIGINS.storefront, DEMO_ORIGINS.admin],
  personas: [
    {
      // The healthy case: mostly simple GETs, a JSON POST now and then (preflighted once per 10 min), a
      // credentialed profile call, the public catalog (wildcard: fine without credentials), and stock levels.
      kind: 'browser',
      name: 'storefront SPA',
      origin: DEMO_ORIGINS.storefront,
      cookie: 'session=storefront-demo',
      rate: [{ fromSecond: 0, perSecond: 4 }],
      fetches: [
        { service: 'shop', method: 'GET', path: '/products', headers: [], credentials: 'omit', weight: 4 },
        {
          service: 'shop',
          method: 'GET',
          path: '/products/{id}',
          ids: 40,
          headers: [],
          credentials: 'omit',
          weight: 4,
        },
        {
          service: 'shop',
          method: 'POST',
          path: '/cart',
          headers: JSON_BODY,
          body: '{"sku":"tee-42","quantity":1}',
          credentials: 'include',
          weight: 1,
        },
        { service: 'shop', method: 'GET', path: '/me', headers: [], credentials: 'include', weight: 1 },
        {
          service: 'catalog',
          method: 'GET',
          path: '/search?q=shoes',
          headers: [],
          credentials: 'omit',
          weight: 2,
        },
        {
          service: 'inventory',
          method: 'GET',
          path: '/stock/{id}',
          ids: 40,
          headers: [],
          credentials: 'omit',
          weight: 2,
        },
      ],
    },
    {
      // Preflight-heavy: custom headers and JSON on every call, many distinct URLs (the preflight cache is per
      // URL), a catalog that sends no Max-Age, so its preflights are cached for 5 s only, and stock
      // corrections with PATCH, a method no request goes without a preflight for.
      kind: 'browser',
      name: 'admin SPA',
      origin: DEMO_ORIGINS.admin,
      cookie: 'session=admin-demo',
      rate: [{ fromSecond: 0, perSecond: 3 }],
      fetches: [
        {
          service: 'shop',
          method: 'PUT',
          path: '/cart/items/{id}',
          ids: 60,
          headers: [...JSON_BODY, ['X-Request-Id', 'admin-1']],
          body: '{"quantity":2}',
          credentials: 'include',
          weight: 3,
        },
        {
          service: 'shop',
          method: 'DELETE',
          path: '/cart/items/{id}',
          ids: 60,
          headers: [['X-Request-Id', 'admin-2']],
          credentials: 'include',
          weight: 1,
        },
        {
          service: 'catalog',
          method: 'POST',
          path: '/recommendations',
          headers: [...JSON_BODY, ['X-Client-Version', '2.3.1']],
          body: '{"basket":["tee-42"]}',
          credentials: 'omit',
          weight: 3,
        },
        {
          service: 'inventory',
          method: 'PATCH',
          path: '/stock/{id}',
          ids: 40,
          headers: [...JSON_BODY, ['X-Request-Id', 'admin-3']],
          body: '{"quantity":12}',
          credentials: 'include',
          weight: 2,
        },
      ],
    },
    {
      // Wrongly configured: a header the shop does not allow, cookies sent to the wildcard catalog, and stock
      // lookups to an inventory API that never allowed its origin.
      kind: 'browser',
      name: 'partner widget',
      origin: DEMO_ORIGINS.partner,
      cookie: 'partner_session=demo',
      rate: [{ fromSecond: 0, perSecond: 1 }],
      fetches: [
        {
          service: 'shop',
          method: 'GET',
          path: '/products',
          headers: [['X-Partner-Key', 'demo-key']],
          credentials: 'omit',
          weight: 1,
        },
        {
          service: 'catalog',
          method: 'GET',
          path: '/items/{id}',
          ids: 20,
          headers: [],
          credentials: 'include',
          weight: 1,
        },
        {
          service: 'inventory',
          method: 'GET',
          path: '/stock/{id}',
          ids: 20,
          headers: [['X-Partner-Key', 'demo-key']],
          credentials: 'omit',
          weight: 1,
        },
      ],
    },
    {
      // Allowed until the shop's allowlist drops it at POLICY_CHANGE_SECOND, then blocked.
      kind: 'browser',
      name: 'legacy storefront',
      origin: DEMO_ORIGINS.legacy,
      rate: [{ fromSecond: 0, perSecond: 1.5 }],
      fetches: [
        { service: 'shop', method: 'GET', path: '/products', headers: [], credentials: 'omit', weight: 2 },
        {
          service: 'shop',
          method: 'POST',
          path: '/cart',
          headers: JSON_BODY,
          body: '{"sku":"mug-7","quantity":1}',
          credentials: 'omit',
          weight: 1,
        },
      ],
    },
    COPYCAT_SITE,
    spikePersona(COPYCAT_SITE, DEMO_SPIKE, 'copycat price widget'),
    {
      kind: 'scanner',
      name: 'scanner',
      rate: [{ fromSecond: 0, perSecond: 0.5 }],
      origins: [
        HOSTILE_ORIGIN,
        'null',
        'http://localhost:8080',
        'https://shop.example.com.evil.test',
        "https://o'; DROP TABLE cors_events;--.test",
      ],
      randomOriginShare: 0.5,
      services: ['shop', 'catalog', 'inventory'],
      paths: ['/', '/.env', '/admin', '/wp-login.php', '/products', '/api/v1/users'],
    },
  ],
};
