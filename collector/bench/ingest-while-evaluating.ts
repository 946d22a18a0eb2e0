// Issue 7's third target, "no measurable drop in ingest throughput while the evaluator runs", measured in
// pairs: two real `corsight start` children (collector-child.ts) on copies of the alerting bench's stored
// events, pinned to the same core, each under its own OTLP/HTTP load (the ingest bench's payloads,
// otlp-load-payloads.ts) from this process at the same time. One evaluates the bench's rules (cycles on their
// worker thread, their SQL on the background connection), the other has alerts off.
//
// The spans each side acknowledged are compared in blocks of BLOCK_SECONDS: the blocks in which a cycle ran
// on the evaluating side against the others. Within a block both sides share the VM's speed of that moment
// (it drifts by tens of per cent from one minute to the next), and whatever favours one side for other
// reasons (start order, data layout: two identical sides came out 2–8 % apart) is the same in both groups of
// blocks, so it cancels: the effect is the ratio of the groups' geometric mean block ratios, with a 95 %
// interval (Welch). A drop is measurable when that interval lies below 1; its half-width says how small a
// drop the run could have shown.
//
// An earlier version compared, within one collector, the seconds with a cycle running against the others: the
// VM's drift from second to second was in both groups, and wider than the effect.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import type { AlertRuleSpec } from '../src/alerts/alert-rule.ts';
import { chdbDirectory } from '../src/server/start-collector.ts';
import { type CollectorChild, collectorMode, startCollectorChild } from './collector-child.ts';
import { buildLoadPayloads, type LoadPayload, seededRandom, stampPayload } from './otlp-load-payloads.ts';
import { interval, type Interval, meanAndVariance, t95 } from './ratio-interval.ts';

const SPANS_PER_REQUEST = 512;
/** Requests in flight per collector. */
const IN_FLIGHT = 8;
const BLOCK_SECONDS = 5;
/** Seconds at the start of a pair's load left out (connections, JIT, the first inserts). */
const WARM_UP_SECONDS = 5;
const CPU = 'corsight_process_cpu_seconds_total';
/** Cycles start once a minute (at 15 s past): the next one has ended within this once the load stops. */
const CYCLE_WAIT_MS = 90_000;

/**
 * The log ratios of two groups of blocks compared: exp(mean of `during` − mean of `outside`) with Welch's
 * 95 % interval. NaN with fewer than two blocks in a group.
 */
export function blockEffect(during: readonly number[], outside: readonly number[]): Interval {
  if (during.length < 2 || outside.length < 2) return interval(Number.NaN, Number.NaN);
  const a = meanAndVariance(during);
  const b = meanAndVariance(outside);
  const errorA = a.variance / during.length;
  const errorB = b.variance / outside.length;
  const error = Math.sqrt(errorA + errorB);
  const degrees =
    (errorA + errorB) ** 2 /
    (errorA ** 2 / (during.length - 1) + errorB ** 2 / (outside.length - 1) || Number.MIN_VALUE);
  return interval(a.mean - b.mean, t95(degrees) * error);
}

export interface IngestWhileEvaluating {
  readonly seconds: number;
  /** The evaluating side's spans over the other's, in blocks with a cycle running and in the others. */
  readonly effect: Interval;
  readonly blocksDuring: number;
  readonly blocksOutside: number;
  /** The same ratio over the whole window (side differences not taken out). */
  readonly overall: Interval;
  /** Acknowledged spans per second of each side over the window. */
  readonly evaluatingRate: number;
  readonly offRate: number;
  /** Cycles that overlapped the window, and the seconds of the window one was running in. */
  readonly cycles: number;
  readonly coveredSeconds: number;
  /** The longest of those cycles, seconds (on the saturated core, at the worker's lowered priority). */
  readonly longestCycleSeconds: number;
  /**
   * Alert instances after the window's last cycle. The load's blocked spans (otlp-load-payloads.ts: a tenth
   * of each origin's, from origins the stored history mostly never saw) make the rules fire for hundreds of
   * groups: the evaluator works through an alert storm, its heaviest kind of minute, not a quiet one.
   */
  readonly firingInstances: number;
  readonly pendingInstances: number;
  /** Collector CPU seconds of each side over the window. */
  readonly evaluatingCpuSeconds: number;
  readonly offCpuSeconds: number;
  readonly mode: string;
}

