// The decision as tables: each case feeds the evaluator a minute-by-minute sequence of window counts with an
// injected clock (T0 + n minutes) and reads back transitions and notifications.
import { describe, expect, it } from 'vitest';
import type { AlertSilence, GroupKey, GroupWindow, PolicyChange } from './alert-input.js';
import { parseAlertRule, type AlertRule, type AlertRuleSpec } from './alert-rule.js';
import {
  evaluateRule,
  INACTIVE,
  MAX_LISTED_INSTANCES,
  type AlertInstance,
  type AlertNotification,
  type AlertTransition,
  type RuleState,
  type SuppressedNotification,
} from './alert-evaluator.js';
import { Inhibitors } from './alert-inhibition.js';
import { MINUTE, T0 } from './alert-traffic.fixture.js';

function rule(spec: Partial<AlertRuleSpec> & Pick<AlertRuleSpec, 'kind'>): AlertRule {
  return parseAlertRule({ id: 'r1', name: 'Test rule', notify: [], ...spec });
}

const SPIKE = rule({ kind: 'rejected_spike', minCount: 20, factor: 3, for: '2m', repeat: '30m' });

/** The per-minute outcome, with times as minutes after T0 for readable tables. */
interface Minute {
  readonly minute: number;
  readonly transitions: readonly AlertTransition['type'][];
  readonly notifications: readonly AlertNotification[];
  readonly suppressed: readonly SuppressedNotification[];
}

function run(
  alertRule: AlertRule,
  windows: readonly (readonly GroupWindow[])[],
  options: {
    silences?: readonly AlertSilence[];
    policyChanges?: readonly PolicyChange[];
    /** The more specific rules' firing instances at each minute. */
    inhibitors?: (minute: number) => Inhibitors;
  } = {},
): { minutes: Minute[]; state: RuleState } {
  let state = INACTIVE;
  const minutes: Minute[] = [];
  windows.forEach((groups, minute) => {
    const result = evaluateRule(
      alertRule,
      { nowMs: T0 + minute * MINUTE, groups, policyChanges: options.policyChanges ?? [] },
      state,
      options.silences ?? [],
      options.inhibitors?.(minute),
    );
    state = result.state;
    minutes.push({
      minute,
      transitions: result.transitions.map((transition) => transition.type),
      notifications: result.notifications,
      suppressed: result.suppressed,
    });
  });
  return { minutes, state };
}

/** `[minute, 'transition:…' | 'notify:…']` events, the shape most tables assert. */
function timeline(minutes: readonly Minute[]): string[] {
  const events: string[] = [];
  for (const minute of minutes) {
    for (const type of minute.transitions) events.push(`${minute.minute} ${type}`);
    for (const notification of minute.notifications) {
      events.push(`${minute.minute} notify ${notification.transition}`);
    }
    for (const suppressed of minute.suppressed)
      events.push(`${minute.minute} suppressed ${suppressed.transition}`);
  }
  return events;
}

const ORIGIN = { service: 'shop', origin: 'https://app.example.com' };

function spikeWindow(blocked: number, baselineLevel = 10): GroupWindow {
  return {
    key: ORIGIN,
    blocked,
    allowed: 1000,
    seasonal: { daily: Array<number>(7).fill(baselineLevel), weekly: Array<number>(13).fill(baselineLevel) },
    topReasons: [{ code: 'allow_origin_mismatch', requests: blocked }],
  };
}

function spike(blocked: number, baselineLevel = 10): GroupWindow[] {
  return [spikeWindow(blocked, baselineLevel)];
}

function repeat<T>(count: number, value: T): T[] {
  return Array.from({ length: count }, () => value);
}

