// The cycle's shared minutes read incrementally against chDB: with the previous cycle's answer, a read
// returns what a full read returns whenever the spans stored since fall in the minutes it reads again, misses
// a span stored later than REREAD_MS until the next full read, and falls back to a full read when the
// previous answer cannot be extended.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventStore, type ClickHouseEventStore } from '../store/create-event-store.js';
import { MINUTE, storeRows, trafficRows } from './alert-store.fixture.js';
import { FULL_READ_EVERY_MS, readRecentTraffic, REREAD_MS, type RecentTraffic } from './recent-traffic.js';

/** Monday 2026-11-16 12:00 UTC. */
const NOW = Date.UTC(2026, 10, 16, 12, 0);
const WINDOW = 60 * MINUTE;
const APP = 'https://app.example.com';
const PARTNER = 'https://shop.partner.test';

let dir: string;
let store: ClickHouseEventStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'corsight-recent-traffic-'));
  store = await createEventStore({ clickhouse: { kind: 'chdb', dataDir: join(dir, 'data') } });
  await storeRows(
    store,
    trafficRows([
      { origin: APP, fromMs: NOW - 90 * MINUTE, toMs: NOW, blocked: 2, allowed: 3 },
      { origin: PARTNER, fromMs: NOW - 20 * MINUTE, toMs: NOW, blocked: 1, reason: 'header_not_allowed' },
    ]),
  );
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The answer's rows, independent of the triples' numbering. */
function rowsOf(recent: RecentTraffic): { minutes: string[]; reasons: string[] } {
  return {
    minutes: recent.minutes
      .map((row) => `${row.minuteMs} ${row.service} ${row.route} ${row.origin} ${row.blocked} ${row.allowed}`)
      .sort(),
    reasons: recent.reasons
      .map((row) => `${row.minuteMs} ${row.service} ${row.route} ${row.origin} ${row.code} ${row.requests}`)
      .sort(),
  };
}

/** Each row's triple is the one its fields name. */
function expectConsistentTriples(recent: RecentTraffic): void {
  for (const row of [...recent.minutes, ...recent.reasons]) {
    expect(recent.triples[row.triple]).toEqual({
      service: row.service,
      route: row.route,
      origin: row.origin,
    });
  }
}

describe('readRecentTraffic with the previous cycle’s answer', () => {
  it('returns what a full read returns, with spans stored since in the minutes it reads again', async () => {
    const first = await readRecentTraffic(store.client, NOW - WINDOW, NOW);
    // The next minute, a new origin, and spans that arrived late for a minute the first read already had.
    await storeRows(
      store,
      trafficRows([
        { origin: APP, fromMs: NOW, toMs: NOW + MINUTE, blocked: 7 },
        { origin: 'https://new.example.com', fromMs: NOW, toMs: NOW + MINUTE, blocked: 4 },
        {
          origin: PARTNER,
          fromMs: NOW - 2 * MINUTE,
          toMs: NOW - MINUTE,
          blocked: 5,
          reason: 'method_not_allowed',
        },
      ]),
    );
    const next = await readRecentTraffic(store.client, NOW + MINUTE - WINDOW, NOW + MINUTE, first);
    const full = await readRecentTraffic(store.client, NOW + MINUTE - WINDOW, NOW + MINUTE);
    expect(rowsOf(next)).toEqual(rowsOf(full));
    expect(next.minutes.map((row) => row.minuteMs)).toEqual(
      [...next.minutes.map((row) => row.minuteMs)].sort((a, b) => a - b),
    );
    expectConsistentTriples(next);
    expect(next.fullReadAtMs).toBe(first.fullReadAtMs);
    expect(full.fullReadAtMs).toBe(NOW + MINUTE);
    // The same previous answer extended twice (its triple numbers were extended by the first): the same rows.
    const again = await readRecentTraffic(store.client, NOW + MINUTE - WINDOW, NOW + MINUTE, first);
    expect(rowsOf(again)).toEqual(rowsOf(full));
    expectConsistentTriples(again);
    // And extended from the extended answer, numbers kept: the triples are found, none added twice.
    const later = await readRecentTraffic(store.client, NOW + MINUTE - WINDOW, NOW + MINUTE, next);
    expect(rowsOf(later)).toEqual(rowsOf(full));
    expectConsistentTriples(later);
    expect(later.triples).toHaveLength(next.triples.length);
  });

  it('counts spans stored later than REREAD_MS at the next full read, FULL_READ_EVERY_MS after the last', async () => {
    const at = NOW + 2 * MINUTE;
    const first = await readRecentTraffic(store.client, at - WINDOW, at);
    const late = NOW - 30 * MINUTE;
    expect(late).toBeLessThan(at - REREAD_MS);
    await storeRows(store, trafficRows([{ origin: PARTNER, fromMs: late, toMs: late + MINUTE, allowed: 9 }]));
    const lateRow = `${late} orders-api /orders ${PARTNER} 0 9`;

    const next = await readRecentTraffic(store.client, at + MINUTE - WINDOW, at + MINUTE, first);
    expect(rowsOf(next).minutes).not.toContain(lateRow);

    const afterFullRead = first.fullReadAtMs + FULL_READ_EVERY_MS;
    const again = await readRecentTraffic(store.client, afterFullRead - WINDOW, afterFullRead, next);
    expect(again.fullReadAtMs).toBe(afterFullRead);
    expect(rowsOf(again)).toEqual(
      rowsOf(await readRecentTraffic(store.client, afterFullRead - WINDOW, afterFullRead)),
    );
    expect(late).toBeGreaterThanOrEqual(afterFullRead - WINDOW);
    expect(rowsOf(again).minutes).toContain(lateRow);
  });

  it('reads every minute when the previous answer cannot be extended', async () => {
    const previous = await readRecentTraffic(store.client, NOW - 30 * MINUTE, NOW);
    for (const [fromMs, toMs] of [
      // A longer window than the previous answer holds.
      [NOW - WINDOW, NOW + MINUTE],
      // Time went back.
      [NOW - 29 * MINUTE, NOW - 10 * MINUTE],
      // Starting inside the minutes the previous answer would have read again: nothing of it to keep.
      [NOW - REREAD_MS + MINUTE, NOW + MINUTE],
    ] as const) {
      const read = await readRecentTraffic(store.client, fromMs, toMs, previous);
      expect(read.fullReadAtMs).toBe(toMs);
      expect(rowsOf(read)).toEqual(rowsOf(await readRecentTraffic(store.client, fromMs, toMs)));
      expectConsistentTriples(read);
    }
  });
});
