// CORS rows for the alerting tests against chDB: per-minute traffic of one (service, route, origin) with a
// known blocked / allowed / blocked_if_credentialed split, stored through the real ingest path (encoded
// segment → insertSegment → materialized views → rollups).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeEventRows, type CorsEventRow } from '../ingest/cors-event-row.js';
import { eventRow } from '../ingest/cors-event-row.fixture.js';
import type { EventStore } from '../store/event-store.js';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export interface Traffic {
  readonly service?: string;
  readonly route?: string;
  readonly origin: string;
  /** Minutes `[fromMs, toMs)`, one summary row per outcome and minute. */
  readonly fromMs: number;
  readonly toMs: number;
  readonly blocked?: number;
  readonly allowed?: number;
  readonly blockedIfCredentialed?: number;
  readonly reason?: string;
  readonly policyHash?: string;
}

/**
 * A spike for the rejected_spike rule: app.example.com allowed around this time yesterday (the rule's history:
 * without any it does not fire), then blocked from five minutes before `nowMs` until `blockedToMs`.
 */
export function spikeAfterAllowedDay(nowMs: number, blockedToMs: number): Traffic[] {
  const origin = 'https://app.example.com';
  return [
    { origin, fromMs: nowMs - DAY - 5 * MINUTE, toMs: nowMs - DAY + 5 * MINUTE, allowed: 10 },
    { origin, fromMs: nowMs - 5 * MINUTE, toMs: blockedToMs, blocked: 10 },
  ];
}

/** One row per outcome with a non-zero weight, per minute of each traffic stream. */
export function trafficRows(streams: readonly Traffic[]): CorsEventRow[] {
  const rows: CorsEventRow[] = [];
  for (const stream of streams) {
    const base = {
      service: stream.service ?? 'orders-api',
      route: stream.route ?? '/orders',
      origin: stream.origin,
      policyHash: stream.policyHash ?? 'p1',
    };
    for (let minute = stream.fromMs; minute < stream.toMs; minute += MINUTE) {
      const at = minute + 7_000;
      if ((stream.blocked ?? 0) > 0) {
        rows.push(
          eventRow({
            ...base,
            timestamp: at,
            outcome: 'blocked',
            reasons: [stream.reason ?? 'allow_origin_mismatch'],
            warnings: [],
            sampleWeight: stream.blocked ?? 0,
          }),
        );
      }
      if ((stream.allowed ?? 0) > 0) {
        rows.push(
          eventRow({
            ...base,
            timestamp: at,
            outcome: 'allowed',
            reasons: [],
            warnings: [],
            sampleWeight: stream.allowed ?? 0,
          }),
        );
      }
      if ((stream.blockedIfCredentialed ?? 0) > 0) {
        rows.push(
          eventRow({
            ...base,
            timestamp: at,
            outcome: 'blocked_if_credentialed',
            reasons: [],
            warnings: [],
            sampleWeight: stream.blockedIfCredentialed ?? 0,
          }),
        );
      }
    }
  }
  return rows;
}

let segments = 0;

/** Stores rows through the real segment insert (and so the materialized views). */
export async function storeRows(store: EventStore, rows: readonly CorsEventRow[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'corsight-alert-rows-'));
  try {
    for (let offset = 0; offset < rows.length; offset += 50_000) {
      const path = join(dir, `segment-${segments}.jsonl`);
      writeFileSync(path, encodeEventRows(rows.slice(offset, offset + 50_000)));
      await store.insertSegment(path, `alert-test-${process.pid}-${segments}`);
      segments += 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
