// `pnpm bench`, the app benchmark (issue 3): a Fastify app with @fastify/cors under load from wrk, 100 %
// cross-origin traffic, A/B in one run: @fastify/cors alone, with Corsight (default settings, exporting
// OTLP/protobuf to a local sink), and with Corsight's span per request, the variants taking turns in rounds.
// Servers on core 0, wrk and the sink on core 1. Prints throughput, server CPU µs per request, p99, event-loop delay and the ratios; asserts
// nothing. Targets: >= 90 % of the GET and >= 95 % of the preflight throughput with default settings, no
// event-loop stall from export work, no memory growth under a stream of distinct hostile origins.
// The `hooks-onresponse` row shows what an observer that waits in an onResponse hook pays before doing
// anything: with the logger off, Fastify sets up its per-request 'finish'/'error' listeners and timestamps
// only when some onResponse hook exists (lib/route.js), so an empty one costs 5–10 % here (an app with a
// logger pays it anyway). Corsight has no onResponse hook (src/fastify.ts).
// This sequential A/B drifts with the VM; fastify-paired.bench.ts measures the same variants pairwise.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerStats, Variant } from './app/fastify-server.js';
import { type BenchServer, startBenchServer } from './app/server-process.js';
import {
  CONNECTIONS,
  ensureWrk,
  runWrk,
  startSink,
  writeWrkScripts,
  type LoadResult,
} from './app/wrk-load.js';

const SECONDS = Number(process.env.CORSIGHT_BENCH_SECONDS ?? 2);

interface Measurement extends LoadResult {
  readonly cpuMicrosPerRequest: number;
  readonly stats: ServerStats;
}

async function measure(server: BenchServer, script: string, seconds: number): Promise<Measurement> {
  await server.ask('start');
  const load = await runWrk(server.port, script, seconds);
  const { stats } = (await server.ask('stop')) as { stats: ServerStats };
  return { ...load, stats, cpuMicrosPerRequest: stats.cpuMicros / load.requests };
}

/** The median run of several (by throughput), so one slow stretch of the VM does not decide a figure. */
function median(runs: readonly Measurement[]): Measurement {
  const sorted = [...runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  const middle = sorted[Math.floor(sorted.length / 2)];
  if (middle === undefined) throw new Error('no runs to take the median of');
  return middle;
}

ensureWrk();
const dir = mkdtempSync(join(tmpdir(), 'corsight-bench-'));
const scripts = writeWrkScripts(dir);
const sink = await startSink();
const variants: Variant[] = ['cors-only', 'hooks-onresponse', 'corsight', 'corsight-per-request'];
const results = new Map<Variant, { get: Measurement; preflight: Measurement }>();
let hostile: { before: number; after: number; requests: number } | undefined;
// This VM's speed drifts by a third from one minute to the next, so variants measured one after the other
// compare different machines. All servers run at once (idle but for the one under load) and the variants
// take turns, ROUNDS times, in short runs, in reverse order every other round; each figure is the median run
// and each ratio the median of the per-round ratios.
// Nine: single rounds' ratios ranged from 81 % to 127 % for the same code on this VM, so the median of five
// still moved by several points from run to run, about the distance between the figures and the targets.
const ROUNDS = Number(process.env.CORSIGHT_BENCH_ROUNDS ?? 9);
const ratios = { get: [] as number[], preflight: [] as number[] };
try {
  const servers = new Map<Variant, BenchServer>();
  for (const variant of variants) {
    const server = await startBenchServer(variant, sink.url, { nodeFlags: ['--expose-gc'] });
    servers.set(variant, server);
    // Warm-up, both kinds (JIT, connection setup): with Corsight the JIT settles only after several seconds.
    await runWrk(server.port, scripts.get, 2);
    await runWrk(server.port, scripts.preflight, 2);
  }
  const runs = new Map<Variant, { get: Measurement[]; preflight: Measurement[] }>(
    variants.map((variant) => [variant, { get: [], preflight: [] }]),
  );
  for (let round = 0; round < ROUNDS; round++) {
    // Every other round runs the variants in the opposite order: the VM's speed drifts within a round too,
    // and a fixed order would hand whatever runs last the same share of that drift every round.
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const kind of ['get', 'preflight'] as const) {
      const rates = new Map<Variant, number>();
      for (const variant of order) {
        const server = servers.get(variant);
        if (server === undefined) continue;
        const run = await measure(server, scripts[kind], SECONDS);
        runs.get(variant)?.[kind].push(run);
        rates.set(variant, run.requestsPerSecond);
      }
      ratios[kind].push((rates.get('corsight') ?? 0) / (rates.get('cors-only') ?? 1));
    }
  }
  for (const variant of variants) {
    const own = runs.get(variant);
    if (own !== undefined) results.set(variant, { get: median(own.get), preflight: median(own.preflight) });
  }
  const server = servers.get('corsight');
  if (server !== undefined) {
    await server.ask('gc');
    const before = ((await server.ask('stop')) as { stats: ServerStats }).stats.heapUsedBytes;
    const load = await measure(server, scripts.hostile, SECONDS);
    await server.ask('gc');
    const after = ((await server.ask('stop')) as { stats: ServerStats }).stats.heapUsedBytes;
    hostile = { before, after, requests: load.requests };
  }
  for (const each of servers.values()) await each.close();
} finally {
  await sink.close();
  rmSync(dir, { recursive: true, force: true });
}

