import type { AlertEventView, AlertInstanceView } from '@corsight/collector/api-types';
import { describe, expect, it } from 'vitest';
import {
  deliveryText,
  durationMs,
  eventText,
  exactFilters,
  firingIntervals,
  formatElapsed,
  formatMoment,
  instanceRange,
  intervalsForView,
  refusalText,
  sparklinePoints,
} from './alert-format';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const MIN = 60_000;

describe('formatElapsed', () => {
  it.each([
    [0, '0 s'],
    [999, '0 s'],
    [45_000, '45 s'],
    [12 * MIN + 5000, '12 min 5 s'],
    [90 * MIN, '1 h 30 min'],
    [26 * 60 * MIN + 59 * MIN, '1 d 2 h'],
    // The second unit is the next one down, even when it is zero.
    [24 * 60 * MIN + 5 * MIN, '1 d'],
    [-5, '0 s'],
  ])('%i ms → %j', (ms, text) => {
    expect(formatElapsed(ms)).toBe(text);
  });
});

describe('formatMoment', () => {
  it('shows the time alone on the same UTC day, the date too otherwise', () => {
    expect(formatMoment(NOW - 5 * MIN, NOW)).toBe('11:55 UTC');
    expect(formatMoment(NOW - 13 * 60 * MIN, NOW)).toBe('2026-11-25 23:00 UTC');
  });
});

describe('durationMs', () => {
  it.each([
    ['5m', 5 * MIN],
    ['1h30m', 90 * MIN],
    ['7d', 7 * 1440 * MIN],
    ['0', 0],
    ['', undefined],
    ['5x', undefined],
  ])('%j → %j', (text, ms) => {
    expect(durationMs(text)).toBe(ms);
  });
});

describe('exactFilters', () => {
  it('passes exact values to the query API and gives up on globs', () => {
    expect(exactFilters({})).toEqual({});
    expect(exactFilters({ service: 'orders-api', origin: 'https://a.test' })).toEqual({
      service: 'orders-api',
      origin: 'https://a.test',
    });
    expect(exactFilters({ service: 'orders-api', origin: 'https://*.a.test' })).toBeUndefined();
  });
});

describe('instanceRange', () => {
  it('starts a window before the instance started and ends a minute after it ended (open while firing)', () => {
    expect(instanceRange(NOW, 5 * MIN, null)).toEqual({ from: '2026-11-26T11:55', to: undefined });
    expect(instanceRange(NOW + 30_000, 10 * MIN, NOW + 20 * MIN)).toEqual({
      from: '2026-11-26T11:50',
      to: '2026-11-26T12:21',
    });
  });
});

function event(
  at: number,
  kind: string,
  instanceId = 'i1',
  extra: Partial<AlertEventView> = {},
): AlertEventView {
  return {
    at,
    ruleId: 'r',
    ruleVersion: 0,
    instanceId,
    key: { origin: 'https://a.test' },
    event: kind,
    transition: kind,
    blocked: 0,
    allowed: 0,
    value: 0,
    threshold: 0,
    baseline: null,
    channelId: null,
    deliveryOk: null,
    attempts: 0,
    evaluator: 'test',
    detail: null,
    ...extra,
  };
}

describe('firingIntervals', () => {
  const start = NOW - 60 * MIN;
  it('pairs firing with resolved per instance, newest-first input or not', () => {
    const events = [
      event(NOW - 10 * MIN, 'resolved'),
      event(NOW - 12 * MIN, 'notified'),
      event(NOW - 30 * MIN, 'firing'),
      event(NOW - 32 * MIN, 'pending'),
      event(NOW - 5 * MIN, 'firing', 'i2'),
      // Resolved in the range, fired before it.
      event(NOW - 50 * MIN, 'resolved', 'i3'),
    ];
    expect(
      firingIntervals(events, [], { startMs: start, endMs: NOW }).map(({ instanceId, start: s, end }) => [
        instanceId,
        s,
        end,
      ]),
    ).toEqual([
      ['i3', start, NOW - 50 * MIN],
      ['i1', NOW - 30 * MIN, NOW - 10 * MIN],
      ['i2', NOW - 5 * MIN, null],
    ]);
  });

  it('adds an instance that fired before the range and still fires, from the current state', () => {
    const firing = {
      ruleId: 'r',
      id: 'old',
      key: {},
      state: 'firing',
      firingSince: start - 5 * MIN,
    } as AlertInstanceView;
    const pending = {
      ruleId: 'r',
      id: 'p',
      key: {},
      state: 'pending',
      firingSince: null,
    } as AlertInstanceView;
    expect(firingIntervals([], [firing, pending], { startMs: start, endMs: NOW })).toEqual([
      { ruleId: 'r', instanceId: 'old', key: {}, start, end: null },
    ]);
    // A range that ended before it started firing.
    expect(firingIntervals([], [firing], { startMs: start - 60 * MIN, endMs: start - 10 * MIN })).toEqual([]);
  });

  it('leaves out instances keyed to another service, route or origin than the view’s', () => {
    const intervals = [
      {
        ruleId: 'r',
        instanceId: 'a',
        key: { service: 'orders-api', origin: 'https://a.test' },
        start,
        end: null,
      },
      { ruleId: 'r', instanceId: 'b', key: { service: 'search-api' }, start, end: null },
      { ruleId: 'all', instanceId: 'c', key: {}, start, end: null },
    ];
    const ids = (view: Parameters<typeof intervalsForView>[1]) =>
      intervalsForView(intervals, view).map((interval) => interval.instanceId);
    expect(ids({})).toEqual(['a', 'b', 'c']);
    expect(ids({ service: 'orders-api' })).toEqual(['a', 'c']);
    expect(ids({ origin: 'https://b.test' })).toEqual(['b', 'c']);
  });
});

