// The dashboard in real Chromium against a real collector: `next build` (reused when fresh) and
// `next start` reading an in-process collector seeded with known traffic. Each page must show the seeded
// figures, filters and links must change the URL and the data, and an origin carrying markup must render
// as text. The collector also receives plain OpenTelemetry HTTP server spans (issue 8), so "Connect a
// service" shows each capture status and a service name carrying markup as text. Screenshots of each page (light and dark) go to test/dashboard/screenshots/ for review.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CAPTURE_REQUEST_HEADERS,
  CAPTURE_RESPONSE_HEADERS,
  readCollectorConfig,
  type RunningCollector,
  startCollector,
} from '@corsight/collector';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ALLOWLIST_ENTRIES } from '../../dashboard/src/lib/allowlist-param.ts';
import { chromiumPath } from '../oracle/browser-runner.ts';
import {
  ADMIN_ORIGIN,
  EVIL_ORIGIN,
  EXAMPLE_ALLOW_ORIGIN,
  EXAMPLE_TRACE_ID,
  EXPECTED,
  HOSTILE_ORIGIN,
  seedDashboardData,
  type Totals,
} from './dashboard-seed.ts';
import {
  CAPTURED_SERVICE,
  EXPECTED_CAPTURE,
  HOSTILE_SERVICE,
  seedHttpSpans,
} from './dashboard-http-spans.ts';
import {
  ADMIN_TOKEN,
  evaluateAlerts,
  SEEDED_RULE_ID,
  SEEDED_RULE_NAME,
  startWebhookReceiver,
  type WebhookReceiver,
  writeRulesFile,
} from './dashboard-alerts.ts';
import { ensureDashboardBuild, type RunningDashboard, startDashboard } from './dashboard-server.ts';