describe('rejected_spike against its baseline', () => {
  it.each([
    ['steady traffic at its baseline', repeat(30, spike(10)), []],
    ['a count at 2.9× the baseline', repeat(30, spike(29)), []],
    [
      'a one-minute blip under `for`',
      [spike(10), spike(500), spike(10), spike(10)],
      ['1 pending', '2 cancelled'],
    ],
    [
      'a two-minute blip under a 2m `for`',
      [spike(10), spike(500), spike(500), spike(10)],
      ['1 pending', '3 cancelled'],
    ],
    [
      'a spike that holds for `for`, then recovers',
      [spike(10), ...repeat(5, spike(100)), ...repeat(4, spike(10))],
      ['1 pending', '3 firing', '3 notify firing', '8 resolved', '8 notify resolved'],
    ],
  ])('%s', (_name, windows, expected) => {
    expect(timeline(run(SPIKE, windows).minutes)).toEqual(expected);
  });

  it.each([
    [0, 20, true],
    [0, 19, false],
    [100, 299, false],
    [100, 300, true],
    [1000, 5000, true],
  ])('with a baseline of %d, %d blocked requests fire: %s', (baselineLevel, blocked, fires) => {
    const windows = repeat(4, spike(blocked, baselineLevel));
    const fired = run(SPIKE, windows).minutes.some((minute) => minute.transitions.includes('firing'));
    expect(fired).toBe(fires);
  });

  it('does not call steady blocked traffic a spike before it has any history to compare with', () => {
    const noHistory: GroupWindow = { key: ORIGIN, blocked: 2500, allowed: 0 };
    expect(timeline(run(SPIKE, repeat(3, [noHistory])).minutes)).toEqual([]);
    // One earlier day of quiet is enough to judge against.
    const quietYesterday: GroupWindow = { ...noHistory, seasonal: { daily: [0], weekly: [] } };
    expect(timeline(run(SPIKE, repeat(3, [quietYesterday])).minutes)).toEqual([
      '0 pending',
      '2 firing',
      '2 notify firing',
    ]);
  });

  it('sends what the notification needs: counts, baseline, threshold, reasons, start', () => {
    const { minutes } = run(SPIKE, repeat(3, [spikeWindow(120)]));
    const notification = minutes[2]?.notifications[0];
    expect(notification).toMatchObject({
      rule: { id: 'r1', kind: 'rejected_spike', windowMs: 300_000 },
      transition: 'firing',
      atMs: T0 + 2 * MINUTE,
      grouped: false,
      totalInstances: 1,
    });
    expect(notification?.instances[0]).toMatchObject({
      key: ORIGIN,
      startsAtMs: T0 + 2 * MINUTE,
      endsAtMs: undefined,
      blocked: 120,
      allowed: 1000,
      baseline: 10,
      threshold: 30,
      peak: 120,
      topReasons: [{ code: 'allow_origin_mismatch', requests: 120 }],
    });
  });
});

describe('firing, reminders and resolving', () => {
  it('reminds every `repeat` while firing and says when it resolved (clear for keepFiringFor = for = 2m)', () => {
    const windows = [...repeat(70, spike(100)), ...repeat(3, spike(0))];
    const { minutes } = run(SPIKE, windows);
    expect(timeline(minutes)).toEqual([
      '0 pending',
      '2 firing',
      '2 notify firing',
      '32 notify reminder',
      '62 notify reminder',
      '72 resolved',
      '72 notify resolved',
    ]);
    // A reminder states the rule's threshold, not the lower line a firing instance holds down to.
    expect(minutes[32]?.notifications[0]?.instances[0]).toMatchObject({ threshold: 30, baseline: 10 });
    const resolved = minutes[72]?.notifications[0]?.instances[0];
    expect(resolved).toMatchObject({ startsAtMs: T0 + 2 * MINUTE, endsAtMs: T0 + 72 * MINUTE, peak: 100 });
  });

  it('keeps firing through a dip that stays above the hysteresis line (0.8 × threshold)', () => {
    // Threshold 30 (3 × 10); 25 is below it but above 24. keepFiringFor = for = 2m: clear at 13, 14, 15.
    const windows = [...repeat(3, spike(100)), ...repeat(10, spike(25)), ...repeat(3, spike(5))];
    expect(timeline(run(SPIKE, windows).minutes)).toEqual([
      '0 pending',
      '2 firing',
      '2 notify firing',
      '15 resolved',
      '15 notify resolved',
    ]);
  });

  it('does not flap on a boundary: a count alternating across the threshold fires once and never resolves', () => {
    const windows = [
      ...repeat(3, spike(31)),
      ...Array.from({ length: 20 }, (_, minute) => spike(minute % 2 === 0 ? 10 : 31)),
    ];
    expect(timeline(run(SPIKE, windows).minutes)).toEqual(['0 pending', '2 firing', '2 notify firing']);
  });

  it('resolves only after the condition has been clear for keepFiringFor', () => {
    const slow = rule({ kind: 'rejected_spike', for: '0', keepFiringFor: '5m' });
    const windows = [spike(100), ...repeat(6, spike(0))];
    expect(timeline(run(slow, windows).minutes)).toEqual([
      '0 firing',
      '0 notify firing',
      '6 resolved',
      '6 notify resolved',
    ]);
  });

  it('resolves an instance whose group disappears from the input (no traffic at all)', () => {
    const windows = [...repeat(3, [spikeWindow(100)]), [], [], []];
    expect(
      timeline(
        run(
          SPIKE,
          windows.map((groups) => groups),
        ).minutes,
      ),
    ).toEqual(['0 pending', '2 firing', '2 notify firing', '5 resolved', '5 notify resolved']);
  });

  it('continues from a rebuilt state without announcing a firing instance again', () => {
    const first = run(SPIKE, repeat(5, [spikeWindow(100)]));
    const result = evaluateRule(SPIKE, { nowMs: T0 + 5 * MINUTE, groups: [spikeWindow(100)] }, first.state);
    expect(result.transitions).toEqual([]);
    expect(result.notifications).toEqual([]);
  });
});

