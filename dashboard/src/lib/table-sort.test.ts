import type { RejectedOrigin } from '@corsight/collector/api-types';
import { describe, expect, it } from 'vitest';
import { ORIGINS_TABLE, PREFLIGHT_CACHE_TABLE } from './table-columns';
import { columnOf, nextSort, readSort, sortRows, type TableSort } from './table-sort';

interface Row {
  readonly name: string;
  readonly count: number | null;
  readonly at: string;
}

const TABLE: TableSort<Row> = {
  columns: [
    { key: 'name', label: 'Name', kind: 'text', value: (row) => row.name },
    { key: 'count', label: 'Count', kind: 'number', value: (row) => row.count },
    { key: 'at', label: 'At', kind: 'time', value: (row) => row.at },
  ],
  defaultSort: { key: 'count', dir: 'desc' },
};

// Numbers that sort differently as text (9 < 10 < 100), names that sort differently by code point
// (uppercase before lowercase), instants whose text order is not their time order (zones), one missing
// count, and a tie (b, c) that must keep its input order.
const ROWS: readonly Row[] = [
  { name: 'beta', count: 10, at: '2026-11-26T10:00:00+02:00' },
  { name: 'Alpha', count: 100, at: '2026-11-26T09:00:00Z' },
  { name: 'gamma', count: 9, at: '2026-11-26T08:30:00Z' },
  { name: 'delta', count: null, at: 'not a time' },
  { name: 'epsilon', count: 10, at: '2026-11-26T09:30:00Z' },
];
const names = (rows: readonly Row[]) => rows.map((row) => row.name);

describe('sortRows', () => {
  it.each([
    ['count', 'desc', ['Alpha', 'beta', 'epsilon', 'gamma', 'delta']],
    ['count', 'asc', ['gamma', 'beta', 'epsilon', 'Alpha', 'delta']],
    ['name', 'asc', ['Alpha', 'beta', 'delta', 'epsilon', 'gamma']],
    ['name', 'desc', ['gamma', 'epsilon', 'delta', 'beta', 'Alpha']],
    ['at', 'asc', ['beta', 'gamma', 'Alpha', 'epsilon', 'delta']],
    ['at', 'desc', ['epsilon', 'Alpha', 'gamma', 'beta', 'delta']],
  ] as const)('by %s %s (missing values last, ties in input order)', (key, dir, expected) => {
    expect(names(sortRows(ROWS, TABLE, { key, dir }))).toEqual(expected);
  });

  it('leaves its input untouched', () => {
    const before = names(ROWS);
    sortRows(ROWS, TABLE, { key: 'name', dir: 'asc' });
    expect(names(ROWS)).toEqual(before);
  });
});

describe('readSort', () => {
  it.each([
    [undefined, undefined, { key: 'count', dir: 'desc' }],
    ['nonsense', 'asc', { key: 'count', dir: 'desc' }],
    ['name', undefined, { key: 'name', dir: 'asc' }],
    ['at', undefined, { key: 'at', dir: 'desc' }],
    ['count', 'asc', { key: 'count', dir: 'asc' }],
  ] as const)('sort=%s dir=%s → %j', (sort, dir, expected) => {
    expect(readSort(TABLE, sort, dir)).toEqual(expected);
  });
});

describe('nextSort', () => {
  it('flips the sorted column and starts another in its first direction', () => {
    const current = { key: 'count', dir: 'desc' } as const;
    expect(nextSort(columnOf(TABLE, 'count'), current)).toEqual({ key: 'count', dir: 'asc' });
    expect(nextSort(columnOf(TABLE, 'count'), { key: 'count', dir: 'asc' })).toEqual({
      key: 'count',
      dir: 'desc',
    });
    expect(nextSort(columnOf(TABLE, 'name'), current)).toEqual({ key: 'name', dir: 'asc' });
    expect(nextSort(columnOf(TABLE, 'at'), current)).toEqual({ key: 'at', dir: 'desc' });
  });

  it('a column the table does not have is an error', () => {
    expect(() => columnOf(TABLE, 'missing')).toThrow(/no sortable column "missing"/);
  });
});

describe('the dashboard tables', () => {
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
    origin('https://x.test"><img src=x onerror=alert(1)>', 9, 0.25, '2026-11-26T11:00:00.000Z'),
  ];

  it.each([
    ['blocked', 'desc', ['https://x.test"><img src=x onerror=alert(1)>', 'https://b.test', 'https://a.test']],
    ['origin', 'asc', ['https://a.test', 'https://b.test', 'https://x.test"><img src=x onerror=alert(1)>']],
    ['share', 'desc', ['https://a.test', 'https://b.test', 'https://x.test"><img src=x onerror=alert(1)>']],
    [
      'firstBlocked',
      'asc',
      ['https://a.test', 'https://b.test', 'https://x.test"><img src=x onerror=alert(1)>'],
    ],
  ] as const)('origins by %s %s', (key, dir, expected) => {
    expect(sortRows(ORIGINS, ORIGINS_TABLE, { key, dir }).map((row) => row.origin)).toEqual(expected);
  });

  it('routes sort Max-Age as seconds, with "not sent" and unknown last', () => {
    const entry = (route: string, maxAgeSent: string | null | undefined) => ({
      service: 'orders-api',
      route,
      origin: 'https://a.test',
      method: 'PUT',
      needingPreflight: 1,
      allowedPreflights: 1,
      estimatedHits: 0,
      hitRatio: 0,
      ...(maxAgeSent === undefined ? {} : { maxAgeSent }),
      maxAgeSamples: 1,
      effectiveCacheSeconds: { chromium: 5, firefox: 0, webkit: 5 },
      engineCaps: { chromium: 7200, firefox: 86_400, webkit: 600 } as const,
      preflightsSavedEstimate: 0,
    });
    const rows = [
      entry('/a', '600'),
      entry('/b', null),
      entry('/c', '7200'),
      entry('/d', undefined),
      entry('/e', '90'),
    ];
    expect(
      sortRows(rows, PREFLIGHT_CACHE_TABLE, { key: 'maxAge', dir: 'asc' }).map((row) => row.route),
    ).toEqual(['/e', '/a', '/c', '/b', '/d']);
  });
});
