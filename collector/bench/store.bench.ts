// How fast CORS rows go into ClickHouse through EventStore.insertSegment (the spool's path: encode, write the
// segment file, INSERT … FROM INFILE with the rollup views attached), and how many bytes a stored event takes
// after OPTIMIZE FINAL. A script, not a test: run it alone on a quiet machine.
//
//   pnpm exec tsx --conditions=@corsight/source collector/bench/store.bench.ts [--rows 500000] [--batch 10000]
//
// The rows: synthetic-events.ts (a few services, ~50 routes, ~500 origins, mostly summary rows).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeEventRows, type CorsEventRow } from '../src/ingest/cors-event-row.ts';
import { createEventStore } from '../src/store/create-event-store.ts';
import { TABLES } from '../src/store/schema-ddl.ts';
import { syntheticRow } from './synthetic-events.ts';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '500000' },
    batch: { type: 'string', default: '10000' },
    keep: { type: 'boolean', default: false },
  },
});
const TOTAL = Number(args.rows);
const BATCH = Number(args.batch);

const dir = mkdtempSync(join(tmpdir(), 'corsight-store-bench-'));
const store = await createEventStore({ clickhouse: { kind: 'chdb', dataDir: join(dir, 'data') } });
const startMs = Date.now() - 60 * 60 * 1000;

let encodeMs = 0;
let insertMs = 0;
// chDB runs inside this process: its threads' CPU time (parsing, views, background merges) counts here too.
let insertCpuMs = 0;
let fileBytes = 0;
let batches = 0;
for (let offset = 0; offset < TOTAL; offset += BATCH) {
  const rows: CorsEventRow[] = [];
  for (let i = offset; i < Math.min(TOTAL, offset + BATCH); i++) rows.push(syntheticRow(i, startMs));
  const t0 = performance.now();
  const text = encodeEventRows(rows);
  const path = join(dir, `segment-${batches}.jsonl`);
  writeFileSync(path, text);
  const t1 = performance.now();
  const cpu = process.cpuUsage();
  await store.insertSegment(path, `bench-${batches}`);
  const t2 = performance.now();
  const used = process.cpuUsage(cpu);
  insertCpuMs += (used.user + used.system) / 1000;
  rmSync(path);
  encodeMs += t1 - t0;
  insertMs += t2 - t1;
  fileBytes += Buffer.byteLength(text);
  batches += 1;
}

async function one<T>(query: string): Promise<T> {
  const result = await store.client.query({ query, format: 'JSONEachRow' });
  const [row] = await result.json<T>();
  if (row === undefined) throw new Error(`no row from ${query}`);
  return row;
}

await store.client.command({ query: `OPTIMIZE TABLE ${TABLES.events} FINAL` });
const parts = await one<{ rows: string; bytes: string }>(
  `SELECT sum(rows) AS rows, sum(bytes_on_disk) AS bytes FROM system.parts
   WHERE active AND database = currentDatabase() AND table = '${TABLES.events}'`,
);
const columnsResult = await store.client.query({
  query: `SELECT name, data_compressed_bytes AS bytes FROM system.columns
          WHERE database = currentDatabase() AND table = '${TABLES.events}' ORDER BY data_compressed_bytes DESC`,
  format: 'JSONEachRow',
});
const columns = await columnsResult.json<{ name: string; bytes: string }>();
const rollups = await store.client.query({
  query: `SELECT table, sum(rows) AS rows, sum(bytes_on_disk) AS bytes FROM system.parts
          WHERE active AND database = currentDatabase() GROUP BY table ORDER BY table`,
  format: 'JSONEachRow',
});

const stored = Number(parts.rows);
console.log(`rows ${TOTAL} in ${batches} segments of ${BATCH}; stored ${stored}`);
console.log(
  `encode + write file: ${(TOTAL / (encodeMs / 1000)).toFixed(0)} rows/s (${(fileBytes / TOTAL).toFixed(0)} bytes/row as text)`,
);
console.log(
  `insertSegment (INFILE, views attached): ${(TOTAL / (insertMs / 1000)).toFixed(0)} rows/s wall, ` +
    `${(TOTAL / (insertCpuMs / 1000)).toFixed(0)} rows per CPU-second`,
);
console.log(`end to end (encode + insert): ${(TOTAL / ((encodeMs + insertMs) / 1000)).toFixed(0)} rows/s`);
console.log(
  `cors_events on disk after OPTIMIZE FINAL: ${(Number(parts.bytes) / stored).toFixed(1)} bytes/event`,
);
console.log('largest columns (compressed bytes per event):');
for (const column of columns.slice(0, 12)) {
  console.log(`  ${column.name.padEnd(26)} ${(Number(column.bytes) / stored).toFixed(2)}`);
}
console.log('tables (rows, bytes on disk):');
for (const table of await rollups.json<{ table: string; rows: string; bytes: string }>()) {
  console.log(`  ${table.table.padEnd(22)} ${table.rows.padStart(9)} ${table.bytes.padStart(11)}`);
}

await store.close();
if (!args.keep) rmSync(dir, { recursive: true, force: true });
else console.log(`data kept in ${dir}`);
