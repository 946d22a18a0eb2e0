// Synthetic per-minute traffic for the evaluator and backtest tests: deterministic (seeded), with the shapes
// the issue names (steady trickle, a daily 18:00 peak, spikes of known size and start, scanner noise).
import type { GroupWindow } from './alert-input.js';
import type { MinuteCounts } from './backtest.js';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Monday 2026-11-02 00:00 UTC: day boundaries and weekdays are easy to read in failures. */
export const T0 = Date.UTC(2026, 10, 2);

/** mulberry32: a small seeded generator, so every run sees the same "random" traffic. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface Stream {
  readonly service?: string;
  readonly route?: string;
  readonly origin: string;
  readonly fromMs: number;
  readonly toMs: number;
  /** Blocked and allowed requests in the minute starting at `minuteMs`. */
  readonly rate: (minuteMs: number) => { blocked: number; allowed: number };
}

export function minutesOf(streams: readonly Stream[]): MinuteCounts[] {
  const rows: MinuteCounts[] = [];
  for (const stream of streams) {
    for (let minuteMs = stream.fromMs; minuteMs < stream.toMs; minuteMs += MINUTE) {
      const { blocked, allowed } = stream.rate(minuteMs);
      if (blocked === 0 && allowed === 0) continue;
      rows.push({
        minuteMs,
        service: stream.service ?? 'shop',
        route: stream.route ?? '/orders',
        origin: stream.origin,
        blocked,
        allowed,
      });
    }
  }
  return rows;
}

/** Minute of the day, 0–1439. */
export function minuteOfDay(ms: number): number {
  return Math.floor((ms % DAY) / MINUTE);
}

/**
 * A blocked trickle that peaks every day around 18:00 (about 10× the night level, a bell an hour and a
 * half wide), with Poisson-ish noise.
 */
export function dailyPeakRate(random: () => number, night = 2, peak = 20): (minuteMs: number) => number {
  return (minuteMs) => {
    const hours = minuteOfDay(minuteMs) / 60;
    const distance = Math.min(Math.abs(hours - 18), 24 - Math.abs(hours - 18));
    const level = night + (peak - night) * Math.exp(-(distance * distance) / (2 * 0.75 * 0.75));
    return Math.max(0, Math.round(level * (0.7 + 0.6 * random())));
  };
}

/** One origin of `shop` blocked 200 times in the window, against a seasonal baseline of 10: a spike. */
export function spikingOrigin(origin: string): GroupWindow {
  return {
    key: { service: 'shop', origin },
    blocked: 200,
    allowed: 10,
    seasonal: { daily: [10, 10, 10], weekly: [] },
    topReasons: [{ code: 'missing_allow_origin', requests: 200 }],
  };
}
