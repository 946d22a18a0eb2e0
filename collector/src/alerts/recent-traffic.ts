// The last minutes of traffic, read once per evaluation cycle and shared by every rule whose window they
// cover: each rule cuts its window's groups and top reasons from them in memory (its filter and grouping
// applied here), so a cycle issues two queries for the windows of all rules instead of two per rule.
//
// A cycle hands in the previous cycle's minutes and reads again only the last REREAD_MS of them and the new
// ones: the hour before holds no new spans, and reading it each minute was half of a cycle's SQL and most
// of what it relayed and parsed (alert storm of the alerts bench's load: ~4 MiB of rows per cycle, 155 of
// ~290 ms of statement CPU). Spans that reach ClickHouse later than that (a spool replayed after an outage)
// count once every minute is read again, at the latest FULL_READ_EVERY_MS after the last full read.
import type { ClickHouseClient } from '@clickhouse/client';
import type { GroupKey, GroupWindow } from './alert-input.js';
import { recentMinutesQuery, recentReasonsQuery } from './alert-input-sql.js';
import { compileFilter, keyId, projectKey, type CompiledFilter } from './alert-key.js';
import type { AlertRule } from './alert-rule.js';
import { readCompactRows } from './read-rows.js';

const TOP_REASONS = 3;

export type MutableGroup = { -readonly [K in keyof GroupWindow]: GroupWindow[K] };

/** A (service, route, origin) seen in the shared minutes, by its index in `RecentTraffic.triples`. */
export interface Triple {
  readonly service: string;
  readonly route: string;
  readonly origin: string;
}

/** One rollup minute of one (service, route, origin). */
export interface RecentMinute extends Triple {
  readonly minuteMs: number;
  readonly triple: number;
  readonly blocked: number;
  readonly allowed: number;
}

export interface RecentReason extends Triple {
  readonly minuteMs: number;
  readonly triple: number;
  readonly code: string;
  readonly requests: number;
}

/** The last minutes of traffic, read once per cycle (readRecentTraffic) and shared by the rules. */
export interface RecentTraffic {
  readonly fromMs: number;
  readonly toMs: number;
  /** Every triple of the minutes (and, after an incremental read, some of minutes since dropped). */
  readonly triples: readonly Triple[];
  /** By minute. */
  readonly minutes: readonly RecentMinute[];
  /** By minute. */
  readonly reasons: readonly RecentReason[];
  /** When every minute was last read from ClickHouse (the cycle's `toMs` then). */
  readonly fullReadAtMs: number;
  /** The triples' numbers by name, kept for the next incremental read (rebuilt when absent). */
  readonly numbers?: TripleNumbers;
}

/**
 * Triple numbers by service, route and origin. A row is looked up by the three names it holds, where a key
 * built from them cost a string concatenation, its flattening and its hash per row (a twelfth of a cycle's
 * JavaScript carrying the alerts bench's storm), and the map is kept from one incremental read to the next
 * instead of being rebuilt from every known triple.
 */
export class TripleNumbers {
  private readonly byService = new Map<string, Map<string, Map<string, number>>>();
  private count = 0;

  static of(triples: readonly Triple[]): TripleNumbers {
    const numbers = new TripleNumbers();
    triples.forEach((triple, number) => {
      numbers.set(triple, number);
    });
    return numbers;
  }

  /** How many triples are numbered. */
  get size(): number {
    return this.count;
  }

  get(service: string, route: string, origin: string): number | undefined {
    return this.byService.get(service)?.get(route)?.get(origin);
  }

  set(triple: Triple, number: number): void {
    let routes = this.byService.get(triple.service);
    if (routes === undefined) {
      routes = new Map();
      this.byService.set(triple.service, routes);
    }
    let origins = routes.get(triple.route);
    if (origins === undefined) {
      origins = new Map();
      routes.set(triple.route, origins);
    }
    if (!origins.has(triple.origin)) this.count += 1;
    origins.set(triple.origin, number);
  }
}

/** Minutes read again though the previous cycle read them: a minute's spans keep arriving for a while. */
export const REREAD_MS = 5 * 60_000;
/** Every minute is read again at least this often, for spans that arrive later than REREAD_MS. */
export const FULL_READ_EVERY_MS = 15 * 60_000;

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/**
 * Every group's minutes and blocking reasons in `[fromMs, toMs)`: two queries for the whole cycle. With the
 * previous cycle's answer, only its last REREAD_MS and the minutes since are read; the rest is kept.
 */
