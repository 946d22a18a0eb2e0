// Inhibition against chDB, through the real loop, with a real webhook receiver counting the pages. An
// allowlist change cuts off an origin that had traffic for days: without inhibition the built-in rules paged
// twice for it (newly blocked at +2 min, then a spike over its baseline of 0 at +3 min), and twice for an
// origin never seen before (new rejected origin, then the spike). Now each pages once, the spike is recorded
// as inhibited, and a spike of an origin that was never allowed still pages by itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventStore, type ClickHouseEventStore } from '../store/create-event-store.js';
import { AlertLoop } from './alert-loop.js';
import { parseAlertRuleSet, type AlertRuleSpec, type AlertRuleSet } from './alert-rule.js';
import { alertsApi } from './alerts-api.js';
import type { AlertInstanceView, AlertStateAnswer } from '../query/api-types.js';
import { DAY, MINUTE, storeRows, trafficRows, type Traffic } from './alert-store.fixture.js';
import { readEvents } from './alert-store.js';

/** The allowlist change. */
const CUT = Date.UTC(2026, 10, 16, 12, 0);
/** Allowed for three days, then blocked at 40 a minute. */
const CUT_OFF = 'https://partner.example.com';
/** Never seen before the cut, then blocked at 40 a minute. */
const FRESH = 'https://fresh.example.com';
/** Blocked 2 a minute for three days (never allowed), then 60 a minute. */
const CHRONIC = 'https://chronic.example.com';
/** Allowed for three days, blocked at 40 a minute for 10 minutes, then 10 blocked and 20 allowed a minute. */
const MOVED = 'https://moved.example.com';

const TRAFFIC: Traffic[] = [
  { origin: CUT_OFF, fromMs: CUT - 3 * DAY, toMs: CUT, allowed: 20 },
  { origin: CUT_OFF, fromMs: CUT, toMs: CUT + 30 * MINUTE, blocked: 40 },
  { origin: FRESH, fromMs: CUT, toMs: CUT + 30 * MINUTE, blocked: 40 },
  { origin: CHRONIC, fromMs: CUT - 3 * DAY, toMs: CUT, blocked: 2 },
  { origin: CHRONIC, fromMs: CUT, toMs: CUT + 30 * MINUTE, blocked: 60 },
  { origin: MOVED, fromMs: CUT - 3 * DAY, toMs: CUT, allowed: 20 },
  { origin: MOVED, fromMs: CUT, toMs: CUT + 10 * MINUTE, blocked: 40 },
  { origin: MOVED, fromMs: CUT + 10 * MINUTE, toMs: CUT + 30 * MINUTE, blocked: 10, allowed: 20 },
];

interface Page {
  readonly rule: string;
  readonly transition: string;
  readonly origin: string;
}

/** `rule transition` of each page, in the order sent. */
type Pages = string[];

