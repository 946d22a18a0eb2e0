import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['7d', 604_800_000],
    ['2w', 1_209_600_000],
    ['1d12h', 129_600_000],
    ['0', 0],
    ['0m', 0],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    '',
    '5',
    'm',
    '5 m',
    '-5m',
    '1.5h',
    '5M',
    '30m1h',
    '1h1h',
    '5ms',
    '5min',
    ' 5m',
    '1234567m',
    'P1D',
  ])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [300_000, '5m'],
    [5_400_000, '1h30m'],
    [604_800_000, '1w'],
    [1_209_600_000, '2w'],
    [2_592_000_000, '30d'],
    [777_600_000, '9d'],
    [0, '0'],
  ])('writes %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('writes what parseDuration reads back', () => {
    for (const ms of [1000, 61_000, 90_061_000, 2_592_000_000]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });
});