export async function readRecentTraffic(
  client: ClickHouseClient,
  fromMs: number,
  toMs: number,
  previous?: RecentTraffic,
): Promise<RecentTraffic> {
  const reuse =
    previous !== undefined &&
    previous.fromMs <= fromMs &&
    previous.toMs <= toMs &&
    previous.toMs - REREAD_MS > fromMs &&
    toMs - previous.fullReadAtMs < FULL_READ_EVERY_MS;
  const readFromMs = reuse ? previous.toMs - REREAD_MS : fromMs;
  const triples: Triple[] = reuse ? [...previous.triples] : [];
  // The previous answer's numbers, unless they were extended since (the same answer passed twice).
  const numbers =
    reuse && previous.numbers?.size === previous.triples.length
      ? previous.numbers
      : TripleNumbers.of(triples);
  const numberOf = (row: readonly unknown[]): number => {
    const service = text(row[1]);
    const route = text(row[2]);
    const origin = text(row[3]);
    let number = numbers.get(service, route, origin);
    if (number === undefined) {
      number = triples.length;
      const triple = { service, route, origin };
      triples.push(triple);
      numbers.set(triple, number);
    }
    return number;
  };
  const minutes = (await readCompactRows(client, recentMinutesQuery(readFromMs, toMs)))
    .map((row): RecentMinute => {
      const triple = numberOf(row);
      const { service, route, origin } = triples[triple] as Triple;
      return {
        minuteMs: Number(row[0]) * 1000,
        service,
        route,
        origin,
        triple,
        blocked: Number(row[4]),
        allowed: Number(row[5]),
      };
    })
    .sort((a, b) => a.minuteMs - b.minuteMs);
  const reasons = (await readCompactRows(client, recentReasonsQuery(readFromMs, toMs)))
    .map((row): RecentReason => {
      const triple = numberOf(row);
      const { service, route, origin } = triples[triple] as Triple;
      return {
        minuteMs: Number(row[0]) * 1000,
        service,
        route,
        origin,
        triple,
        code: text(row[4]),
        requests: Number(row[5]),
      };
    })
    .sort((a, b) => a.minuteMs - b.minuteMs);
  if (!reuse) return { fromMs, toMs, triples, minutes, reasons, fullReadAtMs: toMs, numbers };
  // Rows are sorted by minute: the kept ones are a slice of the previous answer, the read ones follow.
  const kept = <T extends { readonly minuteMs: number }>(rows: readonly T[]): T[] =>
    rows.slice(firstAtOrAfter(rows, fromMs), firstAtOrAfter(rows, readFromMs));
  return {
    fromMs,
    toMs,
    triples,
    minutes: [...kept(previous.minutes), ...minutes],
    reasons: [...kept(previous.reasons), ...reasons],
    fullReadAtMs: previous.fullReadAtMs,
    numbers,
  };
}

/**
 * The group each triple falls in under a grouping, and whether a filter keeps it, each worked out once per
 * triple and shared by every rule with the same grouping or filter (a cycle's 100 rules have a handful of
 * each; building a group id per row and rule was most of a cycle's time). Kept from one cycle to the next
 * while the shared minutes are read incrementally (their triples keep their indexes, new ones are appended:
 * forTriples), so a cycle works out only the new triples' groups; in the alerts bench's storm, working them
 * all out again every cycle was a tenth of a cycle's JavaScript.
 */
export class TripleGroups {
  private readonly projections = new Map<
    string,
    { ids: (string | undefined)[]; keys: Map<string, GroupKey> }
  >();
  private readonly filters = new Map<string, { filter: CompiledFilter; matches: (boolean | undefined)[] }>();
  /** Dense group numbers per grouping and filter (DenseGroups), built the first time a rule asks. */
  private readonly dense = new Map<string, DenseGroups & { readonly numbers: Map<string, number> }>();
  private current: readonly Triple[];

  constructor(triples: readonly Triple[]) {
    this.current = triples;
  }

  get triples(): readonly Triple[] {
    return this.current;
  }

  /**
   * These groupings for `triples` when it extends the triples they were worked out for (the same objects at
   * the same indexes, more after them: an incremental read), else fresh ones.
   */
  forTriples(triples: readonly Triple[]): TripleGroups {
    const known = this.current;
    const last = known.length - 1;
    const appended =
      triples.length >= known.length &&
      (last < 0 || (triples[0] === known[0] && triples[last] === known[last]));
    if (!appended) return new TripleGroups(triples);
    this.current = triples;
    return this;
  }

