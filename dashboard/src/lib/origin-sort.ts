// Sorting the rejected-origins table by one of its columns. Pure; ties keep the API's order (blocked
// weight, then origin), so the table is stable across reloads.
import type { RejectedOrigin } from './api-types';
import type { SortDirection } from './view-params';

export const ORIGIN_SORT_KEYS = ['origin', 'blocked', 'share', 'firstBlocked', 'lastBlocked'] as const;
export type OriginSortKey = (typeof ORIGIN_SORT_KEYS)[number];

export const DEFAULT_ORIGIN_SORT: { key: OriginSortKey; dir: SortDirection } = {
  key: 'blocked',
  dir: 'desc',
};

export function originSortKey(value: string | undefined): OriginSortKey {
  return ORIGIN_SORT_KEYS.find((key) => key === value) ?? DEFAULT_ORIGIN_SORT.key;
}

function compare(a: RejectedOrigin, b: RejectedOrigin, key: OriginSortKey): number {
  switch (key) {
    case 'origin':
      return a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0;
    case 'blocked':
      return a.blocked - b.blocked;
    case 'share':
      return a.share - b.share;
    case 'firstBlocked':
      return Date.parse(a.firstBlocked) - Date.parse(b.firstBlocked);
    case 'lastBlocked':
      return Date.parse(a.lastBlocked) - Date.parse(b.lastBlocked);
    default: {
      const unknown: never = key;
      throw new Error(`unknown sort key ${String(unknown)}`);
    }
  }
}

export function sortOrigins(
  origins: readonly RejectedOrigin[],
  key: OriginSortKey,
  dir: SortDirection,
): RejectedOrigin[] {
  const sign = dir === 'asc' ? 1 : -1;
  return origins
    .map((origin, index) => ({ origin, index }))
    .sort((a, b) => sign * compare(a.origin, b.origin, key) || a.index - b.index)
    .map(({ origin }) => origin);
}
