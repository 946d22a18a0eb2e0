import { describe, expect, it } from 'vitest';
import type { RejectedOrigin } from './api-types';
import { originSortKey, sortOrigins } from './origin-sort';

function origin(name: string, blocked: number, share: number, firstBlocked: string): RejectedOrigin {
  return {
    origin: name,
    blocked,
    requests: blocked / share,
    share,
    firstBlocked,
    lastBlocked: firstBlocked,
    trend: { previousBlocked: 0, change: blocked, ratio: null },
    routes: [],
    reasons: [],
  };
}

const ORIGINS = [
  origin('https://b.test', 5, 0.5, '2026-11-26T10:00:00.000Z'),
  origin('https://a.test', 5, 1, '2026-11-26T09:00:00.000Z'),
  origin('https://c.test', 9, 0.25, '2026-11-26T11:00:00.000Z'),
];
const names = (list: readonly RejectedOrigin[]) => list.map((entry) => entry.origin);

describe('sortOrigins', () => {
  it.each([
    ['blocked', 'desc', ['https://c.test', 'https://b.test', 'https://a.test']],
    ['blocked', 'asc', ['https://b.test', 'https://a.test', 'https://c.test']],
    ['origin', 'asc', ['https://a.test', 'https://b.test', 'https://c.test']],
    ['share', 'desc', ['https://a.test', 'https://b.test', 'https://c.test']],
    ['firstBlocked', 'asc', ['https://a.test', 'https://b.test', 'https://c.test']],
  ] as const)('%s %s', (key, dir, expected) => {
    expect(names(sortOrigins(ORIGINS, key, dir))).toEqual(expected);
  });

  it('an unknown sort key falls back to blocked', () => {
    expect(originSortKey('nonsense')).toBe('blocked');
    expect(originSortKey(undefined)).toBe('blocked');
  });
});
