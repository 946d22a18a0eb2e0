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
import { mergePolicyChanges, originsLostQuery } from './policy-changes.js';

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
  // straggler: g2 replaces g1 at 20; one late request under g1 at 60, alone in its minute: no rollback.
  ...minutes('straggler', 'g1', 0, 20),
  ...minutes('straggler', 'g2', 20, 60),
  ...minutes('straggler', 'g1', 60, 61),
  ...minutes('straggler', 'g2', 61, 100),
  // turns: two instances with different policies, a request every 20 minutes, by turns: one change only.
  ...[0, 20, 40, 60, 80, 100, 120].flatMap((minute, i) =>
    minutes('turns', i % 2 === 0 ? 't1' : 't2', minute, minute + 1),
  ),
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
      { service: 'straggler', atMs: at(20, 1.5), before: 'g1', after: 'g2' },
      { service: 'turns', atMs: at(20, 1.5), before: 't1', after: 't2' },
    ]);
  });

  it('keeps to the range, and finds a return whose earlier policy answered before the range', async () => {
    if (store === undefined) throw new Error('no store');
    expect(await readPolicyChanges(store.client, at(60), at(120))).toEqual([
      { service: 'shop', atMs: at(90), before: 'p2', after: 'p1' },
    ]);
    expect(await readPolicyChanges(store.client, at(160), at(300))).toEqual([]);
    // A return in the range's last minutes: the minutes after the range tell that it held.
    expect(await readPolicyChanges(store.client, at(60), at(92))).toEqual([
      { service: 'shop', atMs: at(90), before: 'p2', after: 'p1' },
    ]);
  });
});

describe('originsLostQuery', () => {
  it('counts each side of the change only, though a rollback puts the same hashes on both sides', async () => {
    if (store === undefined) throw new Error('no store');
    // r1 allows the origin, r2 (at 30) blocks it, r1 is back at 60 (allowing it again), r2 again at 90.
    const allowing = (from: number, to: number): CorsEventRow[] =>
      minutes('lost', 'r1', from, to).map((row) => ({ ...row, outcome: 'allowed' }));
    const segment = join(dir, 'lost.jsonl');
    writeFileSync(
      segment,
      encodeEventRows([
        ...allowing(0, 30),
        ...minutes('lost', 'r2', 30, 60),
        ...allowing(60, 90),
        ...minutes('lost', 'r2', 90, 100),
      ]),
    );
    await store.insertSegment(segment, 'policy-lost-1');
    const change = { service: 'lost', atMs: at(30, 1.5), before: 'r1', after: 'r2' };
    const built = originsLostQuery(change, { fromMs: at(0), toMs: at(100) }, 10);
    const result = await store.client.query({
      query: built.query,
      query_params: built.params,
      format: 'JSONEachRow',
    });
    // Allowed under r1 before the change: minutes 0-29 (not 60-89, after it); blocked under r2 after: 30-59, 90-99.
    expect(await result.json()).toEqual([
      { origin: 'https://app.example.com', allowed_before: 30, blocked_after: 40 },
    ]);
  });
});

describe('mergePolicyChanges', () => {
  const range = { fromMs: at(0), toMs: at(100) };
  const run = (policy_hash: string, position: number, ends_at: number, minutes = 50) => ({
    service: 's',
    policy_hash,
    start_ms: at(position),
    absent_ms: 20 * MINUTE,
    position,
    minutes,
    ends_at,
  });

  it('lists a switch between held runs, not one to a policy first seen since the last held run began', () => {
    const hashes = [
      { service: 's', policy_hash: 'a', first_seen_ms: at(-500), last_seen_ms: at(40), requests: 9 },
      { service: 's', policy_hash: 'b', first_seen_ms: at(9, 20), last_seen_ms: at(30), requests: 9 },
    ];
    // a, then b takes over at 10 (first seen at 9:20), a one-minute a at 20 (noise), b, then a again at 30.
    const runs = [run('a', 1, 10), run('b', 10, 20), run('a', 20, 21), run('b', 21, 30), run('a', 30, 0)];
    expect(mergePolicyChanges(hashes, runs, range)).toEqual([
      { service: 's', atMs: at(9, 20), before: 'a', after: 'b' },
      { service: 's', atMs: at(30), before: 'b', after: 'a' },
    ]);
  });

  it('names the held policy a first sighting replaced, after a rollback', () => {
    // c1, c2 from 10, back to c1 at 30, then c3 (first seen at 59:30) from 60: c3 replaced c1, not c2.
    const hashes = [
      { service: 's', policy_hash: 'c1', first_seen_ms: at(-500), last_seen_ms: at(60), requests: 9 },
      { service: 's', policy_hash: 'c2', first_seen_ms: at(10), last_seen_ms: at(30), requests: 9 },
      { service: 's', policy_hash: 'c3', first_seen_ms: at(59, 30), last_seen_ms: at(90), requests: 9 },
    ];
    const runs = [run('c1', 1, 10), run('c2', 10, 30), run('c1', 30, 60), run('c3', 60, 0, 90)];
    expect(mergePolicyChanges(hashes, runs, { fromMs: at(0), toMs: at(100) })).toEqual([
      { service: 's', atMs: at(10), before: 'c1', after: 'c2' },
      { service: 's', atMs: at(30), before: 'c2', after: 'c1' },
      { service: 's', atMs: at(59, 30), before: 'c1', after: 'c3' },
    ]);
  });

  it('takes no switch to a policy that kept answering some requests for one', () => {
    const hashes = [
      { service: 's', policy_hash: 'a', first_seen_ms: at(-500), last_seen_ms: at(60), requests: 9 },
      { service: 's', policy_hash: 'b', first_seen_ms: at(-400), last_seen_ms: at(60), requests: 9 },
    ];
    const runs = [run('a', 1, 10), { ...run('b', 10, 0), absent_ms: 2 * MINUTE }];
    expect(mergePolicyChanges(hashes, runs, range)).toEqual([]);
  });

  it('waits until a new run has held before calling it a change', () => {
    const hashes = [
      { service: 's', policy_hash: 'a', first_seen_ms: at(-500), last_seen_ms: at(60), requests: 9 },
    ];
    expect(mergePolicyChanges(hashes, [run('b', 1, 49), run('a', 49, 0)], range)).toEqual([]);
  });
});