  /** `rule`'s group id of each triple by index; null when its filter drops the triple. */
  view(rule: Pick<AlertRule, 'filter' | 'groupBy'>): RuleTriples {
    const groupBy = rule.groupBy;
    const projectionId = groupBy.join(',');
    let projection = this.projections.get(projectionId);
    if (projection === undefined) {
      projection = { ids: [], keys: new Map() };
      this.projections.set(projectionId, projection);
    }
    const filterId = JSON.stringify([rule.filter.service, rule.filter.route, rule.filter.origin]);
    let filtered = this.filters.get(filterId);
    if (filtered === undefined) {
      filtered = { filter: compileFilter(rule.filter), matches: [] };
      this.filters.set(filterId, filtered);
    }
    const { ids, keys } = projection;
    const { filter, matches } = filtered;
    const triples = this.current;
    const denseId = `${projectionId}|${filterId}`;
    const view: RuleTriples = {
      groupOf: (index) => {
        const triple = triples[index];
        if (triple === undefined) return null;
        let kept = matches[index];
        if (kept === undefined) {
          kept = filter.matches(triple);
          matches[index] = kept;
        }
        if (!kept) return null;
        let id = ids[index];
        if (id === undefined) {
          const key = projectKey(triple, groupBy);
          id = keyId(key);
          ids[index] = id;
          if (!keys.has(id)) keys.set(id, key);
        }
        return id;
      },
      keyOf: (id) => keys.get(id),
      groups: () => {
        const known = this.dense.get(denseId);
        if (known !== undefined && known.of.length === triples.length) return known;
        // Triples appended since the numbers were given: the known ones keep theirs, the new ones follow.
        const numbers = known?.numbers ?? new Map<string, number>();
        const groupIds = (known?.ids ?? []) as string[];
        const of = new Int32Array(triples.length);
        if (known !== undefined) of.set(known.of);
        for (let index = known?.of.length ?? 0; index < triples.length; index += 1) {
          const id = view.groupOf(index);
          if (id === null) {
            of[index] = -1;
            continue;
          }
          let number = numbers.get(id);
          if (number === undefined) {
            number = groupIds.length;
            groupIds.push(id);
            numbers.set(id, number);
          }
          of[index] = number;
        }
        const dense = { of, ids: groupIds, numbers };
        this.dense.set(denseId, dense);
        return dense;
      },
    };
    return view;
  }
}

/** A rule's groups numbered 0…n−1: each triple's number (−1 when the filter drops it) and each number's id. */
export interface DenseGroups {
  readonly of: Int32Array;
  readonly ids: readonly string[];
}

export interface RuleTriples {
  /** The id of the rule's group the triple at `index` falls in; null when the rule's filter drops it. */
  groupOf(index: number): string | null;
  keyOf(id: string): GroupKey | undefined;
  /**
   * Every triple's group as a number, shared by the rules of the same grouping and filter: a rule sums its
   * window into arrays by number instead of looking up a map per triple (most of a cycle's time with many
   * live triples).
   */
  groups(): DenseGroups;
}

