// Issue 7's third target, "no measurable drop in ingest throughput while the evaluator runs": a real
// `corsight start` (collector-child.ts, pinned like the ingest bench's) on a copy of the alerting bench's
// stored events, evaluating the bench's rules once a minute, under the ingest bench's OTLP/HTTP load
// (otlp-load-payloads.ts). One run: the spans acknowledged in each second are split into the seconds in which
// an evaluation cycle ran and the others, and their rates compared, with a 95 % confidence interval of the
// ratio (each group's mean rate and its standard error, combined by the delta method; seconds are treated as
// independent samples, which they nearly are at ~45 requests each). A drop is measurable when the interval
// lies below 1; the interval's half-width says how small a drop the run could have shown. Also printed: the
// evaluator's share of the collector's CPU over the run (what ingest would lose at most if it were CPU-bound
// on that core).
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import type { AlertRuleSpec } from '../src/alerts/alert-rule.ts';
import { chdbDirectory } from '../src/server/start-collector.ts';
import { collectorMode, startCollectorChild } from './collector-child.ts';
import { buildLoadPayloads, seededRandom, stampPayload } from './otlp-load-payloads.ts';

const SPANS_PER_REQUEST = 512;
const IN_FLIGHT = 8;
/** Cycles start once a minute: after the load, the next to end has started by then (plus its own time). */
const IN_PROGRESS_WAIT_MS = 150_000;

export interface RateRatio {
  readonly ratio: number;
  readonly low: number;
  readonly high: number;
}

/** The ratio of two groups' mean per-second rates, with a 95 % interval (delta method, normal approximation). */
export function rateRatio(numerator: readonly number[], denominator: readonly number[]): RateRatio {
  const stats = (values: readonly number[]): { mean: number; relativeError: number } => {
    const mean = values.reduce((total, value) => total + value, 0) / values.length;
    const variance =
      values.reduce((total, value) => total + (value - mean) ** 2, 0) / Math.max(1, values.length - 1);
    return { mean, relativeError: Math.sqrt(variance / values.length) / mean };
  };
  if (numerator.length < 2 || denominator.length < 2) {
    return { ratio: Number.NaN, low: Number.NaN, high: Number.NaN };
  }
  const a = stats(numerator);
  const b = stats(denominator);
  const ratio = a.mean / b.mean;
  const halfWidth = 1.96 * ratio * Math.hypot(a.relativeError, b.relativeError);
  return { ratio, low: ratio - halfWidth, high: ratio + halfWidth };
}

export interface IngestWhileEvaluating {
  readonly seconds: number;
  readonly cycles: number;
  readonly cycleSeconds: number;
  /** Acknowledged spans per second in seconds with and without a cycle running. */
  readonly evaluatingRate: number;
  readonly idleRate: number;
  /** evaluatingRate / idleRate and its 95 % confidence interval. */
  readonly ratio: RateRatio;
  readonly evaluatingSeconds: number;
  /** Acknowledged spans per second over the whole run (cycles included). */
  readonly overallRate: number;
  readonly collectorCpuSeconds: number;
  readonly mode: string;
}

/**
 * Loads a collector on a copy of `chdbDir` (a stopped store: one process per chDB directory) for `seconds`,
 * with `rules` as its CORSIGHT_ALERT_RULES file.
 */
