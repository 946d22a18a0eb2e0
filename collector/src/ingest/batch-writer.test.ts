// The batch writer against the real store (chDB in a temp directory for this file): segments land once,
// a store that is down fills the spool until ingest is refused, and everything acknowledged is stored
// exactly once when it comes back, also across a restart in the middle of the outage.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEventStore, type ClickHouseEventStore } from '../store/create-event-store.js';
import type { EventStore } from '../store/event-store.js';
import { TABLES } from '../store/schema-ddl.js';
import {
  BatchWriter,
  CONTENT_ATTEMPTS,
  type BatchWriterOptions,
  type InsertFailure,
  type SegmentRejection,
} from './batch-writer.js';
import { encodeEventRows } from './cors-event-row.js';
import { eventRow } from './cors-event-row.fixture.js';
import { SpoolFullError } from './spool-errors.js';
import { openSpool, type Spool, type SpoolOptions } from './spool.js';

let dir: string;
let realStore: ClickHouseEventStore | undefined;
let traceCounter = 0;
let spoolCounter = 0;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'corsight-writer-'));
  realStore = await createEventStore({ clickhouse: { kind: 'chdb', dataDir: join(dir, 'chdb') } });
}, 30_000);

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

afterAll(async () => {
  await realStore?.close();
  await rm(dir, { recursive: true, force: true });
});

function store(): ClickHouseEventStore {
  if (realStore === undefined) throw new Error('the chDB store did not open (see the beforeAll error)');
  return realStore;
}

/** The real store behind a switch: while down, inserts fail as a refused connection would. */
function faultyStore(): EventStore & { down: boolean; attempts: number } {
  const wrapper = {
    down: false,
    attempts: 0,
    insertSegment: async (path: string, token: string): Promise<void> => {
      wrapper.attempts += 1;
      if (wrapper.down) throw new Error('connect ECONNREFUSED 127.0.0.1:8123 (injected outage)');
      await store().insertSegment(path, token);
    },
    ready: async () => !wrapper.down && (await store().ready()),
    close: () => Promise.resolve(),
  };
  return wrapper;
}

/** A fresh trace id per test: its rows are told apart from the other tests' in the shared table. */
function newTrace(): string {
  traceCounter += 1;
  return (Date.now().toString(16) + traceCounter.toString(16)).padStart(32, '0');
}

function spanId(n: number): string {
  return n.toString(16).padStart(16, '0');
}

/** `count` encoded rows of trace `traceId`, span ids first…first+count-1. */
function batch(traceId: string, first: number, count: number): string {
  const rows = Array.from({ length: count }, (_, i) =>
    eventRow({ traceId, spanId: spanId(first + i), timestamp: Date.now() }),
  );
  return encodeEventRows(rows);
}

async function newSpool(overrides: Partial<SpoolOptions> = {}, name?: string): Promise<Spool> {
  spoolCounter += 1;
  const spool = await openSpool({
    dataDir: join(dir, name ?? `spool-${spoolCounter}`),
    maxSegmentRows: 100,
    maxSegmentBytes: 1024 * 1024,
    maxSegmentAgeMs: 20,
    maxSpoolBytes: 16 * 1024 * 1024,
    ...overrides,
  });
  cleanup.push(() => spool.close());
  return spool;
}

function newWriter(options: Omit<BatchWriterOptions, 'backoff'>): BatchWriter {
  const writer = new BatchWriter({
    backoff: { initialDelayMs: 5, maxDelayMs: 40, factor: 2 },
    ...options,
  });
  cleanup.push(() => writer.stop());
  return writer;
}

