// The built-in rules over realistic timelines against chDB, through the real loop: per-request rows at the
// instants an API would send them, cycles driven with evaluateNow. Each case is one an audit found wrong: a
// resolve that a silence held back was recorded without its service and origin.
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
  for (const origin of [SILENCED]) {
    for (let at = CUT - 7 * DAY; at < CUT - HOUR; at += HOUR) all.push(request(origin, at, false, 180));
  }
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

describe('newly_blocked_origin over realistic timelines', { timeout: 60_000 }, () => {
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
    expect([suppressed[0]?.at, suppressed[0]?.blocked, suppressed[0]?.allowed]).toEqual([
      resolved?.at,
      resolved?.blocked,
      resolved?.allowed,
    ]);
  });
});