const base = results.get('cors-only');
const row = (label: string, m: Measurement, baseline: Measurement | undefined): string => {
  const ratio =
    baseline === undefined
      ? ''
      : `${((m.requestsPerSecond / baseline.requestsPerSecond) * 100).toFixed(1)} %`;
  const added =
    baseline === undefined ? '' : `${(m.cpuMicrosPerRequest - baseline.cpuMicrosPerRequest).toFixed(1)} µs`;
  const system = (m.stats.systemMicros / m.requests).toFixed(1);
  return `  ${label.padEnd(34)} ${m.requestsPerSecond.toFixed(0).padStart(8)} req/s ${ratio.padStart(8)}  CPU ${m.cpuMicrosPerRequest.toFixed(1).padStart(6)} µs/req (kernel ${system.padStart(5)}) ${added.padStart(9)}  p99 ${m.p99Ms.toFixed(2).padStart(6)} ms  loop max ${m.stats.eventLoopMaxMs.toFixed(1).padStart(5)} ms`;
};
console.log(
  `\nFastify + @fastify/cors, wrk -c${CONNECTIONS}, ${ROUNDS} rounds of ${SECONDS} s per variant, servers pinned to core 0; medians`,
);
for (const kind of ['get', 'preflight'] as const) {
  console.log(
    kind === 'get' ? '\nGET with Origin (allowed origins)' : '\nPreflights (OPTIONS, PUT + content-type)',
  );
  for (const variant of variants) {
    const m = results.get(variant)?.[kind];
    if (m !== undefined) console.log(row(variant, m, variant === 'cors-only' ? undefined : base?.[kind]));
  }
}
const corsight = results.get('corsight');
const medianOf = (values: readonly number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
if (base !== undefined && corsight !== undefined) {
  // Each round's own ratio (the variants ran back to back), then the median.
  const getShare = medianOf(ratios.get);
  const preflightShare = medianOf(ratios.preflight);
  const listed = (values: readonly number[]): string => values.map((v) => (v * 100).toFixed(0)).join(' ');
  console.log(
    `\nPer-round throughput of Corsight vs @fastify/cors alone, %: GET ${listed(ratios.get)}; preflights ${listed(ratios.preflight)}`,
  );
  console.log('\nTargets with default settings (median of the per-round ratios):');
  console.log(
    `  GET throughput >= 90 % of @fastify/cors alone: ${(getShare * 100).toFixed(1)} % — ${getShare >= 0.9 ? 'met' : 'NOT met'}`,
  );
  console.log(
    `  preflight throughput >= 95 %: ${(preflightShare * 100).toFixed(1)} % — ${preflightShare >= 0.95 ? 'met' : 'NOT met'}`,
  );
}
if (hostile !== undefined) {
  const growth = (hostile.after - hostile.before) / 1024 / 1024;
  console.log(
    `  heap after ${hostile.requests} requests from distinct random origins: ${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MiB (${(hostile.before / 1048576).toFixed(1)} → ${(hostile.after / 1048576).toFixed(1)} MiB)`,
  );
}
console.log(`  OTLP export requests received by the sink: ${sink.requests()}`);