describe('silences', () => {
  const windows = [...repeat(10, spike(100)), ...repeat(3, spike(0))];
  const silence = (origin: string | undefined, endsAtMs: number): AlertSilence => ({
    id: 's1',
    ruleId: 'r1',
    ...(origin === undefined ? {} : { origin }),
    startsAtMs: T0,
    endsAtMs,
  });

  it('mutes a rule: state changes as usual, notifications are suppressed, nothing resolves aloud', () => {
    const { minutes } = run(SPIKE, windows, { silences: [silence(undefined, T0 + 60 * MINUTE)] });
    expect(timeline(minutes)).toEqual(['0 pending', '2 firing', '2 suppressed firing', '12 resolved']);
  });

  it('mutes one origin of a rule and not the others', () => {
    const other = { ...spikeWindow(100), key: { service: 'shop', origin: 'https://other.example.com' } };
    const { minutes } = run(SPIKE, repeat(3, [spikeWindow(100), other]), {
      silences: [silence('https://app.example.com', T0 + 60 * MINUTE)],
    });
    const sent = minutes.flatMap((minute) =>
      minute.notifications.flatMap((n) => n.instances.map((i) => i.key.origin)),
    );
    expect(sent).toEqual(['https://other.example.com']);
    expect(minutes[2]?.suppressed).toEqual([
      { instanceId: '["shop",null,"https://app.example.com"]', transition: 'firing', silenceId: 's1' },
    ]);
  });

  it('announces a firing instance once its silence ends', () => {
    const { minutes } = run(SPIKE, windows, { silences: [silence(undefined, T0 + 5 * MINUTE)] });
    expect(timeline(minutes)).toEqual([
      '0 pending',
      '2 firing',
      '2 suppressed firing',
      '5 notify firing',
      '12 resolved',
      '12 notify resolved',
    ]);
  });
});

describe('inhibition by a more specific rule for the same service and origin', () => {
  const NEWLY_BLOCKED = rule({ id: 'nb', kind: 'newly_blocked_origin', minCount: 10 });
  /** `nb` firing for ORIGIN during `[from, to)` minutes (as the cycle hands it over). */
  const newlyBlockedFiring =
    (from: number, to: number, key: GroupKey = ORIGIN) =>
    (minute: number): Inhibitors => {
      if (minute < from || minute >= to) return new Inhibitors([]);
      const instance = { id: 'nb-1', key, state: 'firing' } as AlertInstance;
      return new Inhibitors([{ rule: NEWLY_BLOCKED, state: { instances: new Map([['nb-1', instance]]) } }]);
    };
  const SPIKE_REPEATING = rule({ kind: 'rejected_spike', minCount: 20, factor: 3, for: '2m', repeat: '5m' });
  const DAY_MS = 86_400_000;
  const windows = [...repeat(10, spike(100)), ...repeat(3, spike(0))];

  it('keeps the firing quiet, naming the inhibitor, and resolves silently', () => {
    const { minutes } = run(SPIKE_REPEATING, windows, { inhibitors: newlyBlockedFiring(0, 60) });
    expect(timeline(minutes)).toEqual(['0 pending', '2 firing', '2 suppressed firing', '12 resolved']);
    expect(minutes[2]?.suppressed).toEqual([
      {
        instanceId: '["shop",null,"https://app.example.com"]',
        transition: 'firing',
        inhibitedBy: { ruleId: 'nb', instanceId: 'nb-1' },
      },
    ]);
  });

  it('announces the firing instance once the inhibitor resolves', () => {
    const { minutes } = run(SPIKE, windows, { inhibitors: newlyBlockedFiring(0, 5) });
    expect(timeline(minutes)).toEqual([
      '0 pending',
      '2 firing',
      '2 suppressed firing',
      '5 notify firing',
      '12 resolved',
      '12 notify resolved',
    ]);
  });

  it('quiets the reminders of an instance announced before its inhibitor fired, and sends its resolve', () => {
    const { minutes } = run(SPIKE_REPEATING, windows, { inhibitors: newlyBlockedFiring(4, 60) });
    expect(timeline(minutes)).toEqual([
      '0 pending',
      '2 firing',
      '2 notify firing',
      '7 suppressed reminder',
      '12 resolved',
      '12 notify resolved',
    ]);
  });

  it('leaves other origins, coarser keys and the inhibitor kind itself alone', () => {
    const other = { service: 'shop', origin: 'https://other.example.com' };
    expect(timeline(run(SPIKE, windows, { inhibitors: newlyBlockedFiring(0, 60, other) }).minutes)).toContain(
      '2 notify firing',
    );
    const serviceWide = rule({ kind: 'rejected_spike', groupBy: ['service'], minCount: 20, for: '2m' });
    const byService = windows.map((groups) =>
      groups.map((group) => ({ ...group, key: { service: 'shop' } })),
    );
    expect(
      timeline(run(serviceWide, byService, { inhibitors: newlyBlockedFiring(0, 60) }).minutes),
    ).toContain('2 notify firing');
    const ratio = rule({ kind: 'blocked_ratio', ratio: 0.05, minCount: 20, for: '2m' });
    expect(timeline(run(ratio, windows, { inhibitors: newlyBlockedFiring(0, 60) }).minutes)).toContain(
      '2 notify firing',
    );
    const ownKind = rule({ id: 'nb2', kind: 'newly_blocked_origin', minCount: 10, for: '0' });
    const blocked = {
      key: ORIGIN,
      blocked: 50,
      allowed: 0,
      prior: { allowed: 500, blocked: 0, spanMs: DAY_MS },
    };
    expect(timeline(run(ownKind, [[blocked]], { inhibitors: newlyBlockedFiring(0, 60) }).minutes)).toEqual([
      '0 firing',
      '0 notify firing',
    ]);
  });
});

