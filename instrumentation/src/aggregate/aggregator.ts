// Counts CORS requests under their summary key between flushes, exactly, in bounded memory, and picks the few
// requests per key that become detail spans (exemplars). Pure: the caller passes the clock.
import { ORIGIN_OTHER } from '../schema.js';
import type { SummaryKey } from './summary-key.js';

export interface AggregatorLimits {
  /** Distinct origins kept apart per route and interval; the rest are counted under `(other)`. */
  readonly originsPerRoute: number;
  /** Distinct keys per interval; past it new keys fold their origin into `(other)`. */
  readonly keysPerInterval: number;
  /** Detail spans per key and interval for requests that were not blocked… */
  readonly exemplarsPerKey: number;
  /** …and for blocked ones, which are worth more examples. */
  readonly exemplarsPerBlockedKey: number;
}

export const DEFAULT_AGGREGATOR_LIMITS: AggregatorLimits = {
  originsPerRoute: 100,
  keysPerInterval: 10_000,
  exemplarsPerKey: 2,
  exemplarsPerBlockedKey: 10,
};

export interface SummaryRecord {
  readonly key: SummaryKey;
  /** Requests counted under the key in the interval. */
  readonly count: number;
}

export interface SummaryInterval {
  /** Epoch milliseconds. */
  readonly start: number;
  readonly end: number;
  readonly records: readonly SummaryRecord[];
}

/** What record() says about the request it counted. */
export interface Counted {
  /** The key it was counted under (its origin may have become `(other)`). */
  readonly key: SummaryKey;
  /** Whether it should also be emitted as a detail span. */
  readonly exemplar: boolean;
}

/** A key's count; it is also record()'s answer (read before the next record), so counting allocates nothing. */
interface Entry extends Counted {
  count: number;
  exemplar: boolean;
  /** The interval it counts in (CorsAggregator's #interval then). */
  readonly interval: number;
}

function sameCache(a: SummaryKey['preflightCacheSeconds'], b: SummaryKey['preflightCacheSeconds']): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.chromium === b.chromium && a.firefox === b.firefox && a.webkit === b.webkit;
}

function sameCodes(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Everything of the key but its route and origin, which pick the list the entry is in. */
function sameVerdict(a: SummaryKey, b: SummaryKey): boolean {
  return (
    a.outcome === b.outcome &&
    a.kind === b.kind &&
    a.method === b.method &&
    a.requestMethod === b.requestMethod &&
    a.credentials === b.credentials &&
    a.needsPreflight === b.needsPreflight &&
    a.policyHash === b.policyHash &&
    sameCodes(a.reasons, b.reasons) &&
    sameCodes(a.warnings, b.warnings) &&
    sameCache(a.preflightCacheSeconds, b.preflightCacheSeconds)
  );
}

function find(entries: readonly Entry[] | undefined, key: SummaryKey): Entry | undefined {
  if (entries === undefined) return undefined;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    if (entry !== undefined && sameVerdict(entry.key, key)) return entry;
  }
  return undefined;
}

// Entries are found by route, then origin, then a field-by-field comparison with the few verdicts seen for
// that pair: no key string is built per request. A joined key string cost about a kilobyte of short-lived
// strings per request and a hash over ~150 characters (measured with --trace-gc in the app bench).
export class CorsAggregator {
  readonly #limits: AggregatorLimits;
  #start: number;
  /** route → origin → the entries of that pair (usually one). */
  #routes = new Map<string, Map<string, Entry[]>>();
  /** Every entry, in the order first seen: the order summaries are emitted in. */
  #entries: Entry[] = [];
  /** Intervals drained so far. */
  #interval = 0;

  constructor(now: number, limits: AggregatorLimits = DEFAULT_AGGREGATOR_LIMITS) {
    this.#limits = limits;
    this.#start = now;
  }

  /** Distinct keys counted in the current interval. */
  get size(): number {
    return this.#entries.length;
  }

  /**
   * Counts one request. Returns the key it was counted under (its origin may have become `(other)`) and
   * whether it should also be emitted as a detail span.
   */
  record(key: SummaryKey): Counted {
    let origins = this.#routes.get(key.route);
    if (origins === undefined) {
      origins = new Map();
      this.#routes.set(key.route, origins);
    }
    let counted = key;
    let entries = origins.get(key.origin);
    if (entries === undefined && this.#distinctOrigins(origins) >= this.#limits.originsPerRoute) {
      counted = { ...key, origin: ORIGIN_OTHER };
      entries = origins.get(ORIGIN_OTHER);
    }
    let entry = find(entries, counted);
    if (
      entry === undefined &&
      this.#entries.length >= this.#limits.keysPerInterval &&
      counted.origin !== ORIGIN_OTHER
    ) {
      counted = { ...counted, origin: ORIGIN_OTHER };
      entries = origins.get(ORIGIN_OTHER);
      entry = find(entries, counted);
    }
    if (entry === undefined) {
      entry = { key: counted, count: 0, exemplar: false, interval: this.#interval };
      if (entries === undefined) origins.set(counted.origin, [entry]);
      else entries.push(entry);
      this.#entries.push(entry);
    }
    return this.#count(entry);
  }

  /**
   * Counts one more request under what an earlier record() returned, without finding its key again: the
   * same entry, since within an interval the limits that fold a key into `(other)` only tighten. An answer
   * from an interval already drained is recorded afresh (its key may have been folded then).
   */
  recordAgain(counted: Counted): Counted {
    const entry = counted as Entry;
    return entry.interval === this.#interval ? this.#count(entry) : this.record(entry.key);
  }

  #count(entry: Entry): Entry {
    entry.count++;
    const exemplars =
      entry.key.outcome === 'blocked' ? this.#limits.exemplarsPerBlockedKey : this.#limits.exemplarsPerKey;
    entry.exemplar = entry.count <= exemplars;
    return entry;
  }

  /** Ends the interval at `now`: returns what it counted and starts the next one. */
  drain(now: number): SummaryInterval {
    const interval: SummaryInterval = {
      start: this.#start,
      end: now,
      records: this.#entries.map(({ key, count }) => ({ key, count })),
    };
    this.#start = now;
    this.#routes = new Map();
    this.#entries = [];
    this.#interval++;
    return interval;
  }

  /** Origins a route keeps apart, `(other)` not counted. */
  #distinctOrigins(origins: ReadonlyMap<string, Entry[]>): number {
    return origins.has(ORIGIN_OTHER) ? origins.size - 1 : origins.size;
  }
}
