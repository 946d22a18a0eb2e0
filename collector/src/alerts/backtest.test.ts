// Backtests over three weeks of generated minutes whose spikes are known: every injected spike is found with
// its key and a start within minutes, and nothing else fires (not the daily 18:00 peak, not a spike half the
// factor, not 500 scanner origins).
import { describe, expect, it } from 'vitest';
import { parseAlertRule, type AlertRuleSpec } from './alert-rule.js';
import { backtestRule, type MinuteCounts } from './backtest.js';
import {
  DAY,
  HOUR,
  MINUTE,
  T0,
  dailyPeakRate,
  minuteOfDay,
  minutesOf,
  seeded,
  type Stream,
} from './alert-traffic.fixture.js';
import { seasonalBaseline, seasonalSampleEnds } from './seasonal-baseline.js';

const APP = 'https://app.example.com';
const HISTORY_DAYS = 21;
const RANGE_FROM = T0 + 14 * DAY;
const RANGE_TO = T0 + HISTORY_DAYS * DAY;

interface Spike {
  readonly atMs: number;
  readonly minutes: number;
  /** Extra blocked requests per minute on top of the usual trickle. */
  readonly extra: number;
}

// Night level ~2/min → a 5-minute window of ~10 → threshold max(20, 3 × 10) = 30. Peak level ~20/min → ~100.
const SPIKES: readonly Spike[] = [
  { atMs: T0 + 13 * DAY + 10 * HOUR, minutes: 20, extra: 30 }, // history only: must not mask the next two
  { atMs: T0 + 14 * DAY + 10 * HOUR, minutes: 20, extra: 30 },
  { atMs: T0 + 15 * DAY + 10 * HOUR, minutes: 20, extra: 30 },
  { atMs: T0 + 17 * DAY + 18 * HOUR, minutes: 20, extra: 20 }, // 2× the 18:00 peak: under the factor of 3
  { atMs: T0 + 19 * DAY + 3 * HOUR, minutes: 30, extra: 200 },
];
const EXPECTED_SPIKES = [SPIKES[1], SPIKES[2], SPIKES[4]] as const;

function seasonalApp(): Stream {
  const random = seeded(7);
  const trickle = dailyPeakRate(random);
  return {
    service: 'shop',
    origin: APP,
    fromMs: T0,
    toMs: RANGE_TO,
    rate: (minuteMs) => {
      const spike = SPIKES.find((s) => minuteMs >= s.atMs && minuteMs < s.atMs + s.minutes * MINUTE);
      return { blocked: trickle(minuteMs) + (spike?.extra ?? 0), allowed: 100 };
    },
  };
}

const SPIKE_RULE = parseAlertRule({
  id: 'spike',
  name: 'Spike',
  kind: 'rejected_spike',
  window: '5m',
  baseline: '7d',
  factor: 3,
  minCount: 20,
  for: '2m',
} satisfies AlertRuleSpec);

describe('seasonal baseline', () => {
  it('samples the same minute of each previous day and ±30 minutes around the same minute last week', () => {
    const now = T0 + 14 * DAY + 18 * HOUR;
    const ends = seasonalSampleEnds(now, 5 * MINUTE, 7 * DAY);
    expect(ends.daily).toEqual([1, 2, 3, 4, 5, 6, 7].map((days) => now - days * DAY));
    expect(ends.weekly).toHaveLength(13);
    expect(ends.weekly[0]).toBe(now - 7 * DAY - 30 * MINUTE);
    expect(ends.weekly[12]).toBe(now - 7 * DAY + 30 * MINUTE);
  });

  it.each([
    ['flat history', [10, 10, 10, 10, 10, 10, 10], [10, 10, 10], 10],
    ['three earlier spikes among seven days', [10, 500, 10, 900, 10, 700, 10], [10, 10, 10], 10],
    ['one spike last week, outvoted by its neighbours', [10, 10, 10], [10, 10, 900, 10, 10], 10],
    ['weekends busier than weekdays', [10, 10, 10, 10, 10, 40, 40], [40, 40, 40], 40],
    ['no history', [], [], undefined],
  ])('%s', (_name, daily, weekly, expected) => {
    expect(seasonalBaseline({ daily, weekly })).toBe(expected);
  });
});

