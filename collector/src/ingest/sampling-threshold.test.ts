import { describe, expect, it } from 'vitest';
import { adjustedCountFromTraceState } from './sampling-threshold.js';

describe('adjustedCountFromTraceState', () => {
  it.each([
    ['ot=th:0', 1],
    ['ot=th:8', 2], // rejection threshold 2^55: half the spans kept
    ['ot=th:c', 4], // 3/4 rejected
    ['ot=th:e', 8],
    ['ot=th:fc', 64],
    ['ot=th:c0000000000000', 4],
    ['vendor=x,ot=rv:abcdef01234567;th:8,other=y', 2],
    [' ot=th:8 ', 2],
    ['ot=th:C', 4], // digits in either case, as OpenTelemetry's parsers read them
    ['ot=rv:c0000000000000;th:c', 4], // randomness at the threshold: kept
  ])('%s → %d', (traceState, expected) => {
    expect(adjustedCountFromTraceState(traceState)).toBeCloseTo(expected, 9);
  });

  it('gives the largest count for the largest threshold', () => {
    expect(adjustedCountFromTraceState('ot=th:ffffffffffffff')).toBe(2 ** 56);
  });

  it.each([
    undefined,
    '',
    'vendor=th:8',
    'ot=rv:00000000000000',
    'ot=th:',
    'ot=th:G',
    'ot=th:8000000000000000', // more than 14 digits
    'ot=th:-1',
    'ot=rv:00000000000001;th:8', // randomness below the threshold: the span should not have been kept
  ])('ignores %j (the configured weight applies)', (traceState) => {
    expect(adjustedCountFromTraceState(traceState)).toBeUndefined();
  });
});
