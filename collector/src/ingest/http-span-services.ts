// Which services' HTTP server spans become verdicts. Absent and not captured look the same on one span, so
// the judgement is per service (issue 8): until a service's spans have shown a captured CORS response header,
// a span without one may only mean the service does not capture them, and none of its spans is judged
// ("not enough data"); once one has, a span without them is a response that had none. A service that also
// sends Corsight's own spans is counted from those, never twice. Service names come from the network: the
// memory is bounded. A service still waiting for data is all a sender can create by naming services, so when
// the bound is reached the longest-waiting one makes room (it loses only its count of spans, and is known
// again from its next span); a service past the bound with none waiting is never judged (reported, not
// guessed).

export type ServiceCapture =
  /** Counted from Corsight's own spans; its HTTP spans are skipped. */
  | 'corsight'
  /** Its HTTP spans carry captured CORS response headers: judged. */
  | 'captured'
  /** Its HTTP spans carry a captured Origin but never a CORS response header yet: not judged. */
  | 'not_enough_data';

export type HttpSpanDecision = 'judge' | 'not_enough_data' | 'counted_by_corsight';

export interface ServiceCaptureStatus {
  readonly service: string;
  readonly capture: ServiceCapture;
  /** HTTP server spans with a captured Origin seen since the collector started. */
  readonly httpSpans: number;
  /** Of those, spans turned into verdicts. */
  readonly judged: number;
  /** Some judged spans stood for more than one request (sampling): the service's counts are estimates. */
  readonly estimated: boolean;
}

interface ServiceState {
  corsight: boolean;
  captured: boolean;
  httpSpans: number;
  judged: number;
  estimated: boolean;
}

export const DEFAULT_TRACKED_SERVICES = 10_000;

export class HttpSpanServices {
  readonly #services = new Map<string, ServiceState>();
  /** Services neither captured nor counted by Corsight, oldest first (a Set iterates in insertion order). */
  readonly #waiting = new Set<string>();
  readonly #limit: number;
  #untracked = 0;

  constructor(limit: number = DEFAULT_TRACKED_SERVICES) {
    this.#limit = limit;
  }

  #state(service: string): ServiceState | undefined {
    let state = this.#services.get(service);
    if (state !== undefined) return state;
    if (this.#services.size >= this.#limit) {
      const oldest = this.#waiting.values().next();
      if (oldest.done === true) return undefined;
      this.#waiting.delete(oldest.value);
      this.#services.delete(oldest.value);
    }
    state = { corsight: false, captured: false, httpSpans: 0, judged: 0, estimated: false };
    this.#services.set(service, state);
    this.#waiting.add(service);
    return state;
  }

  /** The service's state has data now (captured, or Corsight's): it no longer makes room for others. */
  #settled(service: string, state: ServiceState): void {
    if (state.corsight || state.captured) this.#waiting.delete(service);
  }

  /** What storage already knows (rows from Corsight's spans, rows judged from HTTP spans), at start-up. */
  restore(service: string, known: { readonly corsight: boolean; readonly captured: boolean }): void {
    const state = this.#state(service);
    if (state === undefined) return;
    state.corsight ||= known.corsight;
    state.captured ||= known.captured;
    this.#settled(service, state);
  }

  /** A Corsight CORS span arrived from the service. */
  noteCorsight(service: string): void {
    const state = this.#state(service);
    if (state === undefined || state.corsight) return;
    state.corsight = true;
    this.#settled(service, state);
  }

  /** Decides for one HTTP server span with a captured Origin. */
  decide(service: string, hasCorsResponseHeader: boolean): HttpSpanDecision {
    const state = this.#state(service);
    if (state === undefined) {
      this.#untracked++;
      return 'not_enough_data';
    }
    state.httpSpans++;
    if (state.corsight) return 'counted_by_corsight';
    if (hasCorsResponseHeader && !state.captured) {
      state.captured = true;
      this.#settled(service, state);
    }
    if (!state.captured) return 'not_enough_data';
    state.judged++;
    return 'judge';
  }

  /** A judged span of the service counted `weight` requests. */
  noteWeight(service: string, weight: number): void {
    if (weight === 1) return;
    const state = this.#services.get(service);
    if (state !== undefined) state.estimated = true;
  }

  /** HTTP spans of services past the tracking bound (never judged). */
  get untrackedSpans(): number {
    return this.#untracked;
  }

  /** Every service that sent HTTP server spans with a captured Origin, or is known to, sorted by name. */
  statuses(): ServiceCaptureStatus[] {
    const statuses: ServiceCaptureStatus[] = [];
    for (const [service, state] of this.#services) {
      if (state.httpSpans === 0 && !state.captured) continue;
      statuses.push({
        service,
        capture: state.corsight ? 'corsight' : state.captured ? 'captured' : 'not_enough_data',
        httpSpans: state.httpSpans,
        judged: state.judged,
        estimated: state.estimated,
      });
    }
    return statuses.sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
  }
}
