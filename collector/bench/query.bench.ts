// How fast the query API answers with many events stored: every endpoint for the last 24 hours and the last
// 30 days, median of repeated warm runs through Fastify (SQL, ClickHouse, shaping, JSON), and how long a
// fresh start takes to its first answer, with the rollups each answer was read from. A script, not a test:
// run it alone on a quiet machine (it prints the load average before and after).
//
//   pnpm exec tsx --conditions=@corsight/source collector/bench/query.bench.ts [--rows 10000000] [--days 30]
//       [--runs 15] [--data DIR]   (--data: load into DIR once, and reuse it on the next run)
//
// The rows: synthetic-events.ts's mix (a few services, ~50 routes, ~500 origins, ~10 % exemplars), spread
// evenly over the last `days` days. Raw rows older than the raw TTL (14 days) expire as they would in use.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { encodeEventRows, type CorsEventRow } from '../src/ingest/cors-event-row.ts';
import { TABLES_HEADER, queryApi } from '../src/query/query-api.ts';
import { createEventStore, type ClickHouseEventStore } from '../src/store/create-event-store.ts';
import { NARROW_ROLLUPS, ROLLUPS, TABLES } from '../src/store/schema-ddl.ts';
import { syntheticRow } from './synthetic-events.ts';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    days: { type: 'string', default: '30' },
    runs: { type: 'string', default: '15' },
    batch: { type: 'string', default: '200000' },
    data: { type: 'string' },
  },
});
const TOTAL = Number(args.rows);
const DAYS = Number(args.days);
const RUNS = Number(args.runs);
const BATCH = Number(args.batch);
const DAY_MS = 86_400_000;

// Absolute: segment files are inserted with INFILE, which takes absolute paths only.
const dir =
  args.data !== undefined ? resolve(args.data) : mkdtempSync(join(tmpdir(), 'corsight-query-bench-'));
const dataDir = join(dir, 'data');
const reuse = args.data !== undefined && existsSync(join(dir, 'loaded.json'));
const nowMs = reuse
  ? (
      JSON.parse(readFileSync(join(dir, 'loaded.json'), 'utf8')) as {
        nowMs: number;
      }
    ).nowMs
  : Date.now();