describe('scanner noise: hundreds of random origins', () => {
  const NEW_ORIGIN = rule({ kind: 'new_rejected_origin', minCount: 20, for: '0', groupLimit: 5 });
  const scanner = (count: number, blocked: number): GroupWindow[] =>
    Array.from({ length: count }, (_, index) => ({
      key: { service: 'shop', origin: `https://${(index * 7919).toString(36)}.scan.test` },
      blocked,
      allowed: 0,
      prior: { allowed: 0, blocked: 0, spanMs: 30 * 86_400_000 },
    }));

  it('stays silent when each origin is under minCount', () => {
    expect(timeline(run(NEW_ORIGIN, [scanner(500, 3)]).minutes)).toEqual([]);
  });

  it('folds 500 origins over minCount into one grouped notification', () => {
    const { minutes } = run(NEW_ORIGIN, [scanner(500, 50), scanner(500, 50)]);
    expect(minutes[0]?.notifications).toHaveLength(1);
    const grouped = minutes[0]?.notifications[0];
    expect(grouped).toMatchObject({ grouped: true, totalInstances: 500, transition: 'firing' });
    expect(grouped?.instances).toHaveLength(MAX_LISTED_INSTANCES);
    expect(minutes[1]?.notifications).toEqual([]);
  });

  it('sends separate notifications up to groupLimit', () => {
    const { minutes } = run(NEW_ORIGIN, [scanner(5, 50)]);
    expect(minutes[0]?.notifications.map((n) => n.grouped)).toEqual([false, false, false, false, false]);
  });
});

describe('new_rejected_origin', () => {
  const NEW_ORIGIN = rule({ kind: 'new_rejected_origin', minCount: 20, for: '1m' });
  const window = (prior: { allowed: number; blocked: number } | undefined, blocked = 40): GroupWindow => ({
    key: ORIGIN,
    blocked,
    allowed: 0,
    ...(prior === undefined ? {} : { prior: { ...prior, spanMs: 30 * 86_400_000 } }),
  });

  it.each([
    ['never seen in the lookback', { allowed: 0, blocked: 0 }, true],
    ['seen allowed before', { allowed: 3, blocked: 0 }, false],
    ['seen blocked before', { allowed: 0, blocked: 1 }, false],
    ['with no facts about its past', undefined, false],
  ])('an origin %s fires: %s', (_name, prior, fires) => {
    const fired = run(NEW_ORIGIN, repeat(3, [window(prior)])).minutes.some((m) =>
      m.transitions.includes('firing'),
    );
    expect(fired).toBe(fires);
  });

  it('holds while the origin stays blocked, though it is no longer unseen', () => {
    const windows = [
      [window({ allowed: 0, blocked: 0 })],
      ...repeat(5, [window({ allowed: 0, blocked: 200 })]),
    ];
    expect(timeline(run(NEW_ORIGIN, windows).minutes)).toEqual(['0 pending', '1 firing', '1 notify firing']);
  });
});