describe('sparklinePoints', () => {
  it('scales to the box, the largest value at the top and zero at the bottom', () => {
    expect(sparklinePoints([0, 5, 10], 100, 20)).toBe('0,20 50,10 100,0');
    expect(sparklinePoints([0, 0], 100, 20)).toBe('0,20 100,20');
    expect(sparklinePoints([], 100, 20)).toBe('');
  });
});

describe('refusalText', () => {
  it('lists an invalid rule’s problems, each naming its field', () => {
    expect(
      refusalText(400, {
        error: 'invalid_rule',
        message: 'alert rules are invalid: …',
        problems: ['rule.window: expected a duration like 5m, 1h, 7d, got "5x"', 'rule.kind: expected …'],
      }),
    ).toBe('rule.window: expected a duration like 5m, 1h, 7d, got "5x"; rule.kind: expected …');
    expect(
      refusalText(400, {
        error: 'bad_parameter',
        parameter: 'silence.endsAt',
        message: 'silence.endsAt: must be in the future and after startsAt',
      }),
    ).toBe('silence.endsAt: must be in the future and after startsAt');
  });

  it('says which token to set when the collector refuses it', () => {
    expect(refusalText(401, { error: 'unauthorized', message: 'send an admin token' })).toMatch(
      /^The collector refused the dashboard's token for changes: set CORSIGHT_ADMIN_TOKEN/,
    );
    expect(refusalText(500, undefined)).toBe('The collector answered 500.');
  });
});

describe('eventText', () => {
  it('says which rule inhibited a notification, and that a silence kept one quiet', () => {
    const names = (id: string) => (id === 'nb' ? 'Origin that was allowed is now blocked' : id);
    const inhibited = event(NOW, 'suppressed', 'i', {
      transition: 'firing',
      detail: { inhibitedBy: { ruleId: 'nb', instanceId: 'i0' } },
    });
    expect(eventText(inhibited, names)).toBe('inhibited by Origin that was allowed is now blocked: firing');
    const silenced = event(NOW, 'suppressed', 'i', { transition: 'reminder', detail: { silenceId: 's1' } });
    expect(eventText(silenced, names)).toBe('silenced: reminder');
  });
});

describe('deliveryText', () => {
  it('reads a delivery’s outcome, with the last attempt’s error when it failed', () => {
    expect(deliveryText(event(NOW, 'delivery', 'i', { deliveryOk: true, attempts: 1 }))).toBe(
      'delivered (1 attempt)',
    );
    expect(
      deliveryText(
        event(NOW, 'delivery', 'i', {
          deliveryOk: false,
          attempts: 3,
          detail: {
            attempts: [{ status: 500 }, { error: 'ECONNREFUSED' }, { error: 'timeout after 2000 ms' }],
          },
        }),
      ),
    ).toBe('failed after 3 attempts: timeout after 2000 ms');
    expect(
      deliveryText(
        event(NOW, 'delivery', 'i', {
          deliveryOk: false,
          attempts: 1,
          detail: { attempts: [{ status: 502 }] },
        }),
      ),
    ).toBe('failed after 1 attempt: HTTP 502');
    expect(deliveryText(event(NOW, 'firing'))).toBeUndefined();
  });
});