/** Index of the first row at or after `minuteMs` (rows sorted by minute). */
export function firstAtOrAfter(rows: readonly { readonly minuteMs: number }[], minuteMs: number): number {
  let low = 0;
  let high = rows.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((rows[middle]?.minuteMs ?? Infinity) < minuteMs) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Each triple's blocked and allowed in one window, and its first blocked minute (NaN: none). */
export interface TripleTotals {
  readonly blocked: Float64Array;
  readonly allowed: Float64Array;
  readonly firstBlockedMs: Float64Array;
}

/**
 * Sums each triple's minutes in `[nowMs − windowMs, nowMs)`: one pass over the window's rows, shared by every
 * rule with that window (rules then visit triples, not rows: at a high ingest rate a triple has a row in most
 * minutes, and a cycle's rules are many).
 */
export function tripleTotals(recent: RecentTraffic, nowMs: number, windowMs: number): TripleTotals {
  const count = recent.triples.length;
  const totals: TripleTotals = {
    blocked: new Float64Array(count),
    allowed: new Float64Array(count),
    firstBlockedMs: new Float64Array(count).fill(Number.NaN),
  };
  const { minutes } = recent;
  for (let index = firstAtOrAfter(minutes, nowMs - windowMs); index < minutes.length; index += 1) {
    const row = minutes[index] as RecentMinute;
    if (row.minuteMs >= nowMs) break;
    const triple = row.triple;
    totals.blocked[triple] = (totals.blocked[triple] as number) + row.blocked;
    totals.allowed[triple] = (totals.allowed[triple] as number) + row.allowed;
    // Rows come by minute: the first blocked one is the earliest.
    if (row.blocked > 0 && Number.isNaN(totals.firstBlockedMs[triple])) {
      totals.firstBlockedMs[triple] = row.minuteMs;
    }
  }
  return totals;
}

/**
 * The window's groups with blocked traffic, and those of `instances` with allowed traffic only: the triples'
 * totals under the rule's filter and grouping. (An instance's group missing from the window had no traffic
 * at all, which the origin kinds tell from traffic allowed again: rule-condition.ts, keepFiringFor.)
 */
export function windowFromRecent(
  totals: TripleTotals,
  view: RuleTriples,
  instances?: { has(instanceId: string): boolean },
): MutableGroup[] {
  const { of, ids } = view.groups();
  const { blocked, allowed, firstBlockedMs } = totals;
  const groupBlocked = new Float64Array(ids.length);
  const groupAllowed = new Float64Array(ids.length);
  const groupFirst = new Float64Array(ids.length).fill(Number.NaN);
  // Groups in the order of their first triple with traffic in the window.
  const firstTriple = new Int32Array(ids.length).fill(-1);
  for (let triple = 0; triple < blocked.length; triple += 1) {
    const tripleBlocked = blocked[triple] as number;
    const tripleAllowed = allowed[triple] as number;
    if (tripleBlocked === 0 && tripleAllowed === 0) continue;
    const group = of[triple] as number;
    if (group < 0) continue;
    if ((firstTriple[group] as number) < 0) firstTriple[group] = triple;
    groupBlocked[group] = (groupBlocked[group] as number) + tripleBlocked;
    groupAllowed[group] = (groupAllowed[group] as number) + tripleAllowed;
    const first = firstBlockedMs[triple] as number;
    const known = groupFirst[group] as number;
    if (!Number.isNaN(first) && (Number.isNaN(known) || first < known)) groupFirst[group] = first;
  }
  const live: number[] = [];
  for (let group = 0; group < ids.length; group += 1) {
    if ((groupBlocked[group] as number) > 0) live.push(group);
    else if ((groupAllowed[group] as number) > 0 && instances?.has(ids[group] as string) === true) {
      live.push(group);
    }
  }
  live.sort((a, b) => (firstTriple[a] as number) - (firstTriple[b] as number));
  return live.map((group) => {
    const window: MutableGroup = {
      key: view.keyOf(ids[group] as string) ?? {},
      blocked: groupBlocked[group] as number,
      allowed: groupAllowed[group] as number,
    };
    const first = groupFirst[group] as number;
    if (!Number.isNaN(first)) window.firstBlockedMs = first;
    return window;
  });
}

/** Each triple's reason and warning codes summed over one window: the triples that have any, and their codes. */
export interface TripleReasons {
  readonly triples: readonly number[];
  readonly codes: readonly ReadonlyMap<string, number>[];
}

/**
 * Sums each triple's codes in `[nowMs − windowMs, nowMs)`: one pass over the window's rows, shared by every
 * rule with that window, as tripleTotals is for the minutes. A rule then visits the triples with codes, not
 * the rows: in an alert storm a blocked triple has a row per code and minute, and walking them per rule (a
 * group id and a map lookup per row) was a fifth of a cycle's JavaScript (the alerts bench's storm).
 */
export function tripleReasons(recent: RecentTraffic, nowMs: number, windowMs: number): TripleReasons {
  const byTriple = new Map<number, Map<string, number>>();
  const { reasons } = recent;
  for (let index = firstAtOrAfter(reasons, nowMs - windowMs); index < reasons.length; index += 1) {
    const row = reasons[index] as RecentReason;
    if (row.minuteMs >= nowMs) break;
    let codes = byTriple.get(row.triple);
    if (codes === undefined) {
      codes = new Map();
      byTriple.set(row.triple, codes);
    }
    codes.set(row.code, (codes.get(row.code) ?? 0) + row.requests);
  }
  return { triples: [...byTriple.keys()], codes: [...byTriple.values()] };
}

function addRequests(this: Map<string, number>, requests: number, code: string): void {
  this.set(code, (this.get(code) ?? 0) + requests);
}

/** Sets the top reasons of each live group (by group id) from its triples' codes in the window. */
export function reasonsFromRecent(
  reasons: TripleReasons,
  view: RuleTriples,
  live: ReadonlyMap<string, MutableGroup>,
): void {
  const { of, ids } = view.groups();
  // Each group's live entry by its number, looked up once: null when the group is not live.
  const groupAt = new Array<MutableGroup | null | undefined>(ids.length);
  const totals = new Map<MutableGroup, Map<string, number>>();
  for (let index = 0; index < reasons.triples.length; index += 1) {
    const number = of[reasons.triples[index] as number] ?? -1;
    if (number < 0) continue;
    let group = groupAt[number];
    if (group === undefined) {
      group = live.get(ids[number] as string) ?? null;
      groupAt[number] = group;
    }
    if (group === null) continue;
    let codes = totals.get(group);
    if (codes === undefined) {
      codes = new Map();
      totals.set(group, codes);
    }
    // forEach with a shared callback, not for…of: this runs for every reason row of every rule, and
    // destructuring each entry allocates an array per code (a closure per row would allocate too).
    (reasons.codes[index] as ReadonlyMap<string, number>).forEach(addRequests, codes);
  }
  for (const [group, codes] of totals) {
    group.topReasons = [...codes]
      .map(([code, requests]) => ({ code, requests }))
      .sort((a, b) => b.requests - a.requests || a.code.localeCompare(b.code))
      .slice(0, TOP_REASONS);
  }
}
