import { describe, expect, it } from 'vitest';
import { fitsInSegment, sealReason, type SegmentFill } from './spool-seal-policy.js';

const LIMITS = { maxSegmentRows: 100, maxSegmentBytes: 1000, maxSegmentAgeMs: 500 };
const fill = (rows: number, bytes: number, firstAppendAt?: number): SegmentFill => ({
  rows,
  bytes,
  firstAppendAt,
});

describe('sealReason', () => {
  it.each([
    ['an empty segment is never sealed, however old the clock', fill(0, 0), 10_000, undefined],
    ['a young segment under the limits stays open', fill(10, 100, 0), 499, undefined],
    ['enough rows seal it', fill(100, 100, 0), 1, 'rows'],
    ['enough bytes seal it', fill(10, 1000, 0), 1, 'bytes'],
    ['age counts from the first append', fill(1, 10, 1000), 1500, 'age'],
    ['rows win over bytes and age', fill(150, 5000, 0), 10_000, 'rows'],
  ])('%s', (_name, segment, now, reason) => {
    expect(sealReason(segment, LIMITS, now, 0)).toBe(reason);
  });

  it.each([
    [
      'an old segment keeps filling while a sealed one waits for the writer',
      fill(10, 100, 0),
      10_000,
      1,
      undefined,
    ],
    ['rows still seal it while others wait', fill(100, 100, 0), 1, 3, 'rows'],
    ['bytes still seal it while others wait', fill(10, 1000, 0), 1, 3, 'bytes'],
  ])('%s', (_name, segment, now, waiting, reason) => {
    expect(sealReason(segment, LIMITS, now, waiting)).toBe(reason);
  });
});

describe('fitsInSegment', () => {
  it.each([
    ['an empty segment takes an append larger than every limit', fill(0, 0), 500, 5000, true],
    ['an append that stays within both limits goes in', fill(50, 500), 50, 500, true],
    ['an append past the row limit waits for a fresh segment', fill(50, 500), 51, 10, false],
    ['an append past the byte limit waits for a fresh segment', fill(50, 500), 1, 501, false],
  ])('%s', (_name, segment, rows, bytes, fits) => {
    expect(fitsInSegment(segment, rows, bytes, LIMITS)).toBe(fits);
  });
});
