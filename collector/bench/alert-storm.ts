// Alert cycles through an alert storm, for the alerting bench (issue 7): the heaviest minutes an evaluator
// has, and what its share of a busy collector's CPU comes from. A copy of the bench's stored events gets
// `minutes` minutes of the ingest bench's load (otlp-load-payloads.ts: Corsight's spans, a tenth of each
// origin's blocked, from origins the stored history mostly never saw) stored up to the current minute, at a
// fifth of the rate one collector of the ingest-while-evaluating run stores them (the same keys, so the same
// storm: how many instances start depends on the keys, not the volume, once each passes the rules' floors;
// storing the full rate would take minutes of the bench's time). Then the rules are evaluated at the last
// `cycles` minutes, as the collector's loop would, in this process (the cycle's worker thread and its SQL):
// the first cycle meets the storm (every blocked origin new), the next ones carry it (thousands of instances
// pending or firing). Each cycle's process CPU is measured with nothing else running but chDB's own merges,
// which are let finish before the first cycle.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { AlertLoop } from '../src/alerts/alert-loop.ts';
import type { AlertRule } from '../src/alerts/alert-rule.ts';
import { encodeEventRows, type CorsEventRow } from '../src/ingest/cors-event-row.ts';
import { mapSpanToRow } from '../src/ingest/span-to-row.ts';
import { decodeTraceRequest } from '../src/otlp/decode-traces.ts';
import { createEventStore, type ClickHouseEventStore } from '../src/store/create-event-store.ts';
import { buildLoadPayloads, seededRandom, stampPayload } from './otlp-load-payloads.ts';

const MINUTE = 60_000;
/** Requests of 512 spans stored per minute: ~3.4k spans/s. */
const REQUESTS_PER_MINUTE = 400;
const SPANS_PER_REQUEST = 512;

export interface StormCycle {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly transitions: number;
}

export interface AlertStorm {
  readonly spansStored: number;
  /** In evaluation order: the first meets the storm, the others carry it. */
  readonly cycles: readonly StormCycle[];
}

async function storeLoad(
  store: ClickHouseEventStore,
  dir: string,
  nowMs: number,
  minutes: number,
): Promise<number> {
  const payloads = buildLoadPayloads({ payloads: 64, spansPerPayload: SPANS_PER_REQUEST });
  const random = seededRandom(7);
  const buffer = Buffer.alloc(Math.max(...payloads.map((payload) => payload.template.length)));
  let sequence = 0;
  let stored = 0;
  for (let minute = minutes; minute >= 1; minute -= 1) {
    const rows: CorsEventRow[] = [];
    const minuteStart = nowMs - minute * MINUTE;
    for (let request = 0; request < REQUESTS_PER_MINUTE; request += 1) {
      const payload = payloads[request % payloads.length];
      if (payload === undefined) throw new Error('no payloads');
      const sentAt = minuteStart + Math.floor((request / REQUESTS_PER_MINUTE) * MINUTE);
      const body = stampPayload(payload, buffer, sequence, sentAt, random);
      sequence += payload.spans;
      for (const span of decodeTraceRequest(Buffer.from(body), 'protobuf')) {
        const mapped = mapSpanToRow(span, { nowMs: sentAt + 1000 });
        if (mapped.kind !== 'row') throw new Error(`a load span did not map to a row: ${mapped.kind}`);
        rows.push(mapped.row);
      }
    }
    const path = join(dir, `storm-${String(minute)}.jsonl`);
    writeFileSync(path, encodeEventRows(rows));
    await store.insertSegment(path, `alert-storm-${String(nowMs)}-${String(minute)}`);
    rmSync(path);
    stored += rows.length;
  }
  return stored;
}

async function mergesSettled(store: ClickHouseEventStore, deadlineMs: number): Promise<void> {
  while (Date.now() < deadlineMs) {
    const result = await store.client.query({
      query: 'SELECT count() AS n FROM system.merges',
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ n: string }>();
    if (Number(row?.n ?? 0) === 0) return;
    await sleep(500);
  }
}

/** Stores the storm into a copy of `chdbDir`, evaluates `rules` at the last `cycles` minutes, removes the copy. */
export async function measureAlertStorm(options: {
  readonly chdbDir: string;
  readonly rules: readonly AlertRule[];
  readonly minutes: number;
  readonly cycles: number;
}): Promise<AlertStorm> {
  const dir = mkdtempSync(join(tmpdir(), 'corsight-alert-storm-'));
  try {
    const dataDir = join(dir, 'data');
    cpSync(options.chdbDir, dataDir, { recursive: true });
    const store = await createEventStore({ clickhouse: { kind: 'chdb', dataDir } });
    const nowMs = Math.floor(Date.now() / MINUTE) * MINUTE;
    try {
      const spansStored = await storeLoad(store, dir, nowMs, options.minutes);
      await mergesSettled(store, Date.now() + 60_000);
      const loop = new AlertLoop({
        client: store.backgroundClient,
        ruleSet: { channels: [], rules: [...options.rules], defaultRules: { enabled: false, notify: [] } },
        dashboardUrl: undefined,
        evaluator: 'alert-storm',
        log: pino({ level: 'silent' }),
      });
      const cycles: StormCycle[] = [];
      try {
        for (let cycle = options.cycles - 1; cycle >= 0; cycle -= 1) {
          const cpu = process.cpuUsage();
          const report = await loop.evaluateNow(nowMs - cycle * MINUTE);
          const used = process.cpuUsage(cpu);
          if (report.errors > 0) throw new Error(`${String(report.errors)} rules failed in the storm`);
          cycles.push({
            wallMs: report.durationMs,
            cpuMs: (used.user + used.system) / 1000,
            transitions: report.transitions,
          });
        }
      } finally {
        await loop.stop(0);
      }
      return { spansStored, cycles };
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
