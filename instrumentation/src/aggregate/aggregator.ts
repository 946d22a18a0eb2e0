// Counts CORS requests under their summary key between flushes, exactly, in bounded memory, and picks the few
// requests per key that become detail spans (exemplars). Pure: the caller passes the clock.
import { ORIGIN_OTHER } from '../schema.js';
import { keyString, type SummaryKey } from './summary-key.js';

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

interface Entry {
  readonly key: SummaryKey;
  count: number;
}

export class CorsAggregator {
  readonly #limits: AggregatorLimits;
  #start: number;
  #entries = new Map<string, Entry>();
  #originsByRoute = new Map<string, Set<string>>();

  constructor(now: number, limits: AggregatorLimits = DEFAULT_AGGREGATOR_LIMITS) {
    this.#limits = limits;
    this.#start = now;
  }

  /** Distinct keys counted in the current interval. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Counts one request. Returns the key it was counted under (its origin may have become `(other)`) and
   * whether it should also be emitted as a detail span.
   */
  record(key: SummaryKey): { readonly key: SummaryKey; readonly exemplar: boolean } {
    let counted = this.#boundOrigin(key);
    let id = keyString(counted);
    let entry = this.#entries.get(id);
    if (entry === undefined && this.#entries.size >= this.#limits.keysPerInterval) {
      counted = { ...counted, origin: ORIGIN_OTHER };
      id = keyString(counted);
      entry = this.#entries.get(id);
    }
    if (entry === undefined) {
      entry = { key: counted, count: 0 };
      this.#entries.set(id, entry);
    }
    entry.count++;
    const exemplars =
      counted.outcome === 'blocked' ? this.#limits.exemplarsPerBlockedKey : this.#limits.exemplarsPerKey;
    return { key: counted, exemplar: entry.count <= exemplars };
  }

  /** Ends the interval at `now`: returns what it counted and starts the next one. */
  drain(now: number): SummaryInterval {
    const interval: SummaryInterval = {
      start: this.#start,
      end: now,
      records: [...this.#entries.values()].map(({ key, count }) => ({ key, count })),
    };
    this.#start = now;
    this.#entries = new Map();
    this.#originsByRoute = new Map();
    return interval;
  }

  #boundOrigin(key: SummaryKey): SummaryKey {
    let origins = this.#originsByRoute.get(key.route);
    if (origins === undefined) {
      origins = new Set();
      this.#originsByRoute.set(key.route, origins);
    }
    if (origins.has(key.origin)) return key;
    if (origins.size < this.#limits.originsPerRoute) {
      origins.add(key.origin);
      return key;
    }
    return { ...key, origin: ORIGIN_OTHER };
  }
}
