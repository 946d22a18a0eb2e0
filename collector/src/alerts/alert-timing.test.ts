// The built-in rules over realistic timelines against chDB, through the real loop: per-request rows at the
// instants an API would send them, cycles driven with evaluateNow. Each case is one a helper's audit found
// wrong: a cron origin cut off by an allowlist change paged "firing" and "resolved" every 10 minutes while its
// runs kept failing (a window without any of its traffic counted as recovery), and a resolve that a silence
// held back was recorded without its service and origin.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CorsEventRow } from '../ingest/cors-event-row.js';
import { eventRow } from '../ingest/cors-event-row.fixture.js';
import { createEventStore, type ClickHouseEventStore } from '../store/create-event-store.js';
import { AlertLoop } from './alert-loop.js';
import { parseAlertRuleSet } from './alert-rule.js';
import { DAY, HOUR, MINUTE, storeRows } from './alert-store.fixture.js';
import { readEvents, writeSilence } from './alert-store.js';

/** The allowlist change, 30 s into the minute. */
const CUT = Date.UTC(2026, 10, 16, 12, 0, 30);
const SERVICE = 'shop-api';
/** A partner's cron: 30 requests in the first half of minutes :05, :15, …, allowed for a week. */
const CRON = 'https://cron.example.com';
/** Allowed at 6 a minute for a week, cut off, then never calls again (the partner switched the widget off). */
const GONE = 'https://gone.example.com';
/** Allowed at 3 a minute for a week, cut off, with a quiet spell of 1 a minute from 12:30 to 12:35. */
const DIPPING = 'https://dipping.example.com';
/** Allowed at 6 a minute for a week, cut off for 20 minutes while a silence covers its end. */
const SILENCED = 'https://silenced.example.com';

function request(origin: string, atMs: number, blocked: boolean, weight = 1): CorsEventRow {
  return eventRow({
    service: SERVICE,
    route: '/products',
    origin,
    timestamp: atMs,
    outcome: blocked ? 'blocked' : 'allowed',
    reasons: blocked ? ['allow_origin_mismatch'] : [],
    warnings: [],
    policyHash: atMs >= CUT ? 'p-after' : 'p-before',
    sampleWeight: weight,
  });
}

/** A week of allowed traffic as one summary row per hour, then per-request rows. */
function rows(): CorsEventRow[] {
  const all: CorsEventRow[] = [];
  for (const origin of [CRON, GONE, SILENCED]) {
    for (let at = CUT - 7 * DAY; at < CUT - HOUR; at += HOUR) all.push(request(origin, at, false, 180));
  }
  for (let at = CUT - 7 * DAY; at < CUT - HOUR; at += HOUR) all.push(request(DIPPING, at, false, 90));
  for (let at = CUT - HOUR; at < CUT + 2 * HOUR; at += 20_000) {
    const quiet = at >= CUT + 30 * MINUTE && at < CUT + 35 * MINUTE && (at - CUT) % MINUTE !== 40_000;
    if (!quiet) all.push(request(DIPPING, at, at >= CUT));
  }
  // The cron's runs are blocked from the cut until the allowlist is fixed at 13:20.
  for (let run = CUT - HOUR + 4 * MINUTE + 30_000; run < CUT + 2 * HOUR; run += 10 * MINUTE) {
    for (let i = 0; i < 30; i += 1) {
      const at = run + i * 1000;
      all.push(request(CRON, at, at >= CUT && at < CUT + 80 * MINUTE));
    }
  }
  for (let at = CUT - HOUR; at < CUT + 10 * MINUTE; at += 10_000) all.push(request(GONE, at, at >= CUT));
  for (let at = CUT - HOUR; at < CUT + 2 * HOUR; at += 10_000) {
    all.push(request(SILENCED, at, at >= CUT && at < CUT + 20 * MINUTE));
  }
  return all;
}

