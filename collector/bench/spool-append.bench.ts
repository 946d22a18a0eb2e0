// Spool append throughput with group commit: N OTLP requests in flight, each appending 512 encoded rows
// (one OTLP batch) and waiting for write + fdatasync, as the receiver does before it answers. A stand-in
// writer deletes sealed segments as they appear, so the disk does not fill. Prints numbers; asserts nothing.
//   node --import tsx --conditions=@corsight/source collector/bench/spool-append.bench.ts
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { encodeEventRows } from '../src/ingest/cors-event-row.js';
import { detailEventRow, eventRow } from '../src/ingest/cors-event-row.fixture.js';
import { openSpool } from '../src/ingest/spool.js';
import { DEFAULT_SPOOL_LIMITS } from '../src/ingest/spool-limits.js';

const ROWS_PER_APPEND = 512;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

// A realistic mix: mostly summary rows, some detail rows with full headers.
const rows = Array.from({ length: ROWS_PER_APPEND }, (_, i) =>
  (i % 8 === 0 ? detailEventRow : eventRow)({
    spanId: i.toString(16).padStart(16, '0'),
    origin: `https://app${i % 50}.example.com`,
  }),
);
const encoded = Buffer.from(encodeEventRows(rows));

async function run(inFlight: number): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'corsight-spool-bench-'));
  const spool = await openSpool({ dataDir, ...DEFAULT_SPOOL_LIMITS });
  const stop = new AbortController();
  const drainer = (async () => {
    while (!stop.signal.aborted) {
      await spool.waitForSealed(stop.signal);
      for (const segment of spool.sealedSegments()) await spool.remove(segment);
    }
  })();
  let appends = 0;
  const latencies: number[] = [];
  const started = performance.now();
  const end = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await spool.append(encoded, ROWS_PER_APPEND);
        latencies.push(performance.now() - t0);
        appends += 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const { commits } = spool.stats();
  stop.abort();
  await drainer;
  await spool.close();
  await rm(dataDir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  const p = (q: number): string => (latencies[Math.floor(q * (latencies.length - 1))] ?? 0).toFixed(2);
  console.log(
    `in flight ${String(inFlight).padStart(3)}: ${(appends / seconds).toFixed(0).padStart(6)} appends/s, ` +
      `${((appends * ROWS_PER_APPEND) / seconds / 1000).toFixed(0).padStart(5)}k rows/s, ` +
      `${((appends * encoded.length) / seconds / 1e6).toFixed(0).padStart(4)} MB/s, ` +
      `${(commits / seconds).toFixed(0).padStart(5)} fdatasyncs/s (${(appends / commits).toFixed(1)} appends each), ` +
      `append latency p50 ${p(0.5)} ms p99 ${p(0.99)} ms`,
  );
}

console.log(
  `spool append: ${ROWS_PER_APPEND} rows (${(encoded.length / 1024).toFixed(0)} KiB) per append, ${SECONDS} s per run, in ${tmpdir()}`,
);
for (const inFlight of [1, 8, 64]) await run(inFlight);
