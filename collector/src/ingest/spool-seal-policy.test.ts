import { describe, expect, it } from 'vitest';
import {
  ageLimitMs,
  fitsInSegment,
  LOADED_AGE_CAP,
  LOADED_AGE_FACTOR,
  sealReason,
  type SegmentFill,
} from './spool-seal-policy.js';

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

describe('ageLimitMs', () => {
  it.each([
    ['before any segment was stored', undefined, 500],
    ['after a quick store', 100, 500],
    ['after a store of half the age', 250, 500],
    ['after a slower store: twice its time', 400, 400 * LOADED_AGE_FACTOR],
    ['capped however slow the store', 60_000, 500 * LOADED_AGE_CAP],
  ])('%s', (_name, lastStoreMs, limit) => {
    expect(ageLimitMs(500, lastStoreMs)).toBe(limit);
  });

  it('decides when sealReason seals by age', () => {
    const segment = fill(10, 100, 0);
    expect(sealReason(segment, LIMITS, 799, 0, 400)).toBeUndefined();
    expect(sealReason(segment, LIMITS, 800, 0, 400)).toBe('age');
    expect(sealReason(segment, LIMITS, 500, 0, 100)).toBe('age');
    // Rows and bytes seal it whatever the age limit.
    expect(sealReason(fill(100, 100, 0), LIMITS, 1, 0, 60_000)).toBe('rows');
    expect(sealReason(fill(10, 1000, 0), LIMITS, 1, 0, 60_000)).toBe('bytes');
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