/** How many times each span id of the trace is stored. */
async function storedCounts(traceId: string): Promise<Map<string, number>> {
  const result = await store().client.query({
    query:
      `SELECT lower(hex(span_id)) AS span_id, count() AS n FROM ${TABLES.events} ` +
      `WHERE trace_id = unhex({trace:String}) GROUP BY span_id`,
    query_params: { trace: traceId },
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ span_id: string; n: string }>();
  return new Map(rows.map((row) => [row.span_id, Number(row.n)]));
}

function expectStoredOnce(counts: Map<string, number>, first: number, count: number): void {
  const expected = new Map(Array.from({ length: count }, (_, i) => [spanId(first + i), 1]));
  expect(counts).toEqual(expected);
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('BatchWriter', () => {
  it('stores every sealed segment once, oldest first, and deletes it from the spool', async () => {
    const trace = newTrace();
    const spool = await newSpool();
    const stored: string[] = [];
    const writer = newWriter({ spool, store: store(), onBatchStored: (b) => stored.push(b.segmentId) });
    for (let i = 0; i < 5; i += 1) await spool.append(batch(trace, i * 50, 50), 50);
    const sealedIds = (await spool.seal(), spool.sealedSegments().map((s) => s.id));
    writer.start();
    await until(() => spool.stats().sealedSegments === 0);
    expect(stored).toEqual(sealedIds);
    expectStoredOnce(await storedCounts(trace), 0, 250);
    expect(writer.state()).toMatchObject({ rowsStored: 250, consecutiveFailures: 0, lastError: undefined });
    expect(writer.state().lastInsertLatencyMs).toBeGreaterThan(0);
  });

  it('stores rows appended while it runs, the batches sealed by age', async () => {
    const trace = newTrace();
    const spool = await newSpool();
    const writer = newWriter({ spool, store: store() });
    writer.start();
    await spool.append(batch(trace, 0, 7), 7);
    await until(() => writer.state().rowsStored === 7);
    expectStoredOnce(await storedCounts(trace), 0, 7);
  });

  it('stores a segment once when it is replayed after it was stored (crash before the delete)', async () => {
    const trace = newTrace();
    const spool = await newSpool();
    await spool.append(batch(trace, 0, 30), 30);
    await spool.seal();
    const [segment] = spool.sealedSegments();
    if (segment === undefined) throw new Error('expected a sealed segment');
    await store().insertSegment(segment.path, segment.id);
    const writer = newWriter({ spool, store: store() });
    writer.start();
    await until(() => spool.stats().sealedSegments === 0);
    expectStoredOnce(await storedCounts(trace), 0, 30);
  });

  it('during an outage retries with growing delays, fills the spool until ingest is refused, then drains it exactly once', async () => {
    const trace = newTrace();
    const faulty = faultyStore();
    faulty.down = true;
    const failures: InsertFailure[] = [];
    const spool = await newSpool({ maxSpoolBytes: 64 * 1024, fullRetryAfterSeconds: 3 });
    const writer = newWriter({
      spool,
      store: faulty,
      random: () => 0.5,
      onInsertFailed: (failure) => failures.push(failure),
    });
    writer.start();

    let acknowledged = 0;
    let refusal: unknown;
    while (refusal === undefined) {
      try {
        await spool.append(batch(trace, acknowledged, 20), 20);
        acknowledged += 20;
      } catch (error) {
        refusal = error;
      }
    }
    expect(refusal).toBeInstanceOf(SpoolFullError);
    expect((refusal as SpoolFullError).retryAfterSeconds).toBe(3);
    await until(() => failures.length >= 4);
    expect(failures.slice(0, 4).map((f) => f.retryInMs)).toEqual([4, 8, 15, 30]);
    expect(writer.state().rowsStored).toBe(0);
    expect(writer.state().lastError).toContain('ECONNREFUSED');
    expect(await storedCounts(trace)).toEqual(new Map());

    faulty.down = false;
    await until(() => spool.stats().spooledBytes === 0);
    expectStoredOnce(await storedCounts(trace), 0, acknowledged);
    expect(writer.state()).toMatchObject({
      rowsStored: acknowledged,
      consecutiveFailures: 0,
      lastError: undefined,
    });
    await expect(spool.append(batch(trace, acknowledged, 1), 1)).resolves.toBeUndefined();
  });

  it('after a restart in the middle of an outage, replays the spool and stores every row once', async () => {
    const trace = newTrace();
    const faulty = faultyStore();
    faulty.down = true;
    const first = await newSpool({}, 'restart');
    const before = newWriter({ spool: first, store: faulty });
    before.start();
    for (let i = 0; i < 6; i += 1) await first.append(batch(trace, i * 40, 40), 40);
    const shutdown = await before.drainAndStop(100);
    expect(shutdown).toEqual({ drained: false, remainingSegments: 3, remainingRows: 240 });
    await first.close();

    faulty.down = false;
    const second = await newSpool({}, 'restart');
    expect(second.stats().sealedRows).toBe(240);
    const after = newWriter({ spool: second, store: faulty });
    after.start();
    await until(() => second.stats().sealedSegments === 0);
    expectStoredOnce(await storedCounts(trace), 0, 240);
  });

  it('at shutdown seals the open segment and stores it before the deadline', async () => {
    const trace = newTrace();
    const spool = await newSpool({ maxSegmentAgeMs: 60_000 });
    const writer = newWriter({ spool, store: store() });
    writer.start();
    await spool.append(batch(trace, 0, 9), 9);
    expect(spool.stats().openRows).toBe(9);
    const result = await writer.drainAndStop(5_000);
    expect(result).toEqual({ drained: true, remainingSegments: 0, remainingRows: 0 });
    expect(writer.state().running).toBe(false);
    expectStoredOnce(await storedCounts(trace), 0, 9);
  });

  it('stops at once when idle, rather than waiting out the drain deadline', async () => {
    const spool = await newSpool();
    const writer = newWriter({ spool, store: store() });
    writer.start();
    // The loop is now waiting for a sealed segment; nothing will come.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    const result = await writer.drainAndStop(10_000);
    expect(result).toEqual({ drained: true, remainingSegments: 0, remainingRows: 0 });
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('moves aside a segment ClickHouse cannot parse, after repeated tries, and stores the ones behind it', async () => {
    const trace = newTrace();
    const spool = await newSpool();
    await spool.append('[1,"not a cors_events row"]\n', 1);
    await spool.seal();
    await spool.append(batch(trace, 0, 10), 10);
    await spool.seal();
    const rejections: SegmentRejection[] = [];
    const failures: InsertFailure[] = [];
    const writer = newWriter({
      spool,
      store: store(),
      onInsertFailed: (failure) => failures.push(failure),
      onSegmentRejected: (rejection) => rejections.push(rejection),
    });
    writer.start();
    await until(() => spool.stats().sealedSegments === 0);
    expect(failures).toHaveLength(CONTENT_ATTEMPTS - 1);
    expect(rejections).toHaveLength(1);
    expect(rejections[0]?.path).toContain('/rejected/');
    expect(writer.state()).toMatchObject({ segmentsRejected: 1, rowsRejected: 1, rowsStored: 10 });
    expectStoredOnce(await storedCounts(trace), 0, 10);
  });

  it('stops by itself when the spool closes', async () => {
    const spool = await newSpool();
    const writer = newWriter({ spool, store: store() });
    writer.start();
    await spool.close();
    await until(() => !writer.state().running);
  });
});