let dir: string;
let store: ClickHouseEventStore | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'corsight-alert-timing-'));
  store = await createEventStore({ clickhouse: { kind: 'chdb', dataDir: join(dir, 'data') } });
  await storeRows(store, rows());
  await writeSilence(
    store.client,
    {
      id: 'maintenance',
      ruleId: 'default-newly-blocked-origin',
      origin: SILENCED,
      startsAtMs: CUT + 10 * MINUTE,
      endsAtMs: CUT + 40 * MINUTE,
      comment: 'rolling back',
      createdBy: 'test',
    },
    { deleted: false, version: 1 },
  );
  const loop = new AlertLoop({
    client: store.client,
    ruleSet: parseAlertRuleSet({}),
    dashboardUrl: undefined,
    evaluator: 'test',
    log: pino({ level: 'silent' }),
    cycleThread: 'main',
  });
  // Every minute from the cut to two hours after, 15 s after the minute as the loop runs.
  const first = CUT - 30_000;
  for (let minute = first; minute <= first + 2 * HOUR; minute += MINUTE) {
    await loop.evaluateNow(minute + 15_000);
  }
  await loop.stop(0);
}, 240_000);

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `HH:MM event[:transition]` of one origin's newly-blocked instance, oldest first. */
async function historyOf(origin: string): Promise<string[]> {
  if (store === undefined) throw new Error('chDB did not open');
  const events = await readEvents(
    store.client,
    { fromMs: CUT - HOUR, toMs: CUT + DAY },
    1000,
    'default-newly-blocked-origin',
  );
  return events
    .filter((event) => event.key.origin === origin && event.event !== 'delivery')
    .reverse()
    .map((event) => {
      const time = new Date(event.at).toISOString().slice(11, 16);
      const transition =
        event.event === 'notified' || event.event === 'suppressed' ? `:${event.transition}` : '';
      return `${time} ${event.event}${transition}`;
    });
}

describe('newly_blocked_origin over realistic timelines', { timeout: 60_000 }, () => {
  it('a cron origin cut off pages once and resolves once its run is allowed again', async () => {
    // Runs at 12:05, 12:15, …, 13:15 (blocked), then 13:25 (allowed again). Before, each run paged: pending
    // at :06, firing at :07, resolved at :12 once the run had left the 5-minute window.
    expect(await historyOf(CRON)).toEqual([
      '12:06 pending',
      '12:07 firing',
      '12:07 notified:firing',
      '13:26 resolved',
      '13:26 notified:resolved',
    ]);
  });

  it('an origin that stops calling once cut off resolves an hour after its last request', async () => {
    // Its last requests at 12:10 (all blocked, so the windows until 12:15 hold it); from 12:16 the windows
    // hold none of its traffic.
    expect(await historyOf(GONE)).toEqual([
      '12:03 pending',
      '12:04 firing',
      '12:04 notified:firing',
      '13:16 resolved',
      '13:16 notified:resolved',
    ]);
  });

  it('an origin still entirely blocked stays firing through a quiet spell under the bar', async () => {
    // Before, 12:30-12:35 (5 blocked in the window, under 80 % of minCount 10) resolved it at 12:36 and the
    // same block paged again at 12:39.
    expect(await historyOf(DIPPING)).toEqual(['12:04 pending', '12:05 firing', '12:05 notified:firing']);
  });

  it('records a resolve held back by a silence with its service and origin', async () => {
    if (store === undefined) throw new Error('chDB did not open');
    const events = await readEvents(
      store.client,
      { fromMs: CUT, toMs: CUT + DAY },
      1000,
      'default-newly-blocked-origin',
    );
    const suppressed = events.filter((event) => event.event === 'suppressed');
    expect(suppressed.map((event) => [event.transition, event.key, event.detail])).toEqual([
      [
        'resolved',
        { service: SERVICE, origin: SILENCED },
        expect.objectContaining({ silenceId: 'maintenance' }),
      ],
    ]);
    // The counts are those the resolve was decided on.
    const resolved = events.find((event) => event.event === 'resolved' && event.key.origin === SILENCED);
    // Resolved on its traffic allowed again (20:30 after the cut), as soon as 5 minutes of it held too few
    // blocked: its allowed-only window is read, not taken for one without traffic.
    expect(resolved?.allowed).toBeGreaterThan(0);
    expect(new Date(resolved?.at ?? 0).toISOString().slice(11, 16)).toBe('12:26');
    expect([suppressed[0]?.at, suppressed[0]?.blocked, suppressed[0]?.allowed]).toEqual([
      resolved?.at,
      resolved?.blocked,
      resolved?.allowed,
    ]);
  });
});
