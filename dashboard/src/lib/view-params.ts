// A dashboard view as URL search parameters, so a link reproduces what someone saw. Pure: the caller
// passes "now". Parameters:
//   range   15m | 1h | 24h (default) | 7d | 30d | custom
//   from,to custom range: ISO-8601 with a zone, a date-time without one (read as UTC, what the form's
//           datetime-local inputs send), or epoch milliseconds; passed to the query API as ISO-8601
//   service one service (from /api/v1/services); absent = all
//   origin  one origin (a rejected origin's link)
//   route   one route template (a route's link)
//   code    one reason or warning code (Mismatches)
//   refresh 1 = reload the data every REFRESH_SECONDS
//   sort,dir a table's sort column and direction (asc | desc)

// 15 minutes is the view right after a change ("whom did we just break?"): one-minute buckets, the finest the
// rollups keep.
export const RANGE_PRESETS = {
  '15m': { label: 'Last 15 min', ms: 900_000 },
  '1h': { label: 'Last 1 h', ms: 3_600_000 },
  '24h': { label: 'Last 24 h', ms: 86_400_000 },
  '7d': { label: 'Last 7 d', ms: 7 * 86_400_000 },
  '30d': { label: 'Last 30 d', ms: 30 * 86_400_000 },
} as const;
export type RangePreset = keyof typeof RANGE_PRESETS;
export const RANGE_PRESET_NAMES = Object.keys(RANGE_PRESETS) as readonly RangePreset[];
export const DEFAULT_RANGE: RangePreset = '24h';
export const REFRESH_SECONDS = 30;

export type SortDirection = 'asc' | 'desc';

export interface View {
  readonly range: RangePreset | 'custom';
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly service?: string | undefined;
  readonly origin?: string | undefined;
  readonly route?: string | undefined;
  readonly code?: string | undefined;
  readonly refresh: boolean;
  readonly sort?: string | undefined;
  readonly dir?: SortDirection | undefined;
  /** A `range` that is no preset (a typo, an old link): the default was shown instead, and the page says so. */
  readonly unknownRange?: string | undefined;
}

/**
 * The changes that leave a narrowed view: a link to another page or another origin starts that page
 * unfiltered and in its default order, keeping the range, service and refresh.
 */
export const UNNARROWED = {
  origin: undefined,
  route: undefined,
  code: undefined,
  sort: undefined,
  dir: undefined,
} as const satisfies Partial<Record<keyof View, undefined>>;

/** What Next.js hands a page as `searchParams`. */
export type SearchParams = Readonly<Record<string, string | string[] | undefined>>;

function single(params: SearchParams, name: string): string | undefined {
  const value = params[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}

function isPreset(value: string | undefined): value is RangePreset {
  return value !== undefined && Object.hasOwn(RANGE_PRESETS, value);
}

export function readView(params: SearchParams): View {
  const rangeParam = single(params, 'range');
  const from = single(params, 'from');
  const to = single(params, 'to');
  // A bound typed into the form makes the range custom, whatever preset the form carried along.
  const range =
    from !== undefined || to !== undefined || rangeParam === 'custom'
      ? 'custom'
      : isPreset(rangeParam)
        ? rangeParam
        : DEFAULT_RANGE;
  const dir = single(params, 'dir');
  return {
    range,
    from: range === 'custom' ? from : undefined,
    to: range === 'custom' ? to : undefined,
    service: single(params, 'service'),
    origin: single(params, 'origin'),
    route: single(params, 'route'),
    code: single(params, 'code'),
    refresh: single(params, 'refresh') === '1',
    sort: single(params, 'sort'),
    dir: dir === 'asc' || dir === 'desc' ? dir : undefined,
    unknownRange:
      rangeParam !== undefined && rangeParam !== 'custom' && !isPreset(rangeParam) ? rangeParam : undefined,
  };
}

const LOCAL_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;

/** A custom bound as the query API wants it: a zone-less date-time is read as UTC. */
export function apiInstant(text: string): string {
  return LOCAL_DATE_TIME.test(text) ? `${text}Z` : text;
}

/** The `from` / `to` to ask the query API for. */
export function apiRange(view: View, nowMs: number): { from: string | undefined; to: string | undefined } {
  if (view.range === 'custom') {
    return {
      from: view.from === undefined ? undefined : apiInstant(view.from),
      to: view.to === undefined ? undefined : apiInstant(view.to),
    };
  }
  const { ms } = RANGE_PRESETS[view.range];
  return { from: new Date(nowMs - ms).toISOString(), to: new Date(nowMs).toISOString() };
}

/** The view as search parameters, with `changes` applied (undefined removes a parameter). */
export function viewParams(view: View, changes: Partial<Record<keyof View, string | undefined>> = {}) {
  const base: Record<string, string | undefined> = {
    range: view.range === DEFAULT_RANGE ? undefined : view.range,
    from: view.from,
    to: view.to,
    service: view.service,
    origin: view.origin,
    route: view.route,
    code: view.code,
    refresh: view.refresh ? '1' : undefined,
    sort: view.sort,
    dir: view.dir,
  };
  const merged: Record<string, string | undefined> = { ...base, ...changes };
  if (merged.range !== undefined && merged.range !== 'custom') {
    merged.from = undefined;
    merged.to = undefined;
  }
  if (merged.range === DEFAULT_RANGE) merged.range = undefined;
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(merged)) {
    if (value !== undefined && value !== '') search.set(name, value);
  }
  return search;
}

/** `path?query` for the view with `changes` applied. */
export function viewHref(
  path: string,
  view: View,
  changes: Partial<Record<keyof View, string | undefined>> = {},
): string {
  const query = viewParams(view, changes).toString();
  return query === '' ? path : `${path}?${query}`;
}