async function count(store: ClickHouseEventStore, table: string): Promise<number> {
  const result = await store.client.query({
    query: `SELECT count() AS n FROM ${table}`,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ n: string }>();
  return Number(row?.n ?? 0);
}

if (!reuse) {
  const store = await createEventStore({ clickhouse: { kind: 'chdb', dataDir } });
  const startMs = nowMs - DAYS * DAY_MS;
  const t0 = performance.now();
  let segment = 0;
  for (let offset = 0; offset < TOTAL; offset += BATCH) {
    const rows: CorsEventRow[] = [];
    for (let i = offset; i < Math.min(TOTAL, offset + BATCH); i++) {
      const row = syntheticRow(i, startMs);
      rows.push({ ...row, timestamp: startMs + Math.floor((i / TOTAL) * DAYS * DAY_MS) });
    }
    const path = join(dir, `segment-${segment}.jsonl`);
    writeFileSync(path, encodeEventRows(rows));
    await store.insertSegment(path, `query-bench-${segment}`);
    rmSync(path);
    segment += 1;
    process.stdout.write(
      `\rloading: ${Math.min(TOTAL, offset + BATCH).toLocaleString('en')} / ${TOTAL.toLocaleString('en')} rows`,
    );
  }
  process.stdout.write(`\n`);
  console.log(`loaded in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  writeFileSync(join(dir, 'loaded.json'), JSON.stringify({ nowMs, rows: TOTAL, days: DAYS }));
  await store.close();
}

// Data loaded by an earlier version gets the current schema here (migration 2 backfills the narrow rollups
// from the per-minute ones), so the fresh start below has no migration left to run. Rollups are merged
// once: in use, background merges get there on their own.
{
  const t0 = performance.now();
  const store = await createEventStore({ clickhouse: { kind: 'chdb', dataDir } });
  const report = await store.migrated();
  const migratedMs = performance.now() - t0;
  const merge = !reuse
    ? [TABLES.events, ...ROLLUPS.map((spec) => spec.table)]
    : report.applied.length > 0
      ? NARROW_ROLLUPS.map((spec) => spec.table)
      : [];
  for (const table of merge) await store.client.command({ query: `OPTIMIZE TABLE ${table} FINAL` });
  if (report.applied.length > 0) {
    console.log(`migrated to version ${report.current} in ${(migratedMs / 1000).toFixed(1)} s`);
  }
  const counts: string[] = [];
  for (const table of [TABLES.events, ...ROLLUPS.map((spec) => spec.table)]) {
    counts.push(`${table} ${(await count(store, table)).toLocaleString('en')}`);
  }
  console.log(`stored rows (cors_events after the raw TTL): ${counts.join(', ')}`);
  await store.close();
}

const load = (): string =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
console.log(`load average before: ${load()} (${cpus().length} cores)`);

// A fresh start on the stored data: open chDB (no migrations left to run) and answer one request.
const t0 = performance.now();
const store = await createEventStore({ clickhouse: { kind: 'chdb', dataDir } });
const app = Fastify();
await app.register(queryApi, { prefix: '/api/v1', client: store.client, readTokens: [], now: () => nowMs });
const first = await app.inject({ method: 'GET', url: '/api/v1/summary' });
const firstAnswerMs = performance.now() - t0;
if (first.statusCode !== 200) throw new Error(`first answer: ${first.statusCode} ${first.body}`);
console.log(
  `fresh start to first answer (open chDB, register, GET /summary): ${firstAnswerMs.toFixed(0)} ms`,
);

const ENDPOINTS: readonly {
  readonly name: string;
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly body?: unknown;
}[] = [
  { name: 'summary', method: 'GET', url: '/summary' },
  { name: 'timeseries by outcome', method: 'GET', url: '/timeseries?groupBy=outcome' },
  { name: 'timeseries by origin (top 10)', method: 'GET', url: '/timeseries?groupBy=origin&metric=blocked' },
  { name: 'timeseries by reason', method: 'GET', url: '/timeseries?groupBy=reason' },
  { name: 'origins/rejected', method: 'GET', url: '/origins/rejected' },
  { name: 'preflight-cache', method: 'GET', url: '/preflight-cache' },
  { name: 'mismatches', method: 'GET', url: '/mismatches' },
  { name: 'policy-changes', method: 'GET', url: '/policy-changes' },
  {
    name: 'simulate',
    method: 'POST',
    url: '/simulate',
    body: { allowlist: ['https://*.customer1.example.com', 'http://localhost:3000'] },
  },
  { name: 'services', method: 'GET', url: '/services' },
  { name: 'routes', method: 'GET', url: '/routes?service=orders-api' },
];

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const ranges = [
  { label: '24 h', from: nowMs - DAY_MS },
  { label: '30 d', from: nowMs - 30 * DAY_MS },
];
// chDB runs inside this process, so the CPU time this process spends on an answer is the answer's own work
// (ClickHouse's threads, Fastify, JSON) whatever else the machine runs: on a shared machine the wall-clock
// medians swing with the load, the CPU medians much less.
console.log(
  `\nmedian of ${RUNS} warm runs (ms, target < 100; cpu: this process's CPU time per answer); first = the ` +
    `endpoint's first answer after the fresh start (24 h); tables as the ${TABLES_HEADER} header names them`,
);
console.log(
  `${'endpoint'.padEnd(32)}${ranges.map((range) => range.label.padStart(9)).join('')}` +
    `${ranges.map((range) => `cpu ${range.label}`.padStart(11)).join('')}${'first'.padStart(9)}  tables (24 h | 30 d)`,
);
for (const endpoint of ENDPOINTS) {
  const cells: string[] = [];
  const cpuCells: string[] = [];
  const tables: string[] = [];
  let firstMs = Number.NaN;
  for (const range of ranges) {
    const bounds = { from: String(range.from), to: String(nowMs) };
    const url =
      endpoint.method === 'GET'
        ? `/api/v1${endpoint.url}${endpoint.url.includes('?') ? '&' : '?'}from=${bounds.from}&to=${bounds.to}`
        : `/api/v1${endpoint.url}`;
    const payload = endpoint.body === undefined ? undefined : { ...(endpoint.body as object), ...bounds };
    const times: number[] = [];
    const cpuTimes: number[] = [];
    for (let run = 0; run < RUNS + 2; run++) {
      const started = performance.now();
      const cpuStarted = process.cpuUsage();
      const response = await app.inject({
        method: endpoint.method,
        url,
        ...(payload === undefined ? {} : { payload }),
      });
      const elapsed = performance.now() - started;
      const cpu = process.cpuUsage(cpuStarted);
      if (response.statusCode !== 200)
        throw new Error(`${endpoint.name}: ${response.statusCode} ${response.body}`);
      if (Number.isNaN(firstMs)) firstMs = elapsed;
      if (run === 0) tables.push(String(response.headers[TABLES_HEADER] ?? '-'));
      if (run >= 2) {
        times.push(elapsed);
        cpuTimes.push((cpu.user + cpu.system) / 1000);
      }
    }
    cells.push(median(times).toFixed(1).padStart(9));
    cpuCells.push(median(cpuTimes).toFixed(0).padStart(11));
  }
  console.log(
    `${endpoint.name.padEnd(32)}${cells.join('')}${cpuCells.join('')}${firstMs.toFixed(0).padStart(9)}  ${tables.join(' | ')}`,
  );
}
// Both ranges start at the time of day the data was loaded. Rollups with no hourly level (preflight keys,
// route × origin) read the part of a range before its first UTC midnight from the per-minute rollup, so the
// answers built on them (preflight-cache, the breakdowns of origins/rejected and simulate) move with that
// hour: 0 to 24 hours of per-minute rows.
const loadedAt = new Date(nowMs).toISOString().slice(11, 16);
const beforeMidnightHours = (DAY_MS - (nowMs % DAY_MS)) / 3_600_000;
console.log(
  `the ranges start ${beforeMidnightHours.toFixed(1)} h before a UTC midnight (data loaded at ${loadedAt} UTC): ` +
    `rollups with no hourly level read those hours per minute`,
);
console.log(`load average after: ${load()}`);

await app.close();
await store.close();
if (args.data === undefined) rmSync(dir, { recursive: true, force: true });
