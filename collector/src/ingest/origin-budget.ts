// Distinct origins kept apart per service and route, as Corsight's instrumentation keeps them before its
// spans leave the process (aggregate/aggregator.ts): an HTTP server span's Origin is whatever its client
// sent, and a scanner sending random ones would otherwise make a rollup row, an origins-seen row and a line
// on the origins page per request. Past the budget in a window, the rest count under `(other)`.
import {
  DEFAULT_AGGREGATOR_LIMITS,
  DEFAULT_FLUSH_INTERVAL_MS,
  ORIGIN_INVALID,
  ORIGIN_OTHER,
} from '@corsight/instrumentation';

export interface OriginBudgetLimits {
  /** Distinct origins per service and route per window. */
  readonly originsPerRoute: number;
  /**
   * Service, route and origin triples kept per window, all pairs together (the memory bound: 10,000 pairs
   * of 100 origins would be a million strings); past it every new one counts under `(other)`.
   */
  readonly keysPerWindow: number;
  readonly windowMs: number;
}

/** The instrumentation's defaults: 100 origins per route and 10,000 keys per 5-second interval. */
export const DEFAULT_ORIGIN_BUDGET: OriginBudgetLimits = {
  originsPerRoute: DEFAULT_AGGREGATOR_LIMITS.originsPerRoute,
  keysPerWindow: DEFAULT_AGGREGATOR_LIMITS.keysPerInterval,
  windowMs: DEFAULT_FLUSH_INTERVAL_MS,
};

export class OriginBudget {
  // service → route → origins seen in the window. Nested maps: the decoded strings repeat as the same
  // objects, whose hashes V8 keeps, where a joined key would be a new string to hash per span.
  #services = new Map<string, Map<string, Set<string>>>();
  #keys = 0;
  #windowStart = Number.NEGATIVE_INFINITY;

  constructor(private readonly limits: OriginBudgetLimits = DEFAULT_ORIGIN_BUDGET) {}

  /**
   * The origin a request of `service` on `route` is counted under: its own, or `(other)`. `now`: the
   * caller's clock (a request's, read once for all its spans).
   */
  admit(service: string, route: string, origin: string, now: number): string {
    if (origin === ORIGIN_OTHER || origin === ORIGIN_INVALID) return origin;
    if (now - this.#windowStart >= this.limits.windowMs) {
      this.#services = new Map();
      this.#keys = 0;
      this.#windowStart = now;
    }
    let routes = this.#services.get(service);
    let origins = routes?.get(route);
    if (origins?.has(origin) === true) return origin;
    if (this.#keys >= this.limits.keysPerWindow) return ORIGIN_OTHER;
    if (origins === undefined) {
      if (routes === undefined) {
        routes = new Map();
        this.#services.set(service, routes);
      }
      origins = new Set();
      routes.set(route, origins);
    }
    if (origins.size >= this.limits.originsPerRoute) return ORIGIN_OTHER;
    origins.add(origin);
    this.#keys++;
    return origin;
  }
}