describe('backtest of rejected_spike', () => {
  const minutes = minutesOf([seasonalApp()]);
  const result = backtestRule({
    rule: SPIKE_RULE,
    fromMs: RANGE_FROM,
    toMs: RANGE_TO,
    historyFromMs: T0,
    minutes,
  });

  it('has a real daily peak in its input (10× the night: a baseline without seasons would fire daily)', () => {
    const at = (hour: number) =>
      minutes
        .filter((row) => minuteOfDay(row.minuteMs) === hour * 60 && row.minuteMs < T0 + 13 * DAY)
        .reduce((sum, row) => sum + row.blocked, 0);
    expect(at(18) / at(3)).toBeGreaterThan(6);
  });

  it('finds every injected spike with its key, starting within 5 minutes, and fires nowhere else', () => {
    expect(result.firings).toHaveLength(EXPECTED_SPIKES.length);
    result.firings.forEach((firing, index) => {
      const spike = EXPECTED_SPIKES[index];
      if (spike === undefined) throw new Error('more firings than spikes');
      expect(firing.key).toEqual({ service: 'shop', origin: APP });
      expect(firing.start).toBeGreaterThanOrEqual(spike.atMs);
      expect(firing.start).toBeLessThanOrEqual(spike.atMs + 5 * MINUTE);
    });
  });

  it('ends each firing within minutes of the spike ending, with its peak', () => {
    result.firings.forEach((firing, index) => {
      const spike = EXPECTED_SPIKES[index];
      if (spike === undefined || firing.end === null) throw new Error('a firing did not end');
      const spikeEnd = spike.atMs + spike.minutes * MINUTE;
      expect(firing.end).toBeGreaterThan(spikeEnd);
      // The window (5m) drains, then the condition must stay clear for keepFiringFor (2m).
      expect(firing.end).toBeLessThanOrEqual(spikeEnd + 10 * MINUTE);
      expect(firing.peak).toBeGreaterThanOrEqual(spike.extra * 5);
    });
  });

  it('evaluates once a minute and notifies once per firing and once per resolve', () => {
    expect(result.evaluations).toBe(7 * 24 * 60 + 1);
    expect(result.notifications).toBe(2 * EXPECTED_SPIKES.length);
  });

  it('reports a firing still open at the end of the range with end null', () => {
    const spike = SPIKES[4];
    if (spike === undefined) throw new Error('fixture changed');
    const open = backtestRule({
      rule: SPIKE_RULE,
      fromMs: spike.atMs - HOUR,
      toMs: spike.atMs + 10 * MINUTE,
      historyFromMs: T0,
      minutes,
    });
    expect(open.firings).toMatchObject([{ end: null }]);
  });

  it('applies the rule filter', () => {
    const filtered = backtestRule({
      rule: { ...SPIKE_RULE, filter: { origin: 'https://*.other.test' } },
      fromMs: RANGE_FROM,
      toMs: RANGE_TO,
      historyFromMs: T0,
      minutes,
    });
    expect(filtered.firings).toEqual([]);
  });
});