async function startSide(
  dataDir: string,
  cpus: string | undefined,
  rulesPath?: string,
): Promise<CollectorChild> {
  const collector = await startCollectorChild({
    dataDir,
    cpus,
    env:
      rulesPath === undefined
        ? { CORSIGHT_ALERTS: 'off' }
        : { CORSIGHT_ALERTS: 'on', CORSIGHT_ALERT_RULES: rulesPath },
  });
  for (let ready = false; !ready;) {
    const response = await fetch(`${collector.baseUrl}/readyz`);
    await response.arrayBuffer();
    ready = response.ok;
    if (!ready) await sleep(200);
  }
  return collector;
}

/** OTLP load into one collector until `endMs`: spans acknowledged per second since `startedMs`. */
async function load(
  collector: CollectorChild,
  payloads: readonly LoadPayload[],
  startedMs: number,
  endMs: number,
  seed: number,
): Promise<number[]> {
  const perSecond: number[] = [];
  const pool = new Pool(collector.baseUrl, { connections: IN_FLIGHT, pipelining: 1 });
  const largest = Math.max(...payloads.map((payload) => payload.template.length));
  let next = 0;
  let sequence = seed * 1_000_000_000;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async (_, worker) => {
      const buffer = Buffer.alloc(largest);
      const random = seededRandom(seed * 100 + worker);
      while (Date.now() < endMs) {
        const payload = payloads[next++ % payloads.length];
        if (payload === undefined) throw new Error('no payloads');
        const body = stampPayload(payload, buffer, sequence, Date.now(), random);
        sequence += payload.spans;
        const response = await pool.request({
          path: '/v1/traces',
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf' },
          body,
        });
        await response.body.arrayBuffer();
        if (response.statusCode !== 200) {
          await sleep(100);
          continue;
        }
        const second = Math.floor((Date.now() - startedMs) / 1000);
        perSecond[second] = (perSecond[second] ?? 0) + payload.spans;
      }
    }),
  );
  await pool.close();
  return Array.from(
    { length: Math.floor((endMs - startedMs) / 1000) },
    (_, second) => perSecond[second] ?? 0,
  );
}

/** Both sides under load at once for `seconds` (after the warm-up): per-second counts of each. */
async function loadPair(
  first: CollectorChild,
  second: CollectorChild,
  payloads: readonly LoadPayload[],
  seconds: number,
): Promise<{ first: number[]; second: number[]; fromMs: number; toMs: number }> {
  const startedMs = Date.now();
  const endMs = startedMs + (WARM_UP_SECONDS + seconds) * 1000;
  const [a, b] = await Promise.all([
    load(first, payloads, startedMs, endMs, 1),
    load(second, payloads, startedMs, endMs, 2),
  ]);
  return {
    first: a.slice(WARM_UP_SECONDS),
    second: b.slice(WARM_UP_SECONDS),
    fromMs: startedMs + WARM_UP_SECONDS * 1000,
    toMs: endMs,
  };
}

/** Cycles of a collector's histogram, sampled every 250 ms: each ends at the sample that counted it. */
function sampleCycles(collector: CollectorChild): {
  readonly cycles: { fromMs: number; toMs: number }[];
  stop(): Promise<void>;
} {
  const cycles: { fromMs: number; toMs: number }[] = [];
  const sampling = new AbortController();
  const done = (async () => {
    let count: number | undefined;
    let sum = 0;
    while (!sampling.signal.aborted) {
      const sample = await collector.metrics();
      const nextCount = sample.get('corsight_alert_cycle_seconds_count') ?? 0;
      const nextSum = sample.get('corsight_alert_cycle_seconds_sum') ?? 0;
      if (count !== undefined && nextCount > count) {
        const now = Date.now();
        cycles.push({ fromMs: now - (nextSum - sum) * 1000, toMs: now });
      }
      count = nextCount;
      sum = nextSum;
      await sleep(250);
    }
  })();
  return {
    cycles,
    stop: async () => {
      sampling.abort();
      await done;
    },
  };
}

const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);

/**
 * The pair (one side evaluating `rules` as its CORSIGHT_ALERT_RULES file, the other with alerts off) on copies
 * of `chdbDir` (a stopped store: one process per chDB directory), loaded at once for `seconds`.
 */