export async function measureIngestWhileEvaluating(options: {
  readonly chdbDir: string;
  readonly rules: readonly AlertRuleSpec[];
  readonly seconds: number;
  readonly cpus: string | undefined;
}): Promise<IngestWhileEvaluating> {
  const dataDir = mkdtempSync(join(tmpdir(), 'corsight-alerts-ingest-'));
  try {
    cpSync(options.chdbDir, chdbDirectory(dataDir), { recursive: true });
    const rulesPath = join(dataDir, 'rules.json');
    writeFileSync(rulesPath, JSON.stringify({ rules: options.rules, defaultRules: { enabled: false } }));
    const payloads = buildLoadPayloads({ payloads: 32, spansPerPayload: SPANS_PER_REQUEST });
    const collector = await startCollectorChild({
      dataDir,
      cpus: options.cpus,
      env: { CORSIGHT_ALERTS: 'on', CORSIGHT_ALERT_RULES: rulesPath },
    });
    try {
      for (let ready = false; !ready;) {
        const response = await fetch(`${collector.baseUrl}/readyz`);
        await response.arrayBuffer();
        ready = response.ok;
        if (!ready) await sleep(200);
      }
      const before = await collector.metrics();
      // Cycles: the evaluator's histogram, sampled; a cycle that ended between two samples ran for the
      // duration its sum grew by, ending at the later sample (at most one sample interval late).
      const cycles: { fromMs: number; toMs: number }[] = [];
      const sampling = new AbortController();
      const sampler = (async () => {
        let count = before.get('corsight_alert_cycle_seconds_count') ?? 0;
        let sum = before.get('corsight_alert_cycle_seconds_sum') ?? 0;
        while (!sampling.signal.aborted) {
          await sleep(250);
          const sample = await collector.metrics();
          const nextCount = sample.get('corsight_alert_cycle_seconds_count') ?? count;
          const nextSum = sample.get('corsight_alert_cycle_seconds_sum') ?? sum;
          if (nextCount > count) {
            const now = Date.now();
            cycles.push({ fromMs: now - (nextSum - sum) * 1000 - 250, toMs: now });
          }
          count = nextCount;
          sum = nextSum;
        }
      })();
      const acknowledged = new Map<number, number>();
      const pool = new Pool(collector.baseUrl, { connections: IN_FLIGHT, pipelining: 1 });
      const started = Date.now();
      const end = started + options.seconds * 1000;
      let next = 0;
      let sequence = 0;
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async (_, worker) => {
          const largest = Math.max(...payloads.map((payload) => payload.template.length));
          const buffer = Buffer.alloc(largest);
          const random = seededRandom(2000 + worker);
          while (Date.now() < end) {
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
            const second = Math.floor((Date.now() - started) / 1000);
            acknowledged.set(second, (acknowledged.get(second) ?? 0) + payload.spans);
          }
        }),
      );
      await pool.close();
      const runEnd = Date.now();
      const after = await collector.metrics();
      // A cycle still running when the load stops ran through the last seconds: wait for the next cycle to end
      // (on the idle core a cycle takes seconds; cycles start once a minute), and count it when it started
      // before the load stopped. Without this, a long cycle's seconds at the end would count as idle ones.
      const completed = cycles.length;
      const waitUntil = runEnd + IN_PROGRESS_WAIT_MS;
      while (cycles.length === completed && Date.now() < waitUntil) await sleep(250);
      sampling.abort();
      await sampler;
      const ended = cycles.splice(completed);
      const [late] = ended;
      if (late !== undefined && late.fromMs < runEnd) cycles.push(late);
      const seconds = Math.floor((end - started) / 1000);
      const evaluating: number[] = [];
      const idle: number[] = [];
      for (let second = 0; second < seconds; second += 1) {
        const fromMs = started + second * 1000;
        const busy = cycles.some((cycle) => cycle.fromMs < fromMs + 1000 && cycle.toMs > fromMs);
        (busy ? evaluating : idle).push(acknowledged.get(second) ?? 0);
      }
      const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);
      const cpu = 'corsight_process_cpu_seconds_total';
      return {
        seconds,
        cycles: cycles.length,
        cycleSeconds: cycles.reduce((total, cycle) => total + (cycle.toMs - cycle.fromMs - 250) / 1000, 0),
        evaluatingRate: evaluating.length === 0 ? Number.NaN : sum(evaluating) / evaluating.length,
        idleRate: idle.length === 0 ? Number.NaN : sum(idle) / idle.length,
        ratio: rateRatio(evaluating, idle),
        evaluatingSeconds: evaluating.length,
        overallRate: (sum(evaluating) + sum(idle)) / seconds,
        collectorCpuSeconds: (after.get(cpu) ?? Number.NaN) - (before.get(cpu) ?? Number.NaN),
        mode: collectorMode(),
      };
    } finally {
      await collector.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
