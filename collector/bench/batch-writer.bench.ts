// Batch writer drain rate into embedded chDB (rollup views attached): a spool filled with ROWS rows in
// 512-row appends (one OTLP batch each), sealed with the default segment limits, then stored by one
// BatchWriter. Prints rows/s, segment sizes and insert latencies; asserts nothing.
//   node --import tsx --conditions=@corsight/source collector/bench/batch-writer.bench.ts
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createEventStore } from '../src/store/create-event-store.js';
import { BatchWriter, type StoredBatch } from '../src/ingest/batch-writer.js';
import { encodeEventRows } from '../src/ingest/cors-event-row.js';
import { detailEventRow, eventRow } from '../src/ingest/cors-event-row.fixture.js';
import { openSpool } from '../src/ingest/spool.js';
import { DEFAULT_SPOOL_LIMITS } from '../src/ingest/spool-limits.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 300_000);
const ROWS_PER_APPEND = 512;

function appendText(first: number): string {
  const now = Date.now();
  const rows = Array.from({ length: ROWS_PER_APPEND }, (_, i) => {
    const n = first + i;
    return (n % 10 === 0 ? detailEventRow : eventRow)({
      timestamp: now - (n % 60_000),
      traceId: n.toString(16).padStart(32, '0'),
      spanId: n.toString(16).padStart(16, '0'),
      origin: `https://app${n % 500}.example.com`,
      route: `/v1/orders/${n % 50}/:id`,
    });
  });
  return encodeEventRows(rows);
}

const dataDir = await mkdtemp(join(tmpdir(), 'corsight-writer-bench-'));
try {
  const store = await createEventStore({ clickhouse: { kind: 'chdb', dataDir: join(dataDir, 'chdb') } });
  const spool = await openSpool({ dataDir, ...DEFAULT_SPOOL_LIMITS, sealCheckIntervalMs: 0 });
  for (let first = 0; first < ROWS; first += ROWS_PER_APPEND) {
    await spool.append(appendText(first), ROWS_PER_APPEND);
  }
  await spool.seal();
  const { sealedSegments, sealedRows, sealedBytes } = spool.stats();
  const batches: StoredBatch[] = [];
  const writer = new BatchWriter({ spool, store, onBatchStored: (batch) => batches.push(batch) });
  const started = performance.now();
  const result = await writer.drainAndStop(600_000);
  const seconds = (performance.now() - started) / 1000;
  const latencies = batches.map((b) => b.latencyMs).sort((a, b) => a - b);
  console.log(
    `batch writer → chDB: ${sealedRows} rows in ${sealedSegments} segments ` +
      `(${(sealedBytes / sealedRows).toFixed(0)} bytes/row encoded), drained=${String(result.drained)} ` +
      `in ${seconds.toFixed(2)} s: ${(sealedRows / seconds / 1000).toFixed(1)}k rows/s; insert latency ` +
      `median ${(latencies[Math.floor(latencies.length / 2)] ?? 0).toFixed(0)} ms, ` +
      `max ${(latencies.at(-1) ?? 0).toFixed(0)} ms`,
  );
  await spool.close();
  await store.close();
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