describe('backtest of the origin rules', () => {
  const random = seeded(11);
  const scanners: Stream[] = Array.from({ length: 500 }, (_, index) => {
    const at = RANGE_FROM + Math.floor((random() * 6 * DAY) / MINUTE) * MINUTE;
    const burst = 2 + Math.floor(random() * 4);
    return {
      service: 'shop',
      origin: `https://${Math.floor(random() * 1e9).toString(36)}-${index}.scan.test`,
      fromMs: at,
      toMs: at + MINUTE,
      rate: () => ({ blocked: burst, allowed: 0 }),
    };
  });
  const brandNew: Stream = {
    service: 'shop',
    origin: 'https://new-frontend.example.com',
    fromMs: T0 + 16 * DAY + 12 * HOUR,
    toMs: T0 + 16 * DAY + 12 * HOUR + 10 * MINUTE,
    rate: () => ({ blocked: 50, allowed: 0 }),
  };
  const changeAt = T0 + 18 * DAY + 14 * HOUR + MINUTE;
  const partner: Stream = {
    service: 'shop',
    origin: 'https://partner.example.com',
    fromMs: T0,
    toMs: RANGE_TO,
    rate: (minuteMs) => (minuteMs < changeAt ? { blocked: 0, allowed: 20 } : { blocked: 20, allowed: 0 }),
  };
  const steady: Stream = {
    service: 'shop',
    origin: APP,
    fromMs: T0,
    toMs: RANGE_TO,
    rate: () => ({ blocked: 5, allowed: 100 }),
  };
  const minutes: MinuteCounts[] = minutesOf([...scanners, brandNew, partner, steady]);
  const run = (spec: AlertRuleSpec) =>
    backtestRule({
      rule: parseAlertRule(spec),
      fromMs: RANGE_FROM,
      toMs: RANGE_TO,
      historyFromMs: T0,
      minutes,
    });

  it('new_rejected_origin: the new frontend fires, 500 scanner origins and known origins do not', () => {
    const result = run({
      id: 'new',
      name: 'New',
      kind: 'new_rejected_origin',
      minCount: 20,
      window: '10m',
      for: '2m',
    });
    expect(result.firings).toHaveLength(1);
    expect(result.firings[0]?.key).toEqual({ service: 'shop', origin: 'https://new-frontend.example.com' });
    expect(result.firings[0]?.start).toBeLessThanOrEqual(brandNew.fromMs + 5 * MINUTE);
  });

  it('newly_blocked_origin: the partner cut off by the policy change fires once, the chronic origin does not', () => {
    const result = run({ id: 'newly', name: 'Newly', kind: 'newly_blocked_origin', minCount: 10, for: '1m' });
    expect(result.firings).toHaveLength(1);
    expect(result.firings[0]).toMatchObject({
      key: { service: 'shop', origin: 'https://partner.example.com' },
      end: null,
    });
    expect(result.firings[0]?.start).toBeGreaterThanOrEqual(changeAt);
    expect(result.firings[0]?.start).toBeLessThanOrEqual(changeAt + 3 * MINUTE);
  });

  it('stays quick: a week of minutes over 500+ groups', () => {
    const started = performance.now();
    run({ id: 'new', name: 'New', kind: 'new_rejected_origin' });
    // Generous bound for a loaded 2-core machine; the point is "seconds, not minutes".
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});

describe('backtest of newly_blocked_origin over a cron origin', () => {
  // A partner's cron calls 30 times at every tenth minute: allowed for a day, blocked for two hours from
  // 12:00, allowed again from 14:00. The backtest tells windows without its traffic from allowed ones as
  // the collector does: one firing, from the first blocked run to the first allowed one.
  const day = T0 + DAY;
  const cut = day + 12 * HOUR;
  const minutes: MinuteCounts[] = [];
  for (let minuteMs = T0; minuteMs < cut + 4 * HOUR; minuteMs += 10 * MINUTE) {
    const blocked = minuteMs >= cut && minuteMs < cut + 2 * HOUR;
    minutes.push({
      minuteMs: minuteMs + 5 * MINUTE,
      service: 'shop',
      route: '/orders',
      origin: 'https://cron.example.com',
      blocked: blocked ? 30 : 0,
      allowed: blocked ? 0 : 30,
    });
  }

  it('fires once while the runs fail and resolves on the first allowed run', () => {
    const rule = parseAlertRule({
      id: 'newly',
      name: 'Newly',
      kind: 'newly_blocked_origin',
      minCount: 10,
      for: '1m',
    });
    const result = backtestRule({
      rule,
      fromMs: cut - HOUR,
      toMs: cut + 4 * HOUR,
      historyFromMs: T0,
      minutes,
    });
    expect(result.firings).toEqual([
      {
        key: { service: 'shop', origin: 'https://cron.example.com' },
        start: cut + 7 * MINUTE,
        end: cut + 126 * MINUTE,
        peak: 30,
      },
    ]);
  });
});
