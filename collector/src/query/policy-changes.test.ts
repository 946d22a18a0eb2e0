// Policy changes against real chDB: first sightings, returns to an earlier policy (a rollback), rolling
// deploys (both policies live for a while) and a service that only pauses, from rows stored by the views.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventRow } from '../ingest/cors-event-row.fixture.js';
import { encodeEventRows, type CorsEventRow } from '../ingest/cors-event-row.js';
import { readPolicyChanges } from '../alerts/read-rule-input.js';
import { createEventStore, type ClickHouseEventStore } from '../store/create-event-store.js';
import { mergePolicyChanges } from './policy-changes.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 20, 8, 0);

let dir: string;
let store: ClickHouseEventStore | undefined;

/** One request per minute in [from, to) (minutes after T0) under `hash`, plus an exemplar (weight 0). */
function minutes(service: string, hash: string, from: number, to: number): CorsEventRow[] {
  const rows: CorsEventRow[] = [];
  for (let minute = from; minute < to; minute++) {
    rows.push(
      eventRow({ service, policyHash: hash, timestamp: T0 + minute * MINUTE + 1500, sampleWeight: 1 }),
      eventRow({ service, policyHash: hash, timestamp: T0 + minute * MINUTE + 2500, sampleWeight: 0 }),
    );
  }
  return rows;
}

const ROWS: CorsEventRow[] = [
  // shop: p1, then a rolling deploy of p2 (p1 still answers for three minutes), a rollback to p1 at 90 and
  // p2 again at 150.
  ...minutes('shop', 'p1', 0, 33),
  ...minutes('shop', 'p2', 30, 90),
  ...minutes('shop', 'p1', 90, 150),
  ...minutes('shop', 'p2', 150, 160),
  // idle: one policy, an hour without traffic, the same policy again: no change.
  ...minutes('idle', 'q1', 0, 10),
  ...minutes('idle', 'q1', 70, 80),
  // fleet: two policies answering side by side the whole time (a fleet half deployed): one change, when
  // the second first answered.
  ...minutes('fleet', 'f1', 0, 160),
  ...minutes('fleet', 'f2', 5, 160),
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'corsight-policy-'));
  store = await createEventStore({ clickhouse: { kind: 'chdb', dataDir: join(dir, 'data') } });
  const segment = join(dir, 'seed.jsonl');
  writeFileSync(segment, encodeEventRows(ROWS));
  await store.insertSegment(segment, 'policy-seed-1');
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

function at(minute: number, second = 0): number {
  return T0 + minute * MINUTE + second * 1000;
}

describe('policy changes', () => {
  it('finds first sightings and returns to an earlier policy, dated at the first request', async () => {
    if (store === undefined) throw new Error('no store');
    const changes = await readPolicyChanges(store.client, at(0), at(200));
    expect(changes).toEqual([
      { service: 'fleet', atMs: at(5, 1.5), before: 'f1', after: 'f2' },
      { service: 'shop', atMs: at(30, 1.5), before: 'p1', after: 'p2' },
      // The rollback: p1 answers again after an hour of p2 only.
      { service: 'shop', atMs: at(90), before: 'p2', after: 'p1' },
      { service: 'shop', atMs: at(150), before: 'p1', after: 'p2' },
    ]);
  });

  it('keeps to the range, and finds a return whose earlier policy answered before the range', async () => {
    if (store === undefined) throw new Error('no store');
    expect(await readPolicyChanges(store.client, at(60), at(120))).toEqual([
      { service: 'shop', atMs: at(90), before: 'p2', after: 'p1' },
    ]);
    expect(await readPolicyChanges(store.client, at(160), at(300))).toEqual([]);
  });
});

describe('mergePolicyChanges', () => {
  it('keeps one change per service, policy and minute: the first sighting’s time, the return’s before', () => {
    const first = { service: 's', atMs: at(3, 20), before: 'a', after: 'c' };
    expect(mergePolicyChanges([first], [{ service: 's', after: 'c', before: 'b', at_ms: at(3) }])).toEqual([
      { service: 's', atMs: at(3, 20), before: 'b', after: 'c' },
    ]);
  });
});
