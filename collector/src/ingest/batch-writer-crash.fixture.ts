// Child process of batch-writer-crash.test.ts: the durable path of a collector (spool + batch writer +
// chDB store in one data directory) under a stream of appends (`total` rows, then only the writer works).
// Prints "ack <first span> <count>" when an
// append resolved (the moment a collector answers the OTLP request) and "stored <rows>" per batch stored.
// The parent SIGKILLs it mid-stream, inserts and deletes included.
import { join } from 'node:path';
import { createEventStore } from '../store/create-event-store.js';
import { BatchWriter } from './batch-writer.js';
import { encodeEventRows } from './cors-event-row.js';
import { eventRow } from './cors-event-row.fixture.js';
import { openSpool } from './spool.js';

const [dataDir = '', traceId = '', firstSpan = '0', total = '0'] = process.argv.slice(2);
const IN_FLIGHT = 4;
const ROWS_PER_APPEND = 50;

const store = await createEventStore({ clickhouse: { kind: 'chdb', dataDir: join(dataDir, 'chdb') } });
const spool = await openSpool({
  dataDir,
  maxSegmentRows: 200,
  maxSegmentBytes: 1024 * 1024,
  maxSegmentAgeMs: 10,
  maxSpoolBytes: 256 * 1024 * 1024,
});
const writer = new BatchWriter({
  spool,
  store,
  onBatchStored: (batch) => process.stdout.write(`stored ${batch.rows}\n`),
});
writer.start();

let next = Number(firstSpan);
const end = next + Number(total);
async function appender(): Promise<void> {
  while (next < end) {
    const first = next;
    next += ROWS_PER_APPEND;
    const rows = Array.from({ length: ROWS_PER_APPEND }, (_, i) =>
      eventRow({ traceId, spanId: (first + i).toString(16).padStart(16, '0'), timestamp: Date.now() }),
    );
    await spool.append(encodeEventRows(rows), ROWS_PER_APPEND);
    process.stdout.write(`ack ${first} ${ROWS_PER_APPEND}\n`);
    // A steady stream rather than a flood, so that inserts and deletes keep happening while it runs.
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

await Promise.all(Array.from({ length: IN_FLIGHT }, appender));
process.stdout.write('appended\n');
// The writer keeps storing until the parent kills the process.
setInterval(() => undefined, 1000);