export async function measureIngestWhileEvaluating(options: {
  readonly chdbDir: string;
  readonly rules: readonly AlertRuleSpec[];
  readonly seconds: number;
  readonly cpus: string | undefined;
}): Promise<IngestWhileEvaluating> {
  const root = mkdtempSync(join(tmpdir(), 'corsight-alerts-ingest-'));
  const sides: CollectorChild[] = [];
  try {
    const dirs = ['evaluating', 'off'].map((name) => {
      const dataDir = join(root, name);
      cpSync(options.chdbDir, chdbDirectory(dataDir), { recursive: true });
      return dataDir;
    });
    const [evaluatingDir, offDir] = dirs as [string, string];
    const rulesPath = join(root, 'rules.json');
    writeFileSync(rulesPath, JSON.stringify({ rules: options.rules, defaultRules: { enabled: false } }));
    const payloads = buildLoadPayloads({ payloads: 32, spansPerPayload: SPANS_PER_REQUEST });

    const off = await startSide(offDir, options.cpus);
    sides.push(off);
    const evaluating = await startSide(evaluatingDir, options.cpus, rulesPath);
    sides.push(evaluating);
    const cycles = sampleCycles(evaluating);
    // The other side's /metrics is read just as often, its cycles (none) ignored: a scrape costs the
    // collector's event loop ~3 ms (prom-client's default metrics: process.memoryUsage, /proc/self/fd, the
    // histograms), which, asked of one side only, was ~1.5 % of its CPU and showed up as a drop in its ingest.
    const sameScrapes = sampleCycles(off);
    const [evaluatingBefore, offBefore] = await Promise.all([evaluating.metrics(), off.metrics()]);
    const pair = await loadPair(evaluating, off, payloads, options.seconds);
    const [evaluatingAfter, offAfter] = await Promise.all([evaluating.metrics(), off.metrics()]);
    // A cycle still running when the load stops ran through the window's last seconds; the histogram only
    // says so once it ends (soon, on the idle core). Wait for the next cycle to end: one that started after
    // the window does not overlap it.
    const completed = cycles.cycles.length;
    const waitUntil = Date.now() + CYCLE_WAIT_MS;
    while (cycles.cycles.length === completed && Date.now() < waitUntil) await sleep(250);
    await Promise.all([cycles.stop(), sameScrapes.stop()]);
    const instances = await evaluating.metrics();
    const overlapping = cycles.cycles.filter((cycle) => cycle.fromMs < pair.toMs && cycle.toMs > pair.fromMs);
    const runningMs = (fromMs: number, toMs: number): number =>
      overlapping.reduce(
        (total, cycle) => total + Math.max(0, Math.min(toMs, cycle.toMs) - Math.max(fromMs, cycle.fromMs)),
        0,
      );
    let covered = 0;
    for (let second = pair.fromMs; second < pair.toMs; second += 1000) {
      if (runningMs(second, second + 1000) > 0) covered += 1;
    }
    // Blocks: a cycle ran through at least half of it, or not at all; blocks in between are left out.
    const during: number[] = [];
    const outside: number[] = [];
    const all: number[] = [];
    for (let start = 0; start + BLOCK_SECONDS <= options.seconds; start += BLOCK_SECONDS) {
      const first = sum(pair.first.slice(start, start + BLOCK_SECONDS));
      const second = sum(pair.second.slice(start, start + BLOCK_SECONDS));
      if (first === 0 || second === 0) continue;
      const logRatio = Math.log(first / second);
      all.push(logRatio);
      const fromMs = pair.fromMs + start * 1000;
      const running = runningMs(fromMs, fromMs + BLOCK_SECONDS * 1000);
      if (running >= (BLOCK_SECONDS * 1000) / 2) during.push(logRatio);
      else if (running === 0) outside.push(logRatio);
    }
    const whole = meanAndVariance(all);
    const cpu = (after: Map<string, number>, before: Map<string, number>): number =>
      (after.get(CPU) ?? Number.NaN) - (before.get(CPU) ?? Number.NaN);
    return {
      seconds: options.seconds,
      effect: blockEffect(during, outside),
      blocksDuring: during.length,
      blocksOutside: outside.length,
      overall: interval(whole.mean, t95(all.length - 1) * Math.sqrt(whole.variance / all.length)),
      evaluatingRate: sum(pair.first) / options.seconds,
      offRate: sum(pair.second) / options.seconds,
      cycles: overlapping.length,
      coveredSeconds: covered,
      longestCycleSeconds: Math.max(0, ...overlapping.map((cycle) => (cycle.toMs - cycle.fromMs) / 1000)),
      firingInstances: instances.get('corsight_alert_instances{state="firing"}') ?? 0,
      pendingInstances: instances.get('corsight_alert_instances{state="pending"}') ?? 0,
      evaluatingCpuSeconds: cpu(evaluatingAfter, evaluatingBefore),
      offCpuSeconds: cpu(offAfter, offBefore),
      mode: collectorMode(),
    };
  } finally {
    await Promise.all(sides.map((side) => side.stop()));
    rmSync(root, { recursive: true, force: true });
  }
}