const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let dataDir: string;
let collector: RunningCollector;
let dashboard: RunningDashboard;
let receiver: WebhookReceiver;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];
/** What beforeAll started, stopped in reverse order even when it failed halfway. */
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'corsight-dashboard-'));
  cleanups.push(() => {
    rmSync(dataDir, { recursive: true, force: true });
    return Promise.resolve();
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
  receiver = await startWebhookReceiver();
  cleanups.push(() => receiver.close());
  const [buildMs] = await Promise.all([
    ensureDashboardBuild(),
    (async () => {
      collector = await startCollector(
        readCollectorConfig({
          CORSIGHT_DATA_DIR: dataDir,
          CORSIGHT_OTLP_PORT: '0',
          CORSIGHT_OTLP_GRPC_PORT: 'off',
          CORSIGHT_BATCH_AGE_MS: '50',
          CORSIGHT_LOG_LEVEL: 'silent',
          CORSIGHT_ALERT_RULES: writeRulesFile(dataDir, receiver.url),
          CORSIGHT_ADMIN_TOKENS: ADMIN_TOKEN,
        }),
        // Evaluated once, below, once the traffic is stored.
        { scheduleAlerts: false },
      );
      cleanups.push(() => collector.close());
      const nowMs = Date.now();
      await seedDashboardData(collector, nowMs);
      await seedHttpSpans(collector, nowMs);
      await evaluateAlerts(collector);
    })(),
  ]);
  console.log(
    buildMs === 0
      ? 'dashboard: reused a fresh build'
      : `dashboard: next build took ${Math.round(buildMs)} ms`,
  );
  dashboard = await startDashboard(collector.httpUrl, { CORSIGHT_ADMIN_TOKEN: ADMIN_TOKEN });
  cleanups.push(() => dashboard.close());
  browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
  cleanups.push(() => browser.close());
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
}, 180_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** The Overview's totals as the API's summary counts them (the Allowed tile includes the at-risk ones). */
async function tiles(): Promise<Totals> {
  const read = async (id: string) =>
    Number((await page.locator(`[data-tile="${id}"] .tile-value`).innerText()).replaceAll(',', ''));
  return {
    preflights: await read('preflights'),
    actual: await read('actual'),
    allowed: (await read('allowed')) - (await read('blocked_if_credentialed')),
    blocked: await read('blocked'),
    blocked_if_credentialed: await read('blocked_if_credentialed'),
  };
}

/**
 * Waits until the page's content is on screen. A server-rendered page streams in after loading.tsx, and
 * React reveals streamed content a moment after it arrived: until then it sits in the DOM hidden.
 */
async function shown(): Promise<void> {
  await page.locator('main h1').waitFor({ state: 'visible' });
}

async function open(path: string): Promise<void> {
  const response = await page.goto(`${dashboard.url}${path}`);
  expect(response?.status()).toBe(200);
  await shown();
}

/** Follows a link (client-side navigation) and waits for the new URL and content. */
async function follow(link: Locator, url: RegExp): Promise<void> {
  await Promise.all([page.waitForURL(url), link.click()]);
  await shown();
}

/** Clicks a sortable column's header button; resolves once the URL carries the new sort. */
async function sortBy(label: string, url: RegExp): Promise<void> {
  await follow(page.getByRole('button', { name: label, exact: true }), url);
}

/** The `data-<name>` values of the elements `locator` matches, in document order. */
function dataValues(locator: Locator, name: string): Promise<(string | null)[]> {
  return locator.evaluateAll(
    (elements, attribute) => elements.map((element) => element.getAttribute(attribute)),
    `data-${name}`,
  );
}

async function noInjectedMarkup(): Promise<void> {
  expect(await page.locator('img').count()).toBe(0);
  expect(dialogs).toEqual([]);
}

describe('dashboard', () => {
  it('Overview shows the seeded totals and a chart of requests by outcome over time', async () => {
    await open('/');
    expect(await tiles()).toEqual(EXPECTED.all24h);
    await expect.poll(() => page.locator('.chart .recharts-area').count()).toBe(3);
    // orders-api's policy change is marked on the time axis.
    expect(await page.locator('.chart').getAttribute('data-markers')).toBe('1');
    expect(await page.locator('.chart .recharts-reference-line').count()).toBe(1);
    // The seeded rule's two firing instances are marked as intervals.
    expect(await page.locator('.chart').getAttribute('data-intervals')).toBe('2');
    expect(await page.locator('.chart .recharts-reference-area:not(.in-progress)').count()).toBe(2);
    // The last step holds the present: only part of its requests are in, and it says so.
    expect(await page.locator('.chart').getAttribute('data-in-progress')).toBe('true');
    expect(await page.locator('.chart .recharts-reference-area.in-progress').count()).toBe(1);
    expect(await page.locator('.chart').getAttribute('aria-label')).toContain('the last still in progress');
    expect(await page.locator('.chart .chart-note').innerText()).toMatch(
      /^The last step, from \d\d-\d\d \d\d:\d\d UTC, is still in progress/,
    );
    expect(await dataValues(page.locator('.chart-alerts li'), 'rule')).toEqual([
      SEEDED_RULE_ID,
      SEEDED_RULE_ID,
    ]);
    await page.screenshot({ path: join(SCREENSHOTS, 'overview.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(SCREENSHOTS, 'overview-dark.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('the service filter and the range presets change the URL and the figures', async () => {
    await open('/');
    await page.selectOption('select[name="service"]', 'orders-api');
    await Promise.all([
      page.waitForURL(/service=orders-api/),
      page.getByRole('button', { name: 'Filter' }).click(),
    ]);
    await shown();
    expect(await tiles()).toEqual(EXPECTED.orders24h);
    await Promise.all([page.waitForURL(/range=7d/), page.getByRole('link', { name: 'Last 7 d' }).click()]);
    await shown();
    expect(new URL(page.url()).searchParams.get('service')).toBe('orders-api');
    expect(await tiles()).toEqual(EXPECTED.orders7d);
    await Promise.all([
      page.waitForURL(/refresh=1/),
      page.getByRole('link', { name: 'Auto-refresh: off' }).click(),
    ]);
    await shown();
    expect(await page.getByRole('link', { name: 'Auto-refresh: on' }).count()).toBe(1);
    // The same URL in a fresh page reproduces the view.
    const link = page.url();
    await page.goto(link);
    await shown();
    expect(await tiles()).toEqual(EXPECTED.orders7d);
  });

  it('says so when the range in the URL is no preset, and shows the default', async () => {
    await open(`/origins?range=${encodeURIComponent('<b>2w</b>')}`);
    const notice = page.locator('[data-notice="unknown-range"]');
    expect(await notice.innerText()).toBe(
      'The range <b>2w</b> is not one of 15m, 1h, 24h, 7d, 30d: showing last 24 h.',
    );
    await noInjectedMarkup();
    // The view's links carry the range shown, not the unknown one.
    await follow(page.getByRole('link', { name: 'Overview' }), /\/(\?|$)/);
    expect(await page.locator('[data-notice="unknown-range"]').count()).toBe(0);
  });

  it('a range that has ended marks no step as in progress', async () => {
    const utcMinute = (ms: number) => new Date(ms).toISOString().slice(0, 16);
    const nowMs = Date.now();
    await open(`/?from=${utcMinute(nowMs - 2 * 3_600_000)}&to=${utcMinute(nowMs - 15 * 60_000)}`);
    await expect.poll(() => page.locator('.chart .recharts-area').count()).toBe(3);
    expect(await page.locator('.chart').getAttribute('data-in-progress')).toBe('false');
    expect(await page.locator('.chart .recharts-reference-area.in-progress').count()).toBe(0);
    expect(await page.locator('.chart .chart-note').count()).toBe(0);
  });

  it('a custom range without traffic shows the empty state', async () => {
    await open('/?service=orders-api');
    await page.fill('input[name="from"]', '2001-01-01T00:00');
    await page.fill('input[name="to"]', '2001-01-02T00:00');
    await Promise.all([page.waitForURL(/from=/), page.getByRole('button', { name: 'Apply range' }).click()]);
    await shown();
    const params = new URL(page.url()).searchParams;
    expect(Object.fromEntries(params)).toEqual({
      service: 'orders-api',
      from: '2001-01-01T00:00',
      to: '2001-01-02T00:00',
    });
    expect(await tiles()).toEqual({
      preflights: 0,
      actual: 0,
      allowed: 0,
      blocked: 0,
      blocked_if_credentialed: 0,
    });
    await expect.poll(() => page.getByRole('status').first().innerText()).toContain('No CORS requests');
  });

  it('Origins lists the rejected origins with their blocked counts and sorts by a header button', async () => {
    await open('/origins');
    const rows = page.locator('table.origins tbody tr');
    const origins = () => rows.locator('th a').allInnerTexts();
    expect(await rows.count()).toBe(3);
    const blocked: Record<string, number> = {};
    for (const row of await rows.all()) {
      const origin = await row.locator('th a').innerText();
      blocked[origin] = Number(await row.locator('[data-col="blocked"]').innerText());
    }
    expect(blocked).toEqual(EXPECTED.rejected24h);
    // Default order: most blocked first.
    expect(await origins()).toEqual([HOSTILE_ORIGIN, EVIL_ORIGIN, ADMIN_ORIGIN]);
    expect(await page.locator('th[aria-sort="descending"]').innerText()).toContain('Blocked');
    await noInjectedMarkup();
    await page.screenshot({ path: join(SCREENSHOTS, 'origins.png'), fullPage: true });
    // Every service's routes: each says whose (two services may share a route template), and its link
    // narrows to that service and route.
    const adminRoutes = rows.filter({ hasText: ADMIN_ORIGIN }).locator('[data-route]');
    expect(await dataValues(adminRoutes, 'service')).toEqual(['search-api']);
    expect(await adminRoutes.locator('[data-col="service"]').innerText()).toBe('on search-api');
    const routeLink = new URL((await adminRoutes.locator('a').getAttribute('href')) ?? '', dashboard.url);
    expect(routeLink.pathname).toBe('/mismatches');
    expect(Object.fromEntries(routeLink.searchParams)).toMatchObject({
      service: 'search-api',
      origin: ADMIN_ORIGIN,
      route: '/search',
    });

    await sortBy('Origin', /sort=origin&dir=asc/);
    await expect.poll(origins).toEqual([ADMIN_ORIGIN, EVIL_ORIGIN, HOSTILE_ORIGIN]);
    expect(await page.locator('th[aria-sort="ascending"]').innerText()).toContain('Origin');
    await sortBy('Origin', /sort=origin&dir=desc/);
    await expect.poll(origins).toEqual([HOSTILE_ORIGIN, EVIL_ORIGIN, ADMIN_ORIGIN]);
    // From the keyboard: newest first blocked first (evil.test 5 min ago, the hostile origin 8, admin 30).
    await page.getByRole('button', { name: 'First blocked' }).focus();
    await Promise.all([page.waitForURL(/sort=firstBlocked&dir=desc/), page.keyboard.press('Enter')]);
    await expect.poll(origins).toEqual([EVIL_ORIGIN, HOSTILE_ORIGIN, ADMIN_ORIGIN]);
    // The sorted URL in a fresh page reproduces the order.
    await open(new URL(page.url()).pathname + new URL(page.url()).search);
    expect(await origins()).toEqual([EVIL_ORIGIN, HOSTILE_ORIGIN, ADMIN_ORIGIN]);
  });

  it('an origin links to its routes, reasons and example requests, keeping range and service', async () => {
    await open('/origins?range=1h&service=orders-api');
    await follow(page.getByRole('link', { name: EVIL_ORIGIN }), /origin=/);
    const params = new URL(page.url()).searchParams;
    expect(Object.fromEntries(params)).toEqual({ range: '1h', service: 'orders-api', origin: EVIL_ORIGIN });
    const row = page.locator('table.origins tbody tr');
    expect(await row.count()).toBe(1);
    expect(await dataValues(row.locator('[data-route]'), 'route')).toEqual(['/orders/:id']);
    // One service selected: its routes, without saying whose.
    expect(await row.locator('[data-col="service"]').count()).toBe(0);
    expect(await dataValues(row.locator('[data-code]'), 'code')).toEqual(['allow_origin_mismatch']);
    const example = page.locator('table.example-requests tbody tr');
    expect(await example.count()).toBe(1);
    expect(await example.locator('[data-col="trace"]').innerText()).toBe(EXAMPLE_TRACE_ID);
    expect(await example.locator('.headers').innerText()).toContain(EXAMPLE_ALLOW_ORIGIN);
    await page.screenshot({ path: join(SCREENSHOTS, 'origin-detail.png'), fullPage: true });

    // Its route → the Mismatches page narrowed to the origin and the route, same range and service.
    await follow(row.locator('[data-route] a'), /\/mismatches\?/);
    expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({
      range: '1h',
      service: 'orders-api',
      origin: EVIL_ORIGIN,
      route: '/orders/:id',
    });
    expect(await page.locator('tr.mismatch').count()).toBe(1);
    expect(await page.locator('tr.mismatch [data-col="total"]').innerText()).toBe('5');
    expect(await page.locator('table.example-requests [data-col="trace"]').innerText()).toBe(
      EXAMPLE_TRACE_ID,
    );
  });

  it('the hostile origin renders as text on its detail, its mismatches and its Overview', async () => {
    await open('/origins');
    await follow(page.getByRole('link', { name: HOSTILE_ORIGIN }), /origin=/);
    expect(new URL(page.url()).searchParams.get('origin')).toBe(HOSTILE_ORIGIN);
    expect(await page.locator('.scope code.origin').innerText()).toBe(HOSTILE_ORIGIN);
    expect(await page.locator('table.origins tbody th a').innerText()).toBe(HOSTILE_ORIGIN);
    // It only has summary rows: no example was kept.
    expect(await page.locator('#origin-examples + .notice').innerText()).toContain('No example request');
    await noInjectedMarkup();

    await follow(page.locator('table.origins [data-code] a'), /code=allow_origin_mismatch/);
    expect(await page.locator('tr.mismatch [data-col="total"]').innerText()).toBe('7');
    expect(await page.locator('.scope code.origin').innerText()).toBe(HOSTILE_ORIGIN);
    await noInjectedMarkup();

    await page.goBack();
    await page.waitForURL(/\/origins\?/);
    await shown();
    await follow(page.getByRole('link', { name: 'Its requests over time' }), /^[^?]*\/\?origin=/);
    expect(await tiles()).toMatchObject({ blocked: 7, allowed: 0 });
    await noInjectedMarkup();
    await page.screenshot({ path: join(SCREENSHOTS, 'overview-hostile-origin.png'), fullPage: true });
  });

  it('Routes shows the preflight-cache estimate of a service, route, origin and method, and a route narrows it', async () => {
    await open('/routes');
    const row = page.locator('table.preflight-cache tbody tr', { hasText: 'https://app.example.com' });
    expect(await row.count()).toBe(1);
    expect(await row.locator('th').innerText()).toBe('/orders/:id');
    const cell = async (col: string) => await row.locator(`[data-col="${col}"]`).innerText();
    // Every service's keys: each row says whose (two services may share a route).
    expect(await cell('service')).toBe('orders-api');
    expect(await cell('needing')).toBe(String(EXPECTED.preflightCache.needing));
    expect(await cell('preflights')).toBe(String(EXPECTED.preflightCache.preflights));
    expect(await cell('hits')).toMatch(new RegExp(`^${EXPECTED.preflightCache.hits} `));
    await page.screenshot({ path: join(SCREENSHOTS, 'routes.png'), fullPage: true });

    // Each row's Mismatches link says whose and narrows to its service; an origin opens its traffic over
    // time (it may be allowed).
    expect(await row.locator('a.mismatches-link').getAttribute('aria-label')).toBe(
      'Mismatches of /orders/:id from https://app.example.com on orders-api',
    );
    expect(await row.locator('a.mismatches-link').getAttribute('href')).toContain('service=orders-api');
    expect(await row.locator('td a').first().getAttribute('href')).toMatch(/^\/\?origin=/);

    await follow(row.locator('th a'), /route=/);
    expect(new URL(page.url()).searchParams.get('route')).toBe('/orders/:id');
    const routes = await dataValues(page.locator('table.preflight-cache tbody tr'), 'route');
    expect(new Set(routes)).toEqual(new Set(['/orders/:id']));

    // One service selected: its rows only, without a service column.
    await open('/routes?service=orders-api');
    const services = await dataValues(page.locator('table.preflight-cache tbody tr'), 'service');
    expect(services.length).toBeGreaterThan(0);
    expect(new Set(services)).toEqual(new Set(['orders-api']));
    expect(await page.locator('table.preflight-cache [data-sort="service"]').count()).toBe(0);
    expect(await page.locator('table.preflight-cache [data-col="service"]').count()).toBe(0);
  });

  it('Mismatches lists each reason code with its volume and fix, sorts, and shows examples as text', async () => {
    await open('/mismatches');
    const codes = page.locator('tr.mismatch');
    const totals: Record<string, number> = {};
    for (const item of await page.locator('tr.mismatch.finding-reason').all()) {
      const code = await item.getAttribute('data-code');
      totals[code ?? ''] = Number(await item.locator('[data-col="total"]').innerText());
    }
    expect(totals).toEqual(EXPECTED.reasons24h);
    expect(await dataValues(codes, 'code')).toEqual([
      'allow_origin_mismatch',
      'wildcard_origin_with_credentials',
      'missing_allow_origin',
    ]);
    expect(await page.locator('tr.mismatch[data-code="allow_origin_mismatch"]').innerText()).toContain(
      'Fix:',
    );
    const example = page.locator('table.example-requests tbody tr[data-code="allow_origin_mismatch"]');
    expect(await example.locator('[data-col="trace"]').innerText()).toBe(EXAMPLE_TRACE_ID);
    expect(await example.locator('.headers').innerText()).toContain(EXAMPLE_ALLOW_ORIGIN);
    await noInjectedMarkup();
    await page.screenshot({ path: join(SCREENSHOTS, 'mismatches.png'), fullPage: true });

    await sortBy('Requests', /sort=total&dir=asc/);
    await expect
      .poll(() => dataValues(codes, 'code'))
      .toEqual(['missing_allow_origin', 'wildcard_origin_with_credentials', 'allow_origin_mismatch']);
  });

  it('Policy lists the policy change and the simulator counts what an allowlist would block', async () => {
    await open('/policy');
    const change = page.locator('table.policy-changes tbody tr');
    expect(await change.count()).toBe(1);
    expect(await change.innerText()).toMatch(/orders-api\s+p1 → p2/);
    await page.fill('textarea[name="allowlist"]', 'https://app.example.com');
    await Promise.all([
      page.waitForURL(/allowlist=/),
      page.getByRole('button', { name: 'Simulate' }).click(),
    ]);
    await shown();
    const refused = page.locator('table.simulated-origins tbody tr', { hasText: 'http://localhost:3000' });
    expect(await refused.locator('td').first().innerText()).toBe('3');
    expect(await page.locator('table.simulated-origins').innerText()).toContain(HOSTILE_ORIGIN);
    // Every service's routes: each of a refused origin's says whose (two services may share a route
    // template) and what the origin would lose on it.
    const refusedRoutes = refused.locator('[data-route]');
    expect(await dataValues(refusedRoutes, 'service')).toEqual(['orders-api']);
    expect(await dataValues(refusedRoutes, 'route')).toEqual(['/orders']);
    expect(await refusedRoutes.locator('[data-col="service"]').innerText()).toBe('on orders-api');
    expect(await refusedRoutes.innerText()).toBe('/orders on orders-api 3');
    // Per route: only orders-api's /orders loses traffic allowed today (localhost:3000's 3 requests).
    const routes = page.locator('table.simulated-routes tbody tr');
    expect(await dataValues(routes, 'route')).toEqual(['/orders']);
    expect(await routes.getAttribute('data-service')).toBe('orders-api');
    expect(await routes.locator('[data-col="newlyBlocked"]').innerText()).toBe('3');
    // "Blocked after" lists origins: its header reads left-aligned like its cells.
    const align = (selector: string) =>
      page
        .locator(selector)
        .first()
        .evaluate((element) => getComputedStyle(element).textAlign);
    expect(await align('table.policy-changes th:has([data-sort="blockedAfter"])')).toBe(
      await align('table.policy-changes td[data-col="blockedAfter"]'),
    );
    // No seeded origin was allowed before the change and blocked after it.
    expect(await page.locator('table.policy-changes td[data-col="blockedAfter"]').innerText()).toBe('none');
    await noInjectedMarkup();
    await page.screenshot({ path: join(SCREENSHOTS, 'policy.png'), fullPage: true });

    // A route the allowlist would cost opens that route's traffic over time.
    await follow(routes.locator('th a'), /\/\?/);
    expect(await page.locator('main h1').innerText()).toBe('Overview');
    expect(Object.fromEntries(new URL(page.url()).searchParams)).toMatchObject({
      service: 'orders-api',
      route: '/orders',
    });
    await page.goBack();
    await page.waitForURL(/\/policy\?/);
    await shown();

    // Sorting the result keeps the simulated allowlist in the URL.
    await sortBy('Origin refused', /sort=refusedOrigin&dir=asc/);
    expect(new URL(page.url()).searchParams.get('allowlist')).toBe('https://app.example.com');
    await expect
      .poll(() => page.locator('table.simulated-origins tbody th a').allInnerTexts())
      .toEqual(['http://localhost:3000', ADMIN_ORIGIN, EVIL_ORIGIN, HOSTILE_ORIGIN]);
    await noInjectedMarkup();

    // One service selected: its routes, without saying whose.
    await open(`/policy?service=orders-api&allowlist=${encodeURIComponent('https://app.example.com')}`);
    const narrowed = page.locator('table.simulated-origins tbody tr', { hasText: 'http://localhost:3000' });
    expect(await dataValues(narrowed.locator('[data-route]'), 'service')).toEqual(['orders-api']);
    expect(await page.locator('table.simulated-origins [data-col="service"]').count()).toBe(0);
  });

  it('simulates an allowlist of the most origins it takes, and asks for origins when given none', async () => {
    await open('/policy');
    // 1000 origins of ~60 characters: a URL of some 80 KB, which Node's default header limit refuses (431).
    const many = Array.from(
      { length: MAX_ALLOWLIST_ENTRIES - 1 },
      (_, i) => `https://tenant-${String(i).padStart(4, '0')}.customers.example.com`,
    );
    await page.fill('textarea[name="allowlist"]', ['https://app.example.com', ...many].join('\n'));
    const [response] = await Promise.all([
      page.waitForResponse((answer) => answer.url().includes('allowlist=')),
      page.getByRole('button', { name: 'Simulate' }).click(),
    ]);
    expect(response.status()).toBe(200);
    await shown();
    expect(await page.locator('table.simulated-origins tbody tr').count()).toBeGreaterThan(0);

    // One more is refused whole, never simulated without its last entries.
    await page.fill(
      'textarea[name="allowlist"]',
      ['https://app.example.com', ...many, 'https://one-more.example.com'].join('\n'),
    );
    await Promise.all([
      page.waitForResponse((answer) => answer.url().includes('allowlist=')),
      page.getByRole('button', { name: 'Simulate' }).click(),
    ]);
    await shown();
    expect(await page.locator('table.simulated-origins').count()).toBe(0);
    expect(await page.getByRole('alert').allInnerTexts()).toContainEqual(
      expect.stringContaining(
        `at most ${String(MAX_ALLOWLIST_ENTRIES)} origins; this list has ${String(MAX_ALLOWLIST_ENTRIES + 1)}`,
      ),
    );
    expect(await page.inputValue('textarea[name="allowlist"]')).toContain('https://one-more.example.com');

    await page.fill('textarea[name="allowlist"]', '  \n ');
    await Promise.all([
      page.waitForURL(/allowlist=/),
      page.getByRole('button', { name: 'Simulate' }).click(),
    ]);
    await shown();
    expect(await page.locator('table.simulated-origins').count()).toBe(0);
    expect(await page.getByRole('status').allInnerTexts()).toContainEqual(
      expect.stringContaining('Enter the origins the new policy would allow'),
    );
  });

  it("Connect a service shows each service's capture status, the settings per language, and names as text", async () => {
    await open('/connect');
    expect(await page.getByRole('link', { name: 'Connect a service' }).getAttribute('aria-current')).toBe(
      'page',
    );
    const rows = page.locator('table.capture-status tbody tr');
    const seen: Record<string, unknown> = {};
    const statusText: Record<string, string> = {};
    const rowOf: Record<string, Locator> = {};
    for (const row of await rows.all()) {
      const service = (await row.getAttribute('data-service')) ?? '';
      rowOf[service] = row;
      statusText[service] = await row.locator('[data-col="status"]').innerText();
      seen[service] = {
        capture: await row.getAttribute('data-capture'),
        httpSpans: Number(await row.locator('[data-col="httpSpans"]').innerText()),
        judged: Number(await row.locator('[data-col="judged"]').innerText()),
        estimated: (await row.locator('[data-col="counts"]').innerText()) === 'estimated (sampled)',
      };
    }
    expect(seen).toEqual(EXPECTED_CAPTURE);
    expect(statusText).toEqual({
      [CAPTURED_SERVICE]: 'judged from HTTP spans',
      [HOSTILE_SERVICE]: 'not enough data: no CORS response header captured yet — add the settings below',
      'orders-api': 'counted from Corsight’s own spans (its HTTP spans are not counted twice)',
    });
    // The name carrying markup: text, visibly clipped, whole in the title; a judged service links to
    // its Overview, one without verdicts does not.
    const hostileRow = rowOf[HOSTILE_SERVICE] ?? rows.first();
    const hostile = hostileRow.locator('th code');
    expect(await hostile.getAttribute('title')).toBe(HOSTILE_SERVICE);
    expect(await hostile.innerText()).toBe(`${Array.from(HOSTILE_SERVICE).slice(0, 47).join('')}…`);
    expect(await hostileRow.locator('th a').count()).toBe(0);
    expect(await rowOf[CAPTURED_SERVICE]?.locator('th a').getAttribute('href')).toBe(
      `/?service=${CAPTURED_SERVICE}`,
    );
    await noInjectedMarkup();

    // The settings are built from the collector's own lists.
    expect(await page.locator('[data-headers="request"]').innerText()).toBe(
      CAPTURE_REQUEST_HEADERS.join(', '),
    );
    expect(await page.locator('[data-headers="response"]').innerText()).toBe(
      CAPTURE_RESPONSE_HEADERS.join(', '),
    );
    expect(await dataValues(page.locator('pre[data-snippet]'), 'snippet')).toEqual([
      'java',
      'python',
      'dotnet',
      'node',
      'go',
    ]);
    const java = await page.locator('pre[data-snippet="java"]').innerText();
    expect(java).toContain(
      `OTEL_INSTRUMENTATION_HTTP_SERVER_CAPTURE_REQUEST_HEADERS=${CAPTURE_REQUEST_HEADERS.join(',')}\n`,
    );
    expect(java).toContain(
      `OTEL_INSTRUMENTATION_HTTP_SERVER_CAPTURE_RESPONSE_HEADERS=${CAPTURE_RESPONSE_HEADERS.join(',')}\n`,
    );
    expect(java).toContain(`OTEL_EXPORTER_OTLP_ENDPOINT=${collector.httpUrl}`);
    expect(await page.locator('main').innerText()).toContain('deploy/otel-collector/corsight-forward.yaml');
    await page.screenshot({ path: join(SCREENSHOTS, 'connect.png'), fullPage: true });

    await sortBy('HTTP spans seen', /sort=httpSpans&dir=desc/);
    await expect
      .poll(() => dataValues(rows, 'service'))
      .toEqual([CAPTURED_SERVICE, HOSTILE_SERVICE, 'orders-api']);
  });

  it('marks services with estimated counts or not enough data in the filter and on the Overview', async () => {
    await open('/?range=7d');
    const option = page.locator(`select[name="service"] option[value="${CAPTURED_SERVICE}"]`);
    expect(await option.innerText()).toBe(`${CAPTURED_SERVICE} — estimated (sampled)`);
    expect(await page.locator('select[name="service"] option[value="orders-api"]').innerText()).toBe(
      'orders-api',
    );
    const marks = page.locator('.service-marks li[data-service]');
    expect(await dataValues(marks, 'service')).toEqual([CAPTURED_SERVICE, HOSTILE_SERVICE]);
    expect(await marks.nth(0).innerText()).toBe(`${CAPTURED_SERVICE}: estimated (sampled)`);
    expect(await marks.nth(1).innerText()).toMatch(/^legacy-python"><img src=x .*…: not enough data$/);
    expect(await page.locator('.capture-notes [data-note="estimated"]').innerText()).toContain(
      CAPTURED_SERVICE,
    );
    expect(
      await page.locator('.capture-notes [data-note="not_enough_data"] code').getAttribute('title'),
    ).toBe(HOSTILE_SERVICE);
    await noInjectedMarkup();
    await follow(marks.nth(1).locator('a'), /\/connect\?range=7d$/);
    expect(await page.locator('table.capture-status').count()).toBe(1);
  });

  it('Alerts shows the firing rule, its instances linked to Origins, the delivery, and names as text', async () => {
    expect(receiver.bodies.length).toBeGreaterThan(0);
    await open('/alerts');
    expect(await page.getByRole('link', { name: 'Alerts' }).getAttribute('aria-current')).toBe('page');
    const rule = page.locator(`table.alert-rules tr[data-rule="${SEEDED_RULE_ID}"]`);
    expect(await rule.getAttribute('data-state')).toBe('firing');
    expect(await rule.locator('.rule-name').innerText()).toBe(SEEDED_RULE_NAME);
    // Its sparkline: orders-api's blocked requests in the last 24 h (evil.test 5, the hostile origin 7, 0 for
    // the weight-0 exemplar).
    expect(await rule.locator('svg.sparkline').getAttribute('data-total')).toBe(
      String(EXPECTED.orders24h.blocked),
    );
    const instances = page.locator('table.alert-instances tbody tr');
    expect(new Set(await dataValues(instances, 'origin'))).toEqual(new Set([HOSTILE_ORIGIN, EVIL_ORIGIN]));
    expect(new Set(await dataValues(instances, 'state'))).toEqual(new Set(['firing']));
    const hostile = page.locator(
      `table.alert-instances tbody tr[data-origin="${HOSTILE_ORIGIN.replaceAll('"', '\\"')}"]`,
    );
    expect(await hostile.locator('[data-col="peak"]').innerText()).toBe('7');
    expect(await hostile.locator('a.origin-link').innerText()).toBe(HOSTILE_ORIGIN);
    // The history: both instances fired and the webhook delivery succeeded.
    expect(await page.locator('table.alert-history tr[data-event="firing"]').count()).toBe(2);
    expect(
      await page
        .locator('table.alert-history tr[data-event="delivery"] [data-col="delivery"]')
        .first()
        .innerText(),
    ).toContain('delivered');
    await noInjectedMarkup();
    await page.screenshot({ path: join(SCREENSHOTS, 'alerts.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(SCREENSHOTS, 'alerts-dark.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });

    // Sorted by peak, from the keyboard: the hostile origin's 7 first, then smallest first.
    await page.getByRole('button', { name: 'Peak' }).focus();
    await Promise.all([page.waitForURL(/sort=peak&dir=desc/), page.keyboard.press('Enter')]);
    await expect.poll(() => dataValues(instances, 'origin')).toEqual([HOSTILE_ORIGIN, EVIL_ORIGIN]);
    await sortBy('Peak', /sort=peak&dir=asc/);
    await expect.poll(() => dataValues(instances, 'origin')).toEqual([EVIL_ORIGIN, HOSTILE_ORIGIN]);

    // The hostile origin links to the Origins view narrowed to it and the instance's time.
    await follow(hostile.locator('a.origin-link'), /\/origins\?/);
    const params = new URL(page.url()).searchParams;
    expect(params.get('origin')).toBe(HOSTILE_ORIGIN);
    expect(params.get('service')).toBe('orders-api');
    expect(params.get('from')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d$/);
    expect(await page.locator('table.origins tbody th a').innerText()).toBe(HOSTILE_ORIGIN);
    await noInjectedMarkup();
  });

  it('the rule form previews a backtest, saves the rule with the admin token, and silences an origin', async () => {
    // A link to a rule that is gone says so rather than showing an empty form as if it were the rule.
    await open('/alerts?edit=no-such-rule');
    expect(await page.getByRole('alert').allInnerTexts()).toContainEqual(
      expect.stringContaining('There is no rule "no-such-rule"'),
    );
    await open('/alerts');
    // A test notification reaches the webhook receiver.
    const received = receiver.bodies.length;
    const hook = page.locator('.alert-channels li[data-channel="hook"]');
    await hook.getByRole('button', { name: 'Send a test notification' }).click();
    await expect.poll(() => hook.getByRole('status').count()).toBe(1);
    expect(await hook.getByRole('status').innerText()).toContain('delivered to hook');
    expect(receiver.bodies.length).toBe(received + 1);

    await page.fill('input[name="name"]', 'Evil.test rejected');
    // Only the chosen kind's settings are shown.
    expect(await page.isVisible('input[name="factor"]')).toBe(true);
    expect(await page.isVisible('input[name="lookback"]')).toBe(false);
    await page.selectOption('select[name="kind"]', 'new_rejected_origin');
    expect(await page.isVisible('input[name="factor"]')).toBe(false);
    await page.fill('input[name="filterOrigin"]', EVIL_ORIGIN);
    await page.fill('input[name="window"]', '15m');
    await page.fill('input[name="minCount"]', '1');
    await page.fill('input[name="for"]', '0');
    await page.fill('input[name="lookback"]', '1h');
    await Promise.all([
      page.waitForURL(/kind=new_rejected_origin/),
      page.getByRole('button', { name: /^Preview/ }).click(),
    ]);
    await shown();
    const result = page.locator('#backtest-result');
    expect(await result.getAttribute('data-firings')).toBe('1');
    expect(await result.innerText()).toContain('would have fired once in the last 7 days');
    expect(await page.locator('table.backtest-firings tbody tr').getAttribute('data-origin')).toBe(
      EVIL_ORIGIN,
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'alerts-backtest.png'), fullPage: true });
    // A wrong field is named before anything is saved.
    await page.fill('input[name="window"]', '5x');
    await Promise.all([page.waitForURL(/window=5x/), page.getByRole('button', { name: /^Preview/ }).click()]);
    await shown();
    expect(await page.getByRole('alert').first().innerText()).toContain('rule.window: expected a duration');
    await page.goBack();
    await page.waitForURL(/window=15m/);
    await shown();
    // The form shows the draft of the URL, not what was typed last.
    expect(await page.inputValue('input[name="window"]')).toBe('15m');

    await Promise.all([
      page.waitForURL(/\/alerts$/),
      page.getByRole('button', { name: 'Save rule' }).click(),
    ]);
    await shown();
    const saved = page.locator('table.alert-rules tr[data-rule="evil-test-rejected"]');
    await saved.waitFor();
    expect(await saved.innerText()).toContain('api');
    expect(await saved.innerText()).toContain('15m, 0, 4h');

    const silence = page.locator('form.silence-form');
    await silence.locator('select[name="ruleId"]').selectOption(SEEDED_RULE_ID);
    // No alert names an origin a browser cannot send: the collector refuses it (the refusal shown as text).
    await silence.locator('input[name="origin"]').fill(HOSTILE_ORIGIN);
    await silence.getByRole('button', { name: 'Silence' }).click();
    await expect
      .poll(() => silence.getByRole('alert').innerText())
      .toContain('silence.origin: must be an origin as alerts name it');
    await noInjectedMarkup();
    await silence.locator('input[name="origin"]').fill(EVIL_ORIGIN);
    // The collector refuses a silence that has already ended, naming the field.
    const until = silence.locator('input[name="until"]');
    const later = await until.inputValue();
    await until.fill('2001-01-01T00:00');
    await silence.getByRole('button', { name: 'Silence' }).click();
    await expect
      .poll(() => silence.getByRole('alert').innerText())
      .toContain('silence.endsAt: must be in the future');
    await until.fill(later);
    await silence.getByRole('button', { name: 'Silence' }).click();
    await expect.poll(() => silence.getByRole('status').count()).toBe(1);
    const row = page.locator(`table.alert-silences tr[data-rule="${SEEDED_RULE_ID}"]`);
    await row.waitFor();
    expect(await row.locator('code.origin').innerText()).toBe(EVIL_ORIGIN);
    await noInjectedMarkup();

    // Edited: the form comes back filled, the preview runs again, and the change is saved in place (PUT).
    await follow(saved.getByRole('link', { name: 'Edit' }), /edit=evil-test-rejected/);
    expect(await page.locator('#rule-form').innerText()).toBe('Edit rule evil-test-rejected');
    expect(await page.inputValue('input[name="name"]')).toBe('Evil.test rejected');
    expect(await page.inputValue('input[name="filterOrigin"]')).toBe(EVIL_ORIGIN);
    await page.fill('input[name="minCount"]', '6');
    await Promise.all([
      page.waitForURL(/minCount=6/),
      page.getByRole('button', { name: /^Preview/ }).click(),
    ]);
    await shown();
    // evil.test's 5 blocked requests no longer reach 6.
    expect(await page.locator('#backtest-result').getAttribute('data-firings')).toBe('0');
    await Promise.all([
      page.waitForURL(/\/alerts$/),
      page.getByRole('button', { name: 'Save changes' }).click(),
    ]);
    await shown();
    await expect.poll(() => saved.locator('td').nth(1).innerText()).toContain('at least 6');

    // The saved rule is deleted again; the rule from the file has no Delete button.
    expect(await page.locator(`table.alert-rules tr[data-rule="${SEEDED_RULE_ID}"] button`).count()).toBe(0);
    await saved.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => saved.count()).toBe(0);
  });

  it('a dashboard without the admin token says which variable to set when the collector refuses a change', async () => {
    const tokenless = await startDashboard(collector.httpUrl);
    try {
      const response = await page.goto(`${tokenless.url}/alerts`);
      expect(response?.status()).toBe(200);
      await shown();
      const silences = page.locator('table.alert-silences tbody tr');
      const before = await silences.count();
      const silence = page.locator('form.silence-form');
      await silence.getByRole('button', { name: 'Silence' }).click();
      await expect
        .poll(() => silence.getByRole('alert').innerText())
        .toMatch(
          /^Not silenced: The collector refused the dashboard's token for changes: set CORSIGHT_ADMIN_TOKEN/,
        );
      await page.reload();
      await shown();
      expect(await silences.count()).toBe(before);
    } finally {
      await tokenless.close();
    }
  });
});