describe('newly_blocked_origin', () => {
  const NEWLY = rule({ kind: 'newly_blocked_origin', minCount: 10, for: '1m' });
  const change: PolicyChange = { service: 'shop', atMs: T0 - 2 * MINUTE, before: 'aaaa', after: 'bbbb' };
  // A 7-day lookback before a 5-minute window.
  const window = (prior: { allowed: number; blocked: number }, blocked = 40, allowed = 0): GroupWindow => ({
    key: ORIGIN,
    blocked,
    allowed,
    prior: { ...prior, spanMs: 7 * 86_400_000 - 5 * MINUTE },
    firstBlockedMs: T0 - MINUTE,
  });

  it('names the policy change that preceded it', () => {
    const { minutes } = run(NEWLY, repeat(2, [window({ allowed: 5000, blocked: 0 })]), {
      policyChanges: [
        { service: 'shop', atMs: T0 - 3 * 86_400_000, before: '0000', after: 'aaaa' },
        change,
        { service: 'billing', atMs: T0 - MINUTE, before: 'x', after: 'y' },
      ],
    });
    expect(timeline(minutes)).toEqual(['0 pending', '1 firing', '1 notify firing']);
    expect(minutes[1]?.notifications[0]?.instances[0]?.policyChange).toEqual(change);
  });

  it('names no change when none is recent', () => {
    const { minutes } = run(NEWLY, repeat(2, [window({ allowed: 5000, blocked: 0 })]), {
      policyChanges: [{ service: 'shop', atMs: T0 - 3 * 86_400_000, before: '0000', after: 'aaaa' }],
    });
    expect(minutes[1]?.notifications[0]?.instances[0]?.policyChange).toBeUndefined();
  });

  it.each([
    ['allowed before, never blocked', { allowed: 5000, blocked: 0 }, true],
    ['allowed before, a stray blocked request', { allowed: 5000, blocked: 3 }, true],
    // 5 per minute for a week, and 5 per minute now: a chronic block is not news.
    ['chronically blocked at the same rate', { allowed: 1_000_000, blocked: 50_400 }, false, 25, 1000],
    ['blocked at 10× its usual rate, share up', { allowed: 1_000_000, blocked: 50_400 }, true, 250, 1000],
    // Its busy hour: 10× the blocked rate, but 10× the allowed traffic too (same share).
    ['at its busy hour, same share as always', { allowed: 1_000_000, blocked: 50_400 }, false, 250, 4750],
    ['never seen before', { allowed: 0, blocked: 0 }, false, 40, 0],
  ])('an origin %s fires: %s', (_name, prior, fires, blocked = 40, allowed = 0) => {
    const fired = run(NEWLY, repeat(3, [window(prior, blocked, allowed)])).minutes.some((m) =>
      m.transitions.includes('firing'),
    );
    expect(fired).toBe(fires);
  });
});

describe('blocked_ratio', () => {
  const RATIO = rule({ kind: 'blocked_ratio', ratio: 0.2, minCount: 10, for: '0', groupBy: ['service'] });
  it.each([
    [30, 70, true],
    [19, 81, false],
    [5, 0, false],
    [400, 1600, true],
  ])('%d blocked of %d allowed fires: %s', (blocked, allowed, fires) => {
    const result = evaluateRule(
      RATIO,
      { nowMs: T0, groups: [{ key: { service: 'shop' }, blocked, allowed }] },
      INACTIVE,
    );
    expect(result.transitions.map((t) => t.type)).toEqual(fires ? ['firing'] : []);
  });

  it('folds finer groups onto groupBy before deciding', () => {
    const groups: GroupWindow[] = [
      { key: { service: 'shop', route: '/a', origin: 'https://x.test' }, blocked: 15, allowed: 10 },
      { key: { service: 'shop', route: '/b', origin: 'https://y.test' }, blocked: 15, allowed: 10 },
    ];
    const result = evaluateRule(RATIO, { nowMs: T0, groups }, INACTIVE);
    expect(result.transitions).toMatchObject([
      { type: 'firing', key: { service: 'shop' }, condition: { blocked: 30, value: 0.6 } },
    ]);
  });
});
