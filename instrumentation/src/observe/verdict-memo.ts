// The verdicts of one interval, remembered by their inputs (core/verdict-inputs.ts), so that each distinct
// exchange is judged once per interval and the requests that repeat it are only counted: an API sees the
// same few preflights and requests from the same few origins over and over. Judging costs more per request
// under load than in a warm loop (the engine's code and data are out of the CPU's caches between requests),
// and so does finding the summary key again, so a remembered judgement keeps the aggregator's answer too.
//
// Bounded, since the inputs are the client's: at most MAX_REMEMBERED judgements, after which it starts over
// (a request then costs a judgement, never memory). Cleared when the aggregator drains, so a remembered
// answer never outlives its interval.
import type { Counted } from '../aggregate/aggregator.js';
import type { SummaryKey } from '../aggregate/summary-key.js';
import {
  newVerdictInputs,
  REQUEST_INPUT_SLOTS,
  RESPONSE_INPUT_SLOTS,
  sameInputs,
  type VerdictInputs,
} from '../core/verdict-inputs.js';
import type { CrossOriginVerdict } from '../emit/exchange-span.js';

/** A cross-origin exchange judged: its verdict, summary key, and the aggregator's answer once counted. */
export interface Judgement {
  readonly verdict: CrossOriginVerdict;
  readonly key: SummaryKey;
  counted: Counted | undefined;
}

interface RememberedResponse {
  readonly inputs: VerdictInputs;
  readonly judgement: Judgement;
}

/** One distinct set of request inputs from an origin, and the responses it met, by route. */
export interface RememberedRequest {
  readonly inputs: VerdictInputs;
  /** False when the engine said it is not CORS, which it decides from the request alone. */
  readonly crossOrigin: boolean;
  readonly responses: Map<string | undefined, RememberedResponse[]>;
}

export const MAX_REMEMBERED = 512;

export class VerdictMemo {
  /** Where an exchange's inputs are read into, then compared (and copied when remembered). */
  readonly requestInputs: VerdictInputs = newVerdictInputs(REQUEST_INPUT_SLOTS);
  readonly responseInputs: VerdictInputs = newVerdictInputs(RESPONSE_INPUT_SLOTS);
  #byOrigin = new Map<string, RememberedRequest[]>();
  #size = 0;

  /** The remembered request with `requestInputs` from `origin`. */
  findRequest(origin: string): RememberedRequest | undefined {
    const requests = this.#byOrigin.get(origin);
    if (requests === undefined) return undefined;
    const inputs = this.requestInputs;
    for (let i = 0; i < requests.length; i++) {
      const request = requests[i] as RememberedRequest;
      if (sameInputs(request.inputs, inputs)) return request;
    }
    return undefined;
  }

  /** Remembers `requestInputs` from `origin` (not already remembered). */
  rememberRequest(origin: string, crossOrigin: boolean): RememberedRequest {
    this.#makeRoom();
    const request: RememberedRequest = {
      inputs: this.requestInputs.slice(),
      crossOrigin,
      responses: new Map(),
    };
    const requests = this.#byOrigin.get(origin);
    if (requests === undefined) this.#byOrigin.set(origin, [request]);
    else requests.push(request);
    return request;
  }

  /** The judgement of a response with `responseInputs` to `request` on `route`. */
  findResponse(request: RememberedRequest, route: string | undefined): Judgement | undefined {
    const responses = request.responses.get(route);
    if (responses === undefined) return undefined;
    const inputs = this.responseInputs;
    for (let i = 0; i < responses.length; i++) {
      const response = responses[i] as RememberedResponse;
      if (sameInputs(response.inputs, inputs)) return response.judgement;
    }
    return undefined;
  }

  /** Remembers the judgement of a response with `responseInputs` to `request` on `route`. */
  rememberResponse(request: RememberedRequest, route: string | undefined, judgement: Judgement): void {
    // Starting over would drop `request` itself: the judgement is then simply not remembered.
    if (this.#size >= MAX_REMEMBERED) return;
    this.#size++;
    const response: RememberedResponse = { inputs: this.responseInputs.slice(), judgement };
    const responses = request.responses.get(route);
    if (responses === undefined) request.responses.set(route, [response]);
    else responses.push(response);
  }

  clear(): void {
    if (this.#size === 0) return;
    this.#byOrigin = new Map();
    this.#size = 0;
  }

  #makeRoom(): void {
    if (this.#size >= MAX_REMEMBERED) this.clear();
    this.#size++;
  }
}
