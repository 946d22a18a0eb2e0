import { describe, expect, it } from 'vitest';
import { QueryParameterError } from './query-errors.js';
import { bucketStarts, parseInstant, previousRange, resolveRange, resolveStep } from './time-range.js';

const NOW = Date.UTC(2026, 10, 26, 12, 34, 56, 789);
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

function refusal(run: () => unknown): { parameter: string; message: string } | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof QueryParameterError) return { parameter: error.parameter, message: error.message };
    throw error;
  }
  return undefined;
}

describe('parseInstant', () => {
  it.each([
    ['1764160496789', 1_764_160_496_789],
    ['2026-11-26', Date.UTC(2026, 10, 26)],
    ['2026-11-26T12:00Z', Date.UTC(2026, 10, 26, 12)],
    ['2026-11-26T12:00:00.5+01:00', Date.UTC(2026, 10, 26, 11, 0, 0, 500)],
    ['2026-11-26T12:00:00-0130', Date.UTC(2026, 10, 26, 13, 30)],
    ['2028-02-29', Date.UTC(2028, 1, 29)],
    ['2026-12-31T23:59:59Z', Date.UTC(2026, 11, 31, 23, 59, 59)],
  ])('reads %s', (text, ms) => {
    expect(parseInstant('from', text)).toBe(ms);
  });

  it.each([
    'now',
    '2026-11-26T12:00:00', // no zone: would depend on the server's
    '2026-13-40',
    '2026-02-30', // Date.parse reads it as March 2nd
    '2026-02-29', // not a leap year
    '2026-04-31T10:00Z',
    '2026-11-26T24:00Z',
    '2026-11-26T12:60Z',
    '2026-11-26T12:00:60Z',
    '2026-11-26T12:00+24:00',
    '26/11/2026',
    '1e12',
    '-5',
    '12', // 1970
    '9999999999999', // 2286
    ' 1764160496789',
  ])('refuses %j, naming the parameter', (text) => {
    expect(refusal(() => parseInstant('to', text))?.parameter).toBe('to');
  });
});

describe('resolveRange', () => {
  it('defaults to the 24 hours before now, widened to whole minutes', () => {
    expect(resolveRange(undefined, undefined, NOW)).toEqual({
      fromMs: Date.UTC(2026, 10, 25, 12, 34),
      toMs: Date.UTC(2026, 10, 26, 12, 35),
    });
  });

  it('takes 24 hours before an explicit to', () => {
    expect(resolveRange(undefined, '2026-11-26', NOW)).toEqual({
      fromMs: Date.UTC(2026, 10, 25),
      toMs: Date.UTC(2026, 10, 26),
    });
  });

  it.each([
    ['from after to', '2026-11-26T13:00:00Z', '2026-11-26T12:00:00Z', 'from'],
    ['from equal to to', '2026-11-26T12:00:00Z', '2026-11-26T12:00:00Z', 'from'],
    ['more than 400 days', '2025-01-01', '2026-11-26', 'from'],
    ['a bad to', undefined, 'tomorrow', 'to'],
  ])('refuses %s', (_name, from, to, parameter) => {
    expect(refusal(() => resolveRange(from, to, NOW))?.parameter).toBe(parameter);
  });

  it('keeps a minute-aligned range as it is', () => {
    const range = resolveRange(String(NOW - (NOW % MIN) - HOUR), String(NOW - (NOW % MIN)), NOW);
    expect(range.toMs - range.fromMs).toBe(HOUR);
    expect(previousRange(range)).toEqual({ fromMs: range.fromMs - HOUR, toMs: range.fromMs });
  });
});

describe('resolveStep', () => {
  const last = (ms: number) => ({ fromMs: Date.UTC(2026, 10, 26) - ms, toMs: Date.UTC(2026, 10, 26) });

  it.each([
    [HOUR, '1m', 60],
    [DAY, '5m', 288],
    [7 * DAY, '30m', 336],
    [30 * DAY, '2h', 360],
    [90 * DAY, '6h', 360],
    [400 * DAY, '1d', 400],
  ])('auto picks the finest step under 500 points for %d ms', (length, name, points) => {
    const range = last(length);
    const step = resolveStep(undefined, range);
    expect(step.name).toBe(name);
    expect(bucketStarts(range, step)).toHaveLength(points);
    expect(resolveStep('auto', range)).toEqual(step);
  });

  it('accepts an explicit step up to 1500 points and refuses a finer one', () => {
    expect(resolveStep('1m', last(DAY))).toEqual({ name: '1m', seconds: 60 });
    const refused = refusal(() => resolveStep('1m', last(2 * DAY)));
    expect(refused?.parameter).toBe('step');
    expect(refused?.message).toContain('1m gives 2880 points');
    expect(refusal(() => resolveStep('90s', last(DAY)))?.parameter).toBe('step');
  });

  it('aligns buckets to the epoch, the first one covering the range start', () => {
    const range = { fromMs: Date.UTC(2026, 10, 26, 10, 30), toMs: Date.UTC(2026, 10, 26, 13, 0) };
    expect(bucketStarts(range, { name: '1h', seconds: 3600 })).toEqual([
      Date.UTC(2026, 10, 26, 10),
      Date.UTC(2026, 10, 26, 11),
      Date.UTC(2026, 10, 26, 12),
    ]);
  });
});