let dir: string;
let store: ClickHouseEventStore | undefined;
let hook: Server;
let hookUrl: string;
const received: Page[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'corsight-alert-inhibition-'));
  store = await createEventStore({ clickhouse: { kind: 'chdb', dataDir: join(dir, 'data') } });
  await storeRows(store, trafficRows(TRAFFIC));
  hook = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const payload = JSON.parse(body) as {
        rule: { id: string };
        transition: string;
        instances: { key: { origin: string } }[];
      };
      for (const instance of payload.instances) {
        received.push({ rule: payload.rule.id, transition: payload.transition, origin: instance.key.origin });
      }
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${String((hook.address() as AddressInfo).port)}/hook`;
});

afterAll(async () => {
  await new Promise((resolve) => hook.close(resolve));
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The loop over `rules` at CUT + 1 … CUT + `minutes` minutes: its pages by origin, and their minutes. */
async function pagesOf(
  rules: Record<string, unknown>,
  minutes: number,
  inspect?: (loop: AlertLoop, ruleSet: AlertRuleSet) => Promise<void>,
): Promise<{ pages: Map<string, Pages>; at: Map<string, number> }> {
  if (store === undefined) throw new Error('chDB did not open');
  const ruleSet = parseAlertRuleSet({ channels: [{ id: 'hook', type: 'webhook', url: hookUrl }], ...rules });
  const loop = new AlertLoop({
    client: store.client,
    ruleSet,
    dashboardUrl: undefined,
    evaluator: 'test',
    log: pino({ level: 'silent' }),
  });
  const from = received.length;
  const at = new Map<string, number>();
  try {
    for (let minute = 1; minute <= minutes; minute += 1) {
      const before = received.length;
      expect((await loop.evaluateNow(CUT + minute * MINUTE)).errors).toBe(0);
      await loop.deliveriesSettled();
      for (const page of received.slice(before))
        at.set(`${page.rule} ${page.transition} ${page.origin}`, minute);
    }
    await inspect?.(loop, ruleSet);
  } finally {
    await loop.stop(0);
  }
  const pages = new Map<string, Pages>();
  for (const page of received.slice(from)) {
    pages.set(page.origin, [...(pages.get(page.origin) ?? []), `${page.rule} ${page.transition}`]);
  }
  return { pages, at };
}

/** GET /api/v1/alerts/state as the collector serves it, for the loop's states. */
async function stateOf(loop: AlertLoop, ruleSet: AlertRuleSet): Promise<AlertInstanceView[]> {
  if (store === undefined) throw new Error('chDB did not open');
  const app = Fastify();
  await app.register(alertsApi, {
    prefix: '/api/v1/alerts',
    client: store.client,
    ruleSet,
    loop,
    readTokens: [],
    adminTokens: [],
    dashboardUrl: undefined,
    evaluator: 'test',
  });
  try {
    const response = await app.inject({ method: 'GET', url: '/api/v1/alerts/state' });
    expect(response.statusCode).toBe(200);
    return [...response.json<AlertStateAnswer>().instances];
  } finally {
    await app.close();
  }
}

/** A file rule of a built-in kind, narrowed to MOVED. */
function movedRule(
  spec: Partial<AlertRuleSpec> & Pick<AlertRuleSpec, 'id' | 'kind'>,
): Record<string, unknown> {
  return {
    name: spec.id,
    groupBy: ['service', 'origin'],
    filter: { origin: MOVED },
    notify: ['hook'],
    ...spec,
  };
}

describe('inhibition between the origin kinds', { timeout: 60_000 }, () => {
  it('pages once per origin with the built-in rules, recording the spikes as inhibited', async () => {
    if (store === undefined) throw new Error('chDB did not open');
    let state: AlertInstanceView[] = [];
    const { pages } = await pagesOf({ defaultRules: { notify: ['hook'] } }, 12, async (loop, ruleSet) => {
      state = await stateOf(loop, ruleSet);
    });
    // /state says which firing alerts another holds back, and which one: the dashboard shows it.
    const spikes = state.filter((instance) => instance.ruleId === 'default-rejected-spike');
    expect(
      Object.fromEntries(
        spikes.map((instance) => [instance.key.origin, instance.inhibitedBy?.ruleName ?? null]),
      ),
    ).toEqual({
      [CUT_OFF]: 'Origin that was allowed is now blocked',
      [MOVED]: 'Origin that was allowed is now blocked',
      [FRESH]: 'New origin rejected',
      [CHRONIC]: null,
    });
    expect(
      state.filter(
        (instance) => instance.ruleId !== 'default-rejected-spike' && instance.inhibitedBy !== null,
      ),
    ).toEqual([]);
    expect(Object.fromEntries(pages)).toEqual({
      [CUT_OFF]: ['default-newly-blocked-origin firing'],
      [MOVED]: ['default-newly-blocked-origin firing'],
      [FRESH]: ['default-new-rejected-origin firing'],
      [CHRONIC]: ['default-rejected-spike firing'],
    });
    const events = await readEvents(store.client, { fromMs: CUT, toMs: CUT + DAY }, 1000);
    const inhibited = events
      .filter((event) => event.event === 'suppressed')
      .map((event) => [
        event.ruleId,
        event.transition,
        event.key.origin,
        event.detail as Record<string, unknown>,
      ]);
    expect(inhibited).toEqual(
      expect.arrayContaining([
        [
          'default-rejected-spike',
          'firing',
          CUT_OFF,
          expect.objectContaining({
            inhibitedBy: {
              ruleId: 'default-newly-blocked-origin',
              instanceId: `["orders-api",null,"${CUT_OFF}"]`,
            },
          }),
        ],
        [
          'default-rejected-spike',
          'firing',
          FRESH,
          expect.objectContaining({
            inhibitedBy: {
              ruleId: 'default-new-rejected-origin',
              instanceId: `["orders-api",null,"${FRESH}"]`,
            },
          }),
        ],
      ]),
    );
    expect(inhibited).toHaveLength(3);
    // The inhibited spikes are firing all the same (their state is shown), only not paged.
    const firing = events
      .filter((event) => event.event === 'firing' && event.ruleId === 'default-rejected-spike')
      .map((event) => event.key.origin)
      .sort();
    expect(firing).toEqual([CHRONIC, FRESH, MOVED, CUT_OFF].sort());
  });

  it('pages the spike once the newly blocked alert that inhibited it resolves', async () => {
    // A newly blocked rule that needs 150 in 5 minutes resolves when MOVED drops to 10 blocked a minute
    // with its traffic partly allowed again (all blocked, it would stay: rule-condition.ts); the spike (20 in
    // 5 minutes) goes on firing, and pages then.
    const { pages, at } = await pagesOf(
      {
        defaultRules: { enabled: false },
        rules: [
          movedRule({ id: 'own-newly-blocked', kind: 'newly_blocked_origin', minCount: 150, for: '1m' }),
          movedRule({ id: 'own-spike', kind: 'rejected_spike', minCount: 20, for: '5m' }),
        ],
      },
      16,
    );
    expect(pages.get(MOVED)).toEqual([
      'own-newly-blocked firing',
      'own-newly-blocked resolved',
      'own-spike firing',
    ]);
    expect(at.get(`own-newly-blocked firing ${MOVED}`)).toBe(5);
    expect(at.get(`own-newly-blocked resolved ${MOVED}`)).toBe(14);
    expect(at.get(`own-spike firing ${MOVED}`)).toBe(14);
  });

  it('pages each rule on its own with inhibition: { enabled: false }', async () => {
    const { pages } = await pagesOf(
      {
        defaultRules: { enabled: false },
        inhibition: { enabled: false },
        rules: [
          movedRule({ id: 'plain-newly-blocked', kind: 'newly_blocked_origin', minCount: 10, for: '1m' }),
          movedRule({ id: 'plain-spike', kind: 'rejected_spike', minCount: 20, for: '2m' }),
        ],
      },
      4,
    );
    expect(pages.get(MOVED)).toEqual(['plain-newly-blocked firing', 'plain-spike firing']);
  });
});
