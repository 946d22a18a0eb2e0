// Which services' HTTP server spans become verdicts. Absent and not captured look the same on one span, so
// the judgement is per service (issue 8): until a service's spans have shown a captured CORS response header,
// a span without one may only mean the service does not capture them, and none of its spans is judged
// ("not enough data"); once one has, a span without them is a response that had none. A service that also
// sends Corsight's own spans is counted from those, never twice. Service names come from the network: the
// memory is bounded, and a service past the bound is never judged (reported, not guessed).

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
  readonly #limit: number;
  #untracked = 0;

  constructor(limit: number = DEFAULT_TRACKED_SERVICES) {
    this.#limit = limit;
  }

  #state(service: string): ServiceState | undefined {
    let state = this.#services.get(service);
    if (state === undefined && this.#services.size < this.#limit) {
      state = { corsight: false, captured: false, httpSpans: 0, judged: 0, estimated: false };
      this.#services.set(service, state);
    }
    return state;
  }

  /** What storage already knows (rows from Corsight's spans, rows judged from HTTP spans), at start-up. */
  restore(service: string, known: { readonly corsight: boolean; readonly captured: boolean }): void {
    const state = this.#state(service);
    if (state === undefined) return;
    state.corsight ||= known.corsight;
    state.captured ||= known.captured;
  }

  /** A Corsight CORS span arrived from the service. */
  noteCorsight(service: string): void {
    const state = this.#state(service);
    if (state !== undefined) state.corsight = true;
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
    if (hasCorsResponseHeader) state.captured = true;
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
